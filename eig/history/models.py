"""One history for every state change of every kind of object.

An `Event` points at its subject through a content type and an id, not a foreign key:
deleting a subject (or anything above it) never deletes its history, and one table serves
défis, evaluations, reviews, conventions, memberships and what comes next. Each app names
its actions in French once, in the registry of `eig.history.labels`.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eig.history import labels

NOTE_MAX = 500


class Event(models.Model):
    subject_type = models.ForeignKey(
        ContentType, verbose_name=_("type d'objet"), on_delete=models.PROTECT, related_name="+"
    )
    subject_id = models.PositiveBigIntegerField(_("identifiant de l'objet"))
    subject = GenericForeignKey("subject_type", "subject_id")
    # A short code, named in French by the subject's app (`labels.register`).
    action = models.CharField(_("action"), max_length=32)
    from_state = models.CharField(_("état précédent"), max_length=32, blank=True)
    to_state = models.CharField(_("nouvel état"), max_length=32, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("le"), default=timezone.now)
    note = models.CharField(_("motif"), max_length=NOTE_MAX, blank=True)
    # Small extra facts (a version number, a slot's time…), never a copy of the subject.
    data = models.JSONField(_("détails"), default=dict, blank=True)

    class Meta:
        verbose_name = _("événement")
        verbose_name_plural = _("historique")
        ordering = ["at", "pk"]
        indexes = [
            # The history of one object.
            models.Index(fields=["subject_type", "subject_id", "at"], name="event_subject_at"),
            # The latest events of a kind ("every decision of this week").
            models.Index(fields=["subject_type", "action", "-at"], name="event_kind_action_at"),
        ]

    def __str__(self):
        return self.get_action_display()

    @property
    def subject_model(self):
        # The selectors select the content type with the event: no query per row.
        return self.subject_type.model_class()

    def get_action_display(self) -> str:
        return labels.action_label(self.subject_model, self.action)

    def get_from_state_display(self) -> str:
        return labels.state_label(self.subject_model, self.from_state)

    def get_to_state_display(self) -> str:
        return labels.state_label(self.subject_model, self.to_state)
