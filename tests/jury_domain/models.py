"""An application to a call, and the jury engine's concrete models for it.

The related names differ from the défi's on purpose (`jury_evaluations`, `jury_reviews`…):
an engine that spelled out the défi's would fail here.
"""

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models

from eig.jury.models import (
    AbstractConflict,
    AbstractEvaluation,
    AbstractReview,
    AbstractScore,
    Jury,
)
from eig.programme.models import Specialty


class EntryCall(models.Model):
    title = models.CharField("titre", max_length=200)
    closes_at = models.DateTimeField("clôture")
    jury = models.OneToOneField(
        Jury, on_delete=models.SET_NULL, null=True, blank=True, related_name="entry_call"
    )

    def __str__(self):
        return self.title


class Entry(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", "Brouillon"
        SUBMITTED = "submitted", "Déposée"
        SHORTLISTED = "shortlisted", "Présélectionnée"
        SELECTED = "selected", "Retenue"
        WAITING_LIST = "waiting_list", "Sur liste d'attente"
        NOT_SELECTED = "not_selected", "Non retenue"
        WITHDRAWN = "withdrawn", "Retirée"

    class Action(models.TextChoices):
        """What an entry's history events say (`eig.history`)."""

        SUBMITTED = "submitted", "Dépôt"
        JURY = "jury", "Décision de sélection"

    call = models.ForeignKey(EntryCall, on_delete=models.PROTECT, related_name="entries")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    full_name = models.CharField("nom complet", max_length=200)
    email = models.EmailField("adresse électronique")
    specialty = models.CharField("métier", max_length=32, choices=Specialty.choices)
    years_of_experience = models.PositiveSmallIntegerField("années d'expérience", default=3)
    motivation = models.TextField("motivation", blank=True, validators=[MaxLengthValidator(2000)])
    state = models.CharField("état", max_length=16, choices=State.choices, default=State.DRAFT)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        # Who applied: what an anonymous jury must never show its jurors.
        return self.full_name

    @property
    def specialty_label(self) -> str:
        return self.get_specialty_display()


class EntryConflict(AbstractConflict):
    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="jury_conflicts")

    class Meta(AbstractConflict.Meta):
        constraints = [
            models.UniqueConstraint(fields=["member", "entry"], name="entryconflict_unique")
        ]


class EntryEvaluation(AbstractEvaluation):
    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="jury_evaluations")

    class Meta(AbstractEvaluation.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["stage", "member", "entry"], name="entryevaluation_unique"
            )
        ]


class EntryScore(AbstractScore):
    evaluation = models.ForeignKey(EntryEvaluation, on_delete=models.PROTECT, related_name="scores")

    class Meta(AbstractScore.Meta):
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "criterion"], name="entryscore_unique")
        ]


class EntryReview(AbstractReview):
    entry = models.ForeignKey(
        Entry,
        on_delete=models.PROTECT,
        related_name="jury_reviews",
        related_query_name="jury_review",
    )

    class Meta(AbstractReview.Meta):
        constraints = [
            models.UniqueConstraint(fields=["stage", "entry"], name="entryreview_unique")
        ]

    def __str__(self):
        return str(self.entry)
