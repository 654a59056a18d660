from django.contrib import admin

from eig.programme.models import Administration, Promotion


@admin.register(Administration)
class AdministrationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "siret", "parent", "budget_programme", "town"]
    list_filter = ["kind"]
    search_fields = ["name", "siret", "town"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]


@admin.register(Promotion)
class PromotionAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "year", "mission_start", "mission_end", "budget_envelope"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}
