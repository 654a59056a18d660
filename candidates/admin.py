import datetime

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from candidates.models import (
    Application,
    ApplicationConflict,
    CandidateCall,
    PoolAccess,
    RetentionRun,
    Wish,
)
from candidates.retention import with_purge_date
from candidates.selectors import application_possible_duplicates, applications_with_duplicate_flag
from eig.forms import AdminInputMixin
from eig.history.admin import HistoryMixin


@admin.register(CandidateCall)
class CandidateCallAdmin(AdminInputMixin, admin.ModelAdmin):
    list_display = ["title", "promotion", "opens_at", "closes_at", "wishes_timing", "anonymous"]
    list_filter = ["promotion", "wishes_timing", "anonymous"]
    search_fields = ["title"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "closes_at"
    list_select_related = ["promotion"]
    autocomplete_fields = ["jury"]
    fieldsets = [
        (None, {"fields": ["promotion", "title", "slug", "description", "eligibility"]}),
        ("Calendrier (heures de Paris)", {"fields": ["opens_at", "closes_at"]}),
        ("Vœux", {"fields": ["wishes_timing", "wishes_closes_at"]}),
        ("Sélection", {"fields": ["anonymous", "jury"]}),
    ]


class WishInline(admin.TabularInline):
    model = Wish
    extra = 0
    fields = ["rank", "position", "created_at", "withdrawn_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class UpcomingPurgeFilter(admin.SimpleListFilter):
    """What the retention task will erase next (`retention.py`), for staff to see first."""

    title = "effacement prévu"
    parameter_name = "effacement"

    def lookups(self, request, model_admin):
        return [("7", "Dans les 7 jours"), ("30", "Dans les 30 jours"), ("90", "Dans les 90 jours")]

    def queryset(self, request, queryset):
        if self.value() in ("7", "30", "90"):
            limit = timezone.now() + datetime.timedelta(days=int(self.value()))
            return queryset.filter(purge_on__lte=limit)
        return queryset


class PossibleDuplicateFilter(admin.SimpleListFilter):
    title = "doublon possible"
    parameter_name = "doublon"

    def lookups(self, request, model_admin):
        return [("oui", "Oui"), ("non", "Non")]

    def queryset(self, request, queryset):
        if self.value() in ("oui", "non"):
            return queryset.filter(possible_duplicate=self.value() == "oui")
        return queryset


@admin.register(Application)
class ApplicationAdmin(HistoryMixin, admin.ModelAdmin):
    """Applications, read only: they change through the candidate's pages and the
    selection's services, each change in their history. Staff see here the possible
    duplicates (the same person from two accounts), never merged automatically."""

    list_display = [
        "__str__",
        "call",
        "state",
        "specialty",
        "submitted_at",
        "duplicate",
        "purge_date",
    ]
    list_filter = ["call", "state", "specialty", PossibleDuplicateFilter, UpcomingPurgeFilter]
    search_fields = ["candidate__last_name", "candidate__first_name", "candidate__email"]
    list_select_related = ["candidate", "call"]
    inlines = [WishInline]
    fieldsets = [
        (None, {"fields": ["call", "candidate", "state", "submitted_at", "withdrawn_at"]}),
        ("Doublons possibles", {"fields": ["duplicates"]}),
        (
            "Candidature",
            {
                "fields": [
                    "specialty",
                    "years_experience",
                    "presentation",
                    "skills_main",
                    "skills_secondary",
                    "experience_specialty",
                    "experience_entrepreneurship",
                    "motivation",
                    "cv",
                    "cv_anonymised",
                    "portfolio",
                    "github_url",
                    "gitlab_url",
                    "linkedin_url",
                    "website_url",
                ]
            },
        ),
        (
            "Informations personnelles",
            {
                "fields": [
                    "civility",
                    "phone",
                    "birth_year",
                    "mobility",
                    "available_on",
                    "talent_pool_consent",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        return with_purge_date(applications_with_duplicate_flag(super().get_queryset(request)))

    @admin.display(description="effacement prévu", ordering="purge_on")
    def purge_date(self, application):
        if application.purge_on is None:
            return "—"
        return f"{timezone.localtime(application.purge_on):%d/%m/%Y} ({application.purpose})"

    def get_readonly_fields(self, request, obj=None):
        return [field for fieldset in self.fieldsets for field in fieldset[1]["fields"]]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # an application is anonymised, never deleted

    def view_on_site(self, application):
        # The staff's page of it, not the candidate's own (`get_absolute_url`).
        return reverse("candidates:staff_application", args=[application.pk])

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        response = super().render_change_form(request, context, *args, obj=obj, **kwargs)
        # A draft has no staff page: the same rule as the page's says so.
        if obj is not None and not request.user.has_perm("candidates.read_application", obj):
            response.context_data["has_absolute_url"] = False
        return response

    @admin.display(description="doublon possible", boolean=True, ordering="possible_duplicate")
    def duplicate(self, application):
        return application.possible_duplicate

    @admin.display(description="autres comptes qui semblent être la même personne")
    def duplicates(self, application):
        found = application_possible_duplicates(application)
        if not found:
            return "Aucun."
        return format_html_join(
            mark_safe("<br>"),
            '<a href="{}">{}</a> : {}',
            (
                (
                    reverse("admin:candidates_application_change", args=[other.pk]),
                    str(other),
                    ", ".join(reasons),
                )
                for other, reasons in found
            ),
        )


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record that its services write: staff read it here, never add, change or delete."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RetentionRun)
class RetentionRunAdmin(ReadOnlyAdmin):
    """The passes of the retention task, as it recorded them: read only."""

    list_display = ["ran_at", "purged_selection", "purged_pool", "reconsent_asked"]
    readonly_fields = list_display


@admin.register(PoolAccess)
class PoolAccessAdmin(ReadOnlyAdmin):
    """Who read which application's personal data, and how (the pool's pages and exports,
    the staff's page of an application and its files), as the services logged it: the
    record a candidate may ask for."""

    list_display = ["at", "kind", "viewer_name", "application", "exported"]
    list_filter = ["kind", ("at", admin.DateFieldListFilter), "application__call"]
    search_fields = [
        "viewer_name",
        "application__candidate__last_name",
        "application__candidate__email",
        "=application__pk",
    ]
    list_select_related = ["application__candidate", "application__call"]
    date_hierarchy = "at"
    fields = ["at", "kind", "viewer_name", "viewer", "application", "exported"]
    readonly_fields = fields


@admin.register(ApplicationConflict)
class ApplicationConflictAdmin(ReadOnlyAdmin):
    """Conflicts of interest that jurors declared on applications, through the jury's
    services: read only, as no service takes one back. Automatic conflicts (same e-mail
    domain, the juror's administration as employer) are computed, not listed here."""

    list_display = ["member", "application", "jury", "reason", "declared_at"]
    list_filter = ["member__jury", ("declared_at", admin.DateFieldListFilter)]
    search_fields = [
        "member__user__email",
        "member__user__last_name",
        "application__candidate__last_name",
        "application__candidate__email",
        "=application__pk",
    ]
    list_select_related = [
        "member__user",
        "member__jury",
        "application__candidate",
        "application__call",
    ]
    fields = ["member", "application", "reason", "declared_at"]
    readonly_fields = fields

    @admin.display(description="jury", ordering="member__jury__name")
    def jury(self, conflict):
        return conflict.member.jury
