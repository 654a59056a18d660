from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Reminder(models.Model):
    """One reminder mailed to one person about one object for one due date.

    The unique constraint is the guarantee that a reminder is written once: the row is
    inserted in the same transaction as its outbox mail, so a beat tick that fires twice or a
    task retried by Celery finds it and writes nothing. The outbox delivers the mail at least
    once (see `eig.notifications.services`); `sent_at` is when the reminder was written.
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


class OutboxMessage(models.Model):
    """One mail of the platform, written in the transaction that causes it and sent later.

    A row is the mail itself (recipients, subject, body, attachments), rendered once: a retry
    or a resend sends exactly the same text. `outbox_send` sends a pending row and marks it
    sent in one transaction that holds the row's lock; a beat sweep picks up rows whose task
    was never queued (broker down) or was lost.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("En attente")
        SENT = "sent", _("Envoyé")
        FAILED = "failed", _("Échec")

    recipients = ArrayField(models.TextField(), verbose_name=_("destinataires"))
    # Written by the platform, never typed: the bounds say what a sane mail is (subjects come
    # from one-line titles, bodies from templates), and the outbox admin shows them read-only.
    subject = models.TextField(_("objet"), validators=[MaxLengthValidator(1_000)])
    body = models.TextField(_("texte"), validators=[MaxLengthValidator(200_000)])
    template = models.CharField(_("modèle"), max_length=100, blank=True)
    state = models.CharField(
        _("état"), max_length=16, choices=State.choices, default=State.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    last_error = models.TextField(
        _("dernière erreur"), blank=True, validators=[MaxLengthValidator(2_000)]
    )
    # Set by a caller that must never queue the same mail twice (a reminder): unique.
    idempotency_key = models.CharField(
        _("clé d'unicité"), max_length=255, unique=True, null=True, blank=True
    )
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    # The sweep leaves a row alone before this instant: its task is on its way, or waits
    # for its back-off after a failed attempt.
    next_attempt_at = models.DateTimeField(_("prochaine tentative après"), default=timezone.now)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("mail (boîte d'envoi)")
        verbose_name_plural = _("boîte d'envoi")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(state="pending"),
                name="outbox_pending_due",
            )
        ]

    def __str__(self):
        return f"{self.subject} → {', '.join(self.recipients)}"


class OutboxAttachment(models.Model):
    """A file sent with an outbox mail (a convention's PDF, a convocation's .ics), kept in the
    database so that the mail can be sent again exactly as it was written."""

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(_("nom du fichier"), max_length=255)
    content = models.BinaryField(_("contenu"))
    mimetype = models.CharField(_("type"), max_length=100)

    class Meta:
        verbose_name = _("pièce jointe")
        verbose_name_plural = _("pièces jointes")
        ordering = ["message", "pk"]

    def __str__(self):
        return self.filename
