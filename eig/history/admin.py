"""The history in the admin: a read-only block on the change page of each model that has
one, through `HistoryMixin`. No admin of its own: history is read per object."""

from django.utils.translation import gettext_lazy as _

from eig.history.selectors import history_for


class HistoryMixin:
    """Shows the object's history under its change form (`templates/admin/history_block.html`
    includes the shared `history/events.html`)."""

    change_form_template = "admin/history_change_form.html"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        obj = self.get_object(request, object_id)
        if obj is not None:
            events = list(self.history_events(obj))
            extra_context["history_events"] = events
            # A history gathered over several objects names each event's object.
            extra_context["history_show_subject"] = any(
                hasattr(event, "subject_label") for event in events
            )
            extra_context["history_title"] = _("Historique")
        return super().change_view(request, object_id, form_url, extra_context)

    def history_events(self, obj):
        return history_for(obj)
