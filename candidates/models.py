"""Calls for candidates (appels à candidatures): the programme's recruitment of its EIGs,
one or more per promotion, for the positions of the promotion's selected défis."""

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eig.jury.models import Jury
from eig.programme.models import Promotion


class CandidateCall(models.Model):
    """A call for candidates: candidates apply between `opens_at` and `closes_at`, instants
    stored in UTC and shown in Europe/Paris.

    The programme asked for the candidates' wishes (the défis they would join) in two ways,
    both kept: with the application itself (promotions 4 and 6), or from the pre-selected
    candidates only, after the pre-selection, until `wishes_closes_at` (promotion 5)."""

    class WishesTiming(models.TextChoices):
        WITH_APPLICATION = "with_application", _("Avec la candidature")
        AFTER_PRESELECTION = "after_preselection", _("Après la présélection")

    promotion = models.ForeignKey(
        Promotion,
        verbose_name=_("promotion"),
        on_delete=models.PROTECT,
        related_name="candidate_calls",
    )
    title = models.CharField(_("titre"), max_length=200)
    slug = models.SlugField(_("identifiant d'URL"), max_length=80, unique=True)
    description = models.TextField(_("présentation"), blank=True, max_length=10_000)
    eligibility = models.TextField(
        _("qui peut candidater"),
        blank=True,
        max_length=5_000,
        help_text=_("Conditions du règlement : expérience, nationalité, disponibilité…"),
    )
    opens_at = models.DateTimeField(_("ouverture"))
    closes_at = models.DateTimeField(_("clôture"))
    wishes_timing = models.CharField(
        _("vœux des candidats"),
        max_length=24,
        choices=WishesTiming.choices,
        default=WishesTiming.WITH_APPLICATION,
    )
    wishes_closes_at = models.DateTimeField(
        _("clôture des vœux"),
        null=True,
        blank=True,
        help_text=_("Seulement quand les vœux sont demandés après la présélection."),
    )
    anonymous = models.BooleanField(
        _("présélection anonyme"),
        default=False,
        help_text=_("Les jurés de la présélection ne voient ni le nom ni les coordonnées."),
    )
    jury = models.OneToOneField(
        Jury,
        verbose_name=_("jury"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="candidate_call",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("appel à candidatures")
        verbose_name_plural = _("appels à candidatures")
        ordering = ["-closes_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                name="candidatecall_closes_after_opening",
                violation_error_message=_("La clôture doit suivre l'ouverture de l'appel."),
            ),
            # Wishes asked after the pre-selection need their own deadline, after the
            # applications'; wishes given with the application have none.
            models.CheckConstraint(
                condition=models.Q(wishes_timing="with_application", wishes_closes_at__isnull=True)
                | models.Q(
                    # Not NULL said aloud: a CHECK lets a NULL comparison through.
                    wishes_timing="after_preselection",
                    wishes_closes_at__isnull=False,
                    wishes_closes_at__gt=models.F("closes_at"),
                ),
                name="candidatecall_wishes_deadline",
                violation_error_message=_(
                    "Des vœux demandés après la présélection ont leur propre clôture, après "
                    "celle des candidatures ; des vœux donnés avec la candidature n'en ont pas."
                ),
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("candidates:call_detail", kwargs={"slug": self.slug})

    def is_open(self, now=None) -> bool:
        """Open from opens_at included to closes_at excluded: at the closing instant the call
        is closed (the same rule as the calls for projects)."""
        now = now or timezone.now()
        return self.opens_at <= now < self.closes_at

    @property
    def wishes_with_application(self) -> bool:
        return self.wishes_timing == self.WishesTiming.WITH_APPLICATION
