from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q

from eig import forms as eig_forms
from eig.accounts.models import Role, User
from eig.exceptions import DomainError
from eig.forms import AdminInputMixin
from eig.history.admin import HistoryMixin
from eig.jury import hearings
from eig.jury.models import Criterion, DecisionRecord, Jury, JuryGroup, JuryMember, JuryStage
from eig.jury.presets import jury_apply_preset, preset_choices
from eig.jury.registry import domain_choices, domain_for
from eig.jury.services import jury_aggregates_rebuild
from eig.programme.models import Specialty


class JuryStageInline(AdminInputMixin, admin.TabularInline):
    """The jury's stages (written dossier, then an interview…). Shown once the jury exists:
    its first stage is created with it."""

    model = JuryStage
    extra = 0
    max_num = 10
    fields = ["position", "name", "kind", "scoring_deadline"]
    verbose_name = "étape"
    verbose_name_plural = (
        "étapes (chacune a sa grille ; les dossiers présélectionnés à une étape passent à la "
        "suivante)"
    )


class CriterionInline(AdminInputMixin, admin.TabularInline):
    model = Criterion
    extra = 0
    max_num = 30  # the real grids have 4 to 8 criteria per stage
    fields = ["position", "stage", "name", "description", "weight", "scale_min", "scale_max"]
    fields += ["scale_labels"]
    formfield_overrides = {
        # The descriptions are a sentence or two: a small box keeps the grid readable.
        Criterion._meta.get_field("description"): {"widget": forms.Textarea(attrs={"rows": 2})},
    }

    def get_formset(self, request, obj=None, **kwargs):
        # The stage choices are this jury's (inline instances live for one request).
        self.jury = obj
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "stage":
            jury = getattr(self, "jury", None)
            kwargs["queryset"] = (
                JuryStage.objects.filter(jury=jury).order_by("position")
                if jury is not None
                else JuryStage.objects.none()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class JuryMemberForm(eig_forms.ModelForm):
    expertise = forms.TypedMultipleChoiceField(
        label="Expertise",
        choices=Specialty.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = JuryMember
        fields = ["user", "expertise", "withdrawn_at"]


class JuryMemberInline(AdminInputMixin, admin.TabularInline):
    model = JuryMember
    form = JuryMemberForm
    extra = 0
    max_num = 500
    autocomplete_fields = ["user"]
    readonly_fields = ["withdrawn_at"]
    verbose_name = "juré du vivier"
    verbose_name_plural = (
        "vivier de jurés (personnes ayant le rôle juré ; leur administration ou leur adresse "
        "e-mail sert, selon les dossiers, à détecter les conflits d'intérêts)"
    )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = User.objects.filter(roles__contains=[Role.JUROR])
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class JuryAdminForm(eig_forms.ModelForm):
    apply_preset = forms.ChoiceField(
        label="Appliquer une grille du programme",
        required=False,
        help_text=(
            "Remplace les critères par la grille réelle d'une promotion (refusé une fois des "
            "notes données). Les poids et échelles restent modifiables ensuite."
        ),
    )

    class Meta:
        model = Jury
        fields = ["name", "domain", "jurors_per_dossier", "score_visibility", "scoring_deadline"]
        fields += ["spread_threshold"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "domain" in self.fields:
            self.fields["domain"] = forms.ChoiceField(
                label="Dossiers évalués", choices=domain_choices()
            )
        # A jury's domain never changes: it is offered the grids made for its dossiers.
        domain_key = self.instance.domain if self.instance.pk else None
        self.fields["apply_preset"].choices = [("", "—"), *preset_choices(domain_key)]


@admin.register(Jury)
class JuryAdmin(AdminInputMixin, admin.ModelAdmin):
    form = JuryAdminForm
    list_display = ["name", "call", "jurors_per_dossier", "member_count", "criterion_count"]
    # Staff also find a jury by the title of its call for projects.
    search_fields = ["name", "project_call__title"]
    readonly_fields = ["preset", "call"]

    def get_readonly_fields(self, request, obj=None):
        # A jury's evaluations live in its domain's tables: its domain never changes.
        fields = super().get_readonly_fields(request, obj)
        return [*fields, "domain"] if obj is not None else fields

    inlines = [JuryStageInline, CriterionInline, JuryMemberInline]

    def get_inlines(self, request, obj):
        # A new jury gets its first stage on creation: its stages are edited afterwards.
        inlines = super().get_inlines(request, obj)
        return inlines if obj is not None else [i for i in inlines if i is not JuryStageInline]

    fieldsets = [
        (None, {"fields": ["name", "domain", "call", "jurors_per_dossier", "score_visibility"]}),
        ("Évaluations", {"fields": ["scoring_deadline", "spread_threshold"]}),
        ("Grille", {"fields": ["preset", "apply_preset"]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                members_active=Count(
                    "members", filter=Q(members__withdrawn_at__isnull=True), distinct=True
                ),
                criteria_count=Count("criteria", distinct=True),
            )
        )

    @admin.display(description="appel")
    def call(self, jury):
        # Each domain knows which of its calls the jury serves (a query per row: the list
        # holds a few juries a year).
        try:
            call = domain_for(jury).jury_call(jury)
        except LookupError:  # a domain no app registers any more
            call = None
        return call or "— (rattachez le jury depuis la fiche de l'appel)"

    @admin.display(description="jurés", ordering="members_active")
    def member_count(self, jury):
        return jury.members_active

    @admin.display(description="critères", ordering="criteria_count")
    def criterion_count(self, jury):
        return jury.criteria_count

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change and any(formset.has_changed() for formset in formsets):
            # A weight or a criterion changed: the stored figures follow the grid.
            jury_aggregates_rebuild(domain=domain_for(form.instance), jury=form.instance)
        # After the inlines: a preset replaces whatever grid was just saved.
        if key := form.cleaned_data.get("apply_preset"):
            try:
                jury_apply_preset(jury=form.instance, key=key)
            except DomainError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                self.message_user(request, "La grille choisie est appliquée.", messages.SUCCESS)


class JuryGroupForm(eig_forms.ModelForm):
    class Meta:
        model = JuryGroup
        fields = ["jury", "name", "members"]
        widgets = {"members": forms.CheckboxSelectMultiple}


@admin.register(JuryGroup)
class JuryGroupAdmin(AdminInputMixin, HistoryMixin, admin.ModelAdmin):
    """Hearing groups, read here with their history: staff compose them on the jury's
    hearings page, whose services check the members and the slots' clashes and write the
    history. A group without slots is deleted through the same service."""

    form = JuryGroupForm
    list_display = ["name", "jury"]
    list_filter = ["jury"]
    list_select_related = ["jury"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        try:
            hearings.jury_group_delete(group=obj, actor=request.user)
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)

    def delete_queryset(self, request, queryset):
        for group in queryset:
            self.delete_model(request, group)


@admin.register(DecisionRecord)
class DecisionRecordAdmin(AdminInputMixin, admin.ModelAdmin):
    list_display = ["jury", "version", "created_at", "rendered_at", "checksum"]
    list_filter = ["jury"]
    readonly_fields = ["jury", "version", "created_by", "created_at", "pdf", "checksum"]
    readonly_fields += ["rendered_at"]

    def has_add_permission(self, request):
        return False
