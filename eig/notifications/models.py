from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Reminder(models.Model):
    """One reminder mailed to one person about one object for one due date.

    The unique constraint is the guarantee that a reminder goes out once: the row is written in
    the same transaction that marks it sent, so a beat tick that fires twice or a task retried
    by Celery finds it and sends nothing.
    """

    kind = models.CharField(_("type de relance"), max_length=64)
    object_type = models.CharField(_("type d'objet"), max_length=64)
    object_id = models.PositiveBigIntegerField(_("identifiant de l'objet"))
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("destinataire"),
        on_delete=models.CASCADE,
        related_name="reminders",
    )
    due_on = models.DateField(_("échéance"))
    sent_at = models.DateTimeField(_("envoyée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("relance")
        verbose_name_plural = _("relances")
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_type", "object_id", "recipient", "due_on"],
                name="reminder_sent_once",
            ),
        ]

    def __str__(self):
        return f"{self.kind} → {self.recipient} ({self.due_on:%d/%m/%Y})"
