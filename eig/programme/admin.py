from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import transaction
from django.template.loader import render_to_string
from django.template.response import TemplateResponse

from eig.exceptions import DomainError
from eig.forms import AdminInputMixin
from eig.history.admin import HistoryMixin
from eig.programme import services as membership_services
from eig.programme.costs import FULL_TIME, PART_TIME, position_cost
from eig.programme.forms import FundingPresetChoiceForm, FundingRuleAdminForm, SalaryBandFormSet
from eig.programme.models import (
    Administration,
    AdministrationMembership,
    ContractFrame,
    FaqEntry,
    FundingRule,
    Promotion,
    SalaryBand,
)
from eig.programme.money import format_quantity
from eig.programme.presets import funding_presets, promotion_apply_funding_preset
from eig.programme.selectors import administration_history, rules_for_promotion

Membership = AdministrationMembership
MembershipState = Membership.State

# From each state, the states staff may move a membership to in the admin (each move goes
# through a service, which writes the history and the mails).
ADMIN_MOVES = {
    MembershipState.REQUESTED: {
        MembershipState.REQUESTED,
        MembershipState.VERIFIED,
        MembershipState.REFUSED,
        MembershipState.ENDED,
    },
    MembershipState.VERIFIED: {MembershipState.VERIFIED, MembershipState.ENDED},
    MembershipState.REFUSED: {MembershipState.REFUSED},
    MembershipState.ENDED: {MembershipState.ENDED},
}


class MembershipInlineForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["user", "state", "is_signatory"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # A membership is one person's: another person is another membership.
            self.fields["user"].disabled = True
        else:
            self.fields["state"].initial = MembershipState.VERIFIED

    def clean(self):
        cleaned = super().clean()
        state, signatory = cleaned.get("state"), cleaned.get("is_signatory")
        before = self.instance.state if self.instance.pk else None
        if before is None and state != MembershipState.VERIFIED:
            self.add_error(
                "state",
                forms.ValidationError(
                    "Un rattachement ajouté ici est vérifié : choisissez « Membre vérifié ».",
                    code="new_not_verified",
                ),
            )
        elif before is not None and state not in ADMIN_MOVES[before]:
            self.add_error(
                "state",
                forms.ValidationError(
                    f"Un rattachement « {self.instance.get_state_display()} » ne peut pas "
                    f"passer à « {MembershipState(state).label} ».",
                    code="invalid_move",
                ),
            )
        if signatory and state != MembershipState.VERIFIED:
            self.add_error(
                "is_signatory",
                forms.ValidationError(
                    "Seul un membre vérifié peut être signataire.", code="signatory_not_verified"
                ),
            )
        user = cleaned.get("user")
        duplicate = (
            before is None
            and user is not None
            and self.parent_administration is not None
            and Membership.objects.filter(
                user=user,
                administration=self.parent_administration,
                state__in=Membership.OPEN_STATES,
            ).exists()
        )
        if duplicate:
            self.add_error(
                "user",
                forms.ValidationError(
                    "Cette personne a déjà une demande ou un rattachement ici : modifiez sa ligne.",
                    code="duplicate",
                ),
            )
        return cleaned


class MembershipInlineFormSet(forms.BaseInlineFormSet):
    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.parent_administration = self.instance if self.instance.pk else None
        return form

    @property
    def empty_form(self):
        form = super().empty_form
        form.parent_administration = None
        return form


class MembershipInline(AdminInputMixin, admin.TabularInline):
    model = Membership
    form = MembershipInlineForm
    formset = MembershipInlineFormSet
    fields = [
        "user",
        "state",
        "is_signatory",
        "verified_via",
        "note",
        "requested_at",
        "decided_at",
        "decided_by",
        "ended_at",
    ]
    readonly_fields = [
        "verified_via",
        "note",
        "requested_at",
        "decided_at",
        "decided_by",
        "ended_at",
    ]
    autocomplete_fields = ["user"]
    extra = 0
    can_delete = False
    verbose_name = "membre ou demande"
    verbose_name_plural = (
        "Membres et demandes (ajouter une personne la rend membre vérifié ; chaque "
        "changement est enregistré et notifié)"
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "decided_by")


def membership_apply_admin_change(form, *, actor) -> None:
    """Apply one inline row through the services (history and mails), never by saving it."""
    data = form.cleaned_data
    if not form.instance.pk:
        membership_services.membership_grant(
            user=data["user"],
            administration=form.parent_administration,
            actor=actor,
            is_signatory=data["is_signatory"],
            reason="Ajouté·e par l'équipe du programme",
        )
        return
    membership = Membership.objects.get(pk=form.instance.pk)
    state = data["state"]
    if state != membership.state:
        if state == MembershipState.VERIFIED:
            membership_services.membership_approve(membership=membership, actor=actor)
        elif state == MembershipState.REFUSED:
            membership_services.membership_refuse(membership=membership, actor=actor)
        elif state == MembershipState.ENDED:
            membership_services.membership_end(membership=membership, actor=actor)
        membership.refresh_from_db()
    if membership.state == MembershipState.VERIFIED and data["is_signatory"] != (
        membership.is_signatory
    ):
        membership_services.membership_set_signatory(
            membership=membership, actor=actor, is_signatory=data["is_signatory"]
        )


@admin.register(Administration)
class AdministrationAdmin(AdminInputMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "article",
        "kind",
        "siret",
        "parent",
        "budget_programme",
        "town",
        "domains",
    ]
    list_filter = ["kind", "article"]
    search_fields = ["name", "siret", "town"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["membership_history"]
    inlines = [MembershipInline]

    @admin.display(description="domaines")
    def domains(self, administration):
        return ", ".join(administration.email_domains) or "—"

    @admin.display(description="historique des membres")
    def membership_history(self, administration):
        if not administration.pk:
            return "—"
        events = administration_history(administration, limit=100)
        for event in events:
            event.subject_label = event.person or "Compte supprimé"
        return render_to_string(
            "history/events.html",
            {"events": events, "caption": "Derniers changements", "show_subject": True},
        )

    def save_model(self, request, obj, form, change):
        obj.fill_article()
        super().save_model(request, obj, form, change)
        if "email_domains" in form.changed_data:
            count = membership_services.administration_verify_pending_by_domain(administration=obj)
            if count:
                self.message_user(
                    request,
                    f"{count} demande(s) en attente vérifiée(s) par le domaine de leur adresse.",
                    messages.SUCCESS,
                )

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        with transaction.atomic():
            for row in formset.forms:
                if row.has_changed() and row.cleaned_data:
                    row.parent_administration = form.instance
                    membership_apply_admin_change(row, actor=request.user)
        # The admin's change message reads these; the services did the saving.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


@admin.register(AdministrationMembership)
class AdministrationMembershipAdmin(HistoryMixin, AdminInputMixin, admin.ModelAdmin):
    """Every request and membership, to find those waiting; decisions go through actions
    (or the administration's page), each with history and mails."""

    list_display = [
        "user",
        "administration",
        "state",
        "verified_via",
        "is_signatory",
        "requested_at",
        "decided_by",
    ]
    list_filter = ["state", "verified_via", "is_signatory"]
    search_fields = ["user__email", "user__last_name", "administration__name"]
    list_select_related = ["user", "administration", "decided_by"]
    readonly_fields = [
        "user",
        "administration",
        "state",
        "verified_via",
        "is_signatory",
        "note",
        "requested_at",
        "decided_at",
        "decided_by",
        "ended_at",
    ]
    actions = ["approve", "refuse", "end", "make_signatory", "remove_signatory"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _each(self, request, queryset, service, done: str, **kwargs):
        for membership in queryset.select_related("user", "administration"):
            try:
                service(membership=membership, actor=request.user, **kwargs)
            except DomainError as error:
                self.message_user(request, f"{membership} : {error.message}", messages.ERROR)
            else:
                self.message_user(request, f"{membership} : {done}", messages.SUCCESS)

    @admin.action(description="Approuver les demandes choisies", permissions=["change"])
    def approve(self, request, queryset):
        self._each(request, queryset, membership_services.membership_approve, "approuvée.")

    @admin.action(description="Refuser les demandes choisies", permissions=["change"])
    def refuse(self, request, queryset):
        self._each(request, queryset, membership_services.membership_refuse, "refusée.")

    @admin.action(description="Mettre fin aux rattachements choisis", permissions=["change"])
    def end(self, request, queryset):
        self._each(request, queryset, membership_services.membership_end, "terminé.")

    @admin.action(description="Désigner signataires", permissions=["change"])
    def make_signatory(self, request, queryset):
        self._each(
            request,
            queryset,
            membership_services.membership_set_signatory,
            "signataire.",
            is_signatory=True,
        )

    @admin.action(description="Retirer des signataires", permissions=["change"])
    def remove_signatory(self, request, queryset):
        self._each(
            request,
            queryset,
            membership_services.membership_set_signatory,
            "n'est plus signataire.",
            is_signatory=False,
        )


class SalaryBandInline(AdminInputMixin, admin.TabularInline):
    model = SalaryBand
    formset = SalaryBandFormSet
    fields = ["label", "min_years", "net_monthly", "variable_rate"]
    extra = 0
    max_num = 20  # the real grids have 3 to 5 bands


class ContractFrameInline(AdminInputMixin, admin.StackedInline):
    model = ContractFrame
    max_num = 1
    fieldsets = [
        (None, {"fields": ["kind", "employer", "duration_months", "renewable"]}),
        ("Quotité et période", {"fields": ["allows_part_time", "start_date", "end_date"]}),
    ]


class FundingRuleInline(AdminInputMixin, admin.StackedInline):
    model = FundingRule
    form = FundingRuleAdminForm
    max_num = 1
    fieldsets = [
        ("Taux de cotisations", {"fields": ["employee_rate", "employer_rate"]}),
        ("Règle de co-financement", {"fields": ["kind", "share", "months", "flat_amount"]}),
        (
            "Convention et modalités de versement",
            {"fields": ["convention_kind", "source_programme", "payment_terms"]},
        ),
        ("Source", {"fields": ["source"]}),
    ]
    formfield_overrides = {
        FundingRule._meta.get_field("payment_terms"): {"widget": forms.Textarea(attrs={"rows": 4})},
    }


@admin.register(Promotion)
class PromotionAdmin(AdminInputMixin, admin.ModelAdmin):
    list_display = ["name", "code", "year", "mission_start", "mission_end", "budget_envelope"]
    list_display += ["cofinancing_kind"]
    list_select_related = ["funding_rule"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}
    readonly_fields = ["funding_formula"]
    fieldsets = [
        (None, {"fields": ["name", "code", "number", "year"]}),
        (
            "Missions et budget",
            {"fields": ["mission_start", "mission_end", "budget_envelope", "description"]},
        ),
        ("Formule de financement", {"fields": ["funding_formula"]}),
    ]
    inlines = [SalaryBandInline, ContractFrameInline, FundingRuleInline]
    actions = ["apply_funding_preset"]

    @admin.display(description="co-financement", ordering="funding_rule__kind")
    def cofinancing_kind(self, promotion):
        rule = getattr(promotion, "funding_rule", None)
        return rule.get_kind_display() if rule else "Non configuré"

    @admin.display(description="calcul à partir des règles enregistrées")
    def funding_formula(self, promotion):
        rules = rules_for_promotion(promotion) if promotion.pk else None
        if rules is None:
            return (
                "La formule et les exemples s'affichent une fois enregistrés la grille "
                "salariale, le cadre contractuel et la règle de co-financement."
            )
        work_times = [FULL_TIME, PART_TIME] if rules.allows_part_time else [FULL_TIME]
        examples = [
            position_cost(rules, band, work_time=work_time)
            for band in rules.bands
            for work_time in work_times
        ]
        return render_to_string(
            "admin/programme/promotion/funding_formula.html",
            {
                "rules": rules,
                "examples": examples,
                "months": format_quantity(rules.contract_months),
            },
        )

    @admin.action(
        description="Appliquer les règles de financement d'une promotion passée (P3 à P7)",
        permissions=["change"],
    )
    def apply_funding_preset(self, request, queryset):
        # Django's intermediate-page pattern (as delete_selected): the first POST comes from
        # the change list and shows the choice; the second carries "apply" and the choice.
        form = FundingPresetChoiceForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            key = form.cleaned_data["preset"]
            for promotion in queryset:
                try:
                    promotion_apply_funding_preset(promotion=promotion, key=key)
                except DomainError as error:
                    self.message_user(request, f"{promotion} : {error.message}", messages.ERROR)
                else:
                    label = funding_presets()[key]["label"]
                    self.message_user(
                        request,
                        f"{promotion} : règles appliquées ({label}). Vérifiez les taux de "
                        "cotisations, qui sont des hypothèses.",
                        messages.SUCCESS,
                    )
            return None
        return TemplateResponse(
            request,
            "admin/programme/promotion/apply_funding_preset.html",
            {
                **self.admin_site.each_context(request),
                "title": "Appliquer les règles de financement d'une promotion passée",
                "opts": self.model._meta,
                "form": form,
                "promotions": queryset,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
                "media": self.media,
            },
        )


@admin.register(FaqEntry)
class FaqEntryAdmin(AdminInputMixin, admin.ModelAdmin):
    list_display = ["question", "audience", "position"]
    list_filter = ["audience"]
    search_fields = ["question", "answer_html"]
    formfield_overrides = {
        FaqEntry._meta.get_field("answer_html"): {"widget": forms.Textarea(attrs={"rows": 8})},
    }
