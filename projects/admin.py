import datetime

from django.contrib import admin
from django.db.models import Count, Q

from eig.exports import csv_response
from eig.forms import AdminInputMixin
from eig.history.admin import HistoryMixin
from projects.models import (
    Defi,
    DefiConflict,
    DefiInvitation,
    DefiPosition,
    ProjectCall,
)
from projects.sections import MAX_POSITIONS
from projects.selectors.defis import JURY_STATES

CSV_COLUMNS = [
    ("id", "pk"),
    ("appel", "call"),
    ("promotion", "call.promotion"),
    ("titre", "title"),
    ("administration", "administration"),
    ("type d'administration", "administration.get_kind_display"),
    ("état", "get_state_display"),
    ("déposé le", "submitted_at"),
    ("porteur", "porteur_name"),
    ("e-mail du porteur", "porteur_email"),
    ("résumé", "summary"),
    ("profils", "positions_label"),
]


def _value(defi, path):
    value = defi
    for part in path.split("."):
        value = getattr(value, part, "") if value is not None else ""
        if callable(value):
            value = value()
    # Dates and numbers as such: `eig.exports` writes them the French way.
    if value is None or isinstance(value, str | int | datetime.datetime):
        return value
    return str(value)


@admin.action(description="Exporter les défis sélectionnés (CSV)")
def export_csv(modeladmin, request, queryset):
    rows = queryset.select_related("call__promotion", "administration").prefetch_related(
        "positions"
    )

    def lines():
        for defi in rows:
            defi.positions_label = ", ".join(
                p.get_specialty_display() for p in defi.positions.all()
            )
            yield [_value(defi, path) for _, path in CSV_COLUMNS]

    return csv_response("defis.csv", [label for label, _ in CSV_COLUMNS], lines())


@admin.register(ProjectCall)
class ProjectCallAdmin(AdminInputMixin, admin.ModelAdmin):
    list_display = ["title", "promotion", "opens_at", "closes_at", "draft_count", "submitted_count"]
    list_filter = ["promotion"]
    search_fields = ["title"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "closes_at"
    list_select_related = ["promotion"]
    autocomplete_fields = ["jury"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                drafts=Count("defis", filter=Q(defis__state=Defi.State.DRAFT)),
                submissions=Count("defis", filter=Q(defis__state__in=JURY_STATES)),
            )
        )

    @admin.display(description="brouillons", ordering="drafts")
    def draft_count(self, call):
        return call.drafts

    @admin.display(description="déposés", ordering="submissions")
    def submitted_count(self, call):
        return call.submissions


class DefiPositionInline(AdminInputMixin, admin.TabularInline):
    model = DefiPosition
    extra = 0
    max_num = MAX_POSITIONS


@admin.register(Defi)
class DefiAdmin(HistoryMixin, AdminInputMixin, admin.ModelAdmin):
    list_display = ["__str__", "administration", "call", "state", "submitted_at"]
    list_filter = ["call", "state", "administration__kind", "call__promotion"]
    search_fields = ["title", "summary", "administration__name", "porteur_name", "porteur_email"]
    list_select_related = ["administration", "call"]
    autocomplete_fields = ["administration", "owner", "collaborators"]
    readonly_fields = ["state", "submitted_at", "created_at", "updated_at"]
    inlines = [DefiPositionInline]
    actions = [export_csv]


@admin.register(DefiInvitation)
class DefiInvitationAdmin(AdminInputMixin, admin.ModelAdmin):
    list_display = ["email", "defi", "created_at", "accepted_at"]
    search_fields = ["email", "defi__title"]
    list_select_related = ["defi"]
    readonly_fields = ["token"]


@admin.register(DefiConflict)
class DefiConflictAdmin(AdminInputMixin, admin.ModelAdmin):
    """Conflicts jurors declared; staff may delete one declared by mistake. Automatic
    conflicts (same administration or ministry) are computed, not listed here."""

    list_display = ["member", "defi", "reason", "declared_at"]
    list_filter = ["member__jury"]
    search_fields = ["member__user__email", "defi__title"]
    list_select_related = ["member__user", "defi"]
    readonly_fields = ["member", "defi", "declared_at"]

    def has_add_permission(self, request):
        return False
