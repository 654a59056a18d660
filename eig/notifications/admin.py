from django.contrib import admin

from eig.forms import AdminInputMixin
from eig.notifications.models import Reminder


@admin.register(Reminder)
class ReminderAdmin(AdminInputMixin, admin.ModelAdmin):
    list_display = ["kind", "object_type", "object_id", "recipient", "due_on", "sent_at"]
    list_filter = ["kind", "due_on"]
    search_fields = ["recipient__email", "kind"]
    list_select_related = ["recipient"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
