from django.contrib import admin, messages
from django.template.defaultfilters import truncatechars

from eig.forms import AdminInputMixin
from eig.notifications.models import OutboxAttachment, OutboxMessage, Reminder
from eig.notifications.services import outbox_resend


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


class OutboxAttachmentInline(AdminInputMixin, admin.TabularInline):
    model = OutboxAttachment
    fields = ["filename", "mimetype", "size"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description="taille (octets)")
    def size(self, attachment):
        return len(attachment.content)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(AdminInputMixin, admin.ModelAdmin):
    """The outbox, read-only: what left, what waits and what failed, with the error. Staff
    put failed or pending mails back in the queue with "Renvoyer"."""

    list_display = [
        "created_at",
        "recipient_list",
        "subject",
        "state",
        "attempts",
        "sent_at",
        "error",
    ]
    list_filter = ["state", "template", "created_at"]
    search_fields = ["recipients", "subject"]
    date_hierarchy = "created_at"
    fields = [
        "recipients",
        "subject",
        "body",
        "template",
        "state",
        "attempts",
        "last_error",
        "created_at",
        "next_attempt_at",
        "sent_at",
        "idempotency_key",
    ]
    readonly_fields = fields
    inlines = [OutboxAttachmentInline]
    actions = ["resend"]

    @admin.display(description="destinataires")
    def recipient_list(self, message):
        return ", ".join(message.recipients)

    @admin.display(description="dernière erreur")
    def error(self, message):
        return truncatechars(message.last_error, 120)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_resend_permission(self, request):
        return request.user.has_perm("notifications.change_outboxmessage")

    @admin.action(description="Renvoyer les mails sélectionnés", permissions=["resend"])
    def resend(self, request, queryset):
        reset = outbox_resend(message_ids=queryset.values_list("pk", flat=True))
        for message, summary in reset:
            self.log_change(request, message, f"Renvoi demandé (auparavant : {summary}).")
        skipped = queryset.count() - len(reset)
        if reset:
            self.message_user(
                request,
                f"{len(reset)} mail(s) remis en file d'envoi, tentatives remises à zéro.",
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                f"{skipped} mail(s) ignoré(s) : déjà envoyés ou en cours d'envoi.",
                messages.WARNING,
            )
