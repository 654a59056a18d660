"""Back office of the conventions, for corrections. Staff prepare, amend and move conventions
through signature on the DSFR pages (funding/views.py), where every change goes through the
services and leaves a history event; here, what would bypass them is read-only."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from eig.forms import AdminInputMixin
from eig.history.admin import HistoryMixin
from eig.programme.money import format_euros
from funding.models import Convention, ConventionLine, ConventionVersion
from funding.selectors import convention_history, conventions_with_current


class ReadOnlyInline(AdminInputMixin, admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ConventionLineInline(ReadOnlyInline):
    """The EIGs financed: their band and work time change on the convention's page, which
    recomputes the amounts and makes a new version when one was sent."""

    model = ConventionLine
    fields = ["defi", "rank", "specialty", "salary_band", "work_time"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("defi", "salary_band")


class ConventionVersionInline(ReadOnlyInline):
    """The versions as sent: a version never changes once sent."""

    model = ConventionVersion
    fields = [
        "number",
        "amendment",
        "state",
        "eig_count",
        "total_cost",
        "cofinancing",
        "created_at",
        "pdf_link",
        "signed_pdf_link",
    ]
    readonly_fields = fields
    ordering = ["-number"]

    @admin.display(description="PDF")
    def pdf_link(self, version):
        if not (version.pdf and version.rendered_at):
            return "en cours de production"
        url = reverse("funding:version_pdf", args=[version.convention_id, version.number])
        return format_html('<a href="{}">Télécharger</a> ({}…)', url, version.checksum[:12])

    @admin.display(description="PDF signé")
    def signed_pdf_link(self, version):
        if not version.signed_pdf:
            return "—"
        url = reverse("funding:version_signed_pdf", args=[version.convention_id, version.number])
        return format_html('<a href="{}">Télécharger</a> ({}…)', url, version.signed_checksum[:12])


@admin.register(Convention)
class ConventionAdmin(HistoryMixin, AdminInputMixin, admin.ModelAdmin):
    list_display = [
        "reference",
        "promotion",
        "administration",
        "kind",
        "current_state_display",
        "current_cofinancing_display",
    ]
    list_filter = ["promotion", "kind"]
    search_fields = ["reference", "administration__name", "signatory"]
    list_select_related = ["promotion", "administration"]
    # What the convention is between, and under which rule, is fixed when it is prepared.
    readonly_fields = ["promotion", "administration", "kind", "created_by", "created_at"]
    fields = [
        "reference",
        "promotion",
        "administration",
        "kind",
        "budget_programme",
        "signatory",
        "dinum_signatory",
        "created_by",
        "created_at",
    ]
    inlines = [ConventionLineInline, ConventionVersionInline]

    def get_queryset(self, request):
        return conventions_with_current(super().get_queryset(request))

    def has_add_permission(self, request):
        # A convention is prepared from the selected défis, on the promotion's budget page.
        return False

    def history_events(self, convention):
        # The events of every version of the convention, each naming its version.
        return convention_history(convention)

    def view_on_site(self, obj):
        return reverse("funding:convention_detail", args=[obj.pk])

    @admin.display(description="état de la dernière version", ordering="current_state")
    def current_state_display(self, convention):
        if convention.current_state is None:
            return "—"
        return ConventionVersion.State(convention.current_state).label

    @admin.display(description="montant DINUM", ordering="current_cofinancing")
    def current_cofinancing_display(self, convention):
        if convention.current_cofinancing is None:
            return "—"
        return format_euros(convention.current_cofinancing)
