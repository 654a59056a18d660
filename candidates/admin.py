from django.contrib import admin

from candidates.models import CandidateCall
from eig.forms import AdminInputMixin


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
