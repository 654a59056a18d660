from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.loader import render_to_string
from django.template.response import TemplateResponse

from eig.exceptions import DomainError
from eig.forms import AdminInputMixin
from eig.programme.costs import FULL_TIME, PART_TIME, position_cost
from eig.programme.forms import FundingPresetChoiceForm, FundingRuleAdminForm, SalaryBandFormSet
from eig.programme.models import (
    Administration,
    ContractFrame,
    FundingRule,
    Promotion,
    SalaryBand,
)
from eig.programme.money import format_quantity
from eig.programme.presets import funding_presets, promotion_apply_funding_preset
from eig.programme.selectors import rules_for_promotion


@admin.register(Administration)
class AdministrationAdmin(AdminInputMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "siret", "parent", "budget_programme", "town"]
    list_filter = ["kind"]
    search_fields = ["name", "siret", "town"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]


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
