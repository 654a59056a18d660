"""Conventions between DINUM and the administrations that host EIGs, their versions (the
initial text, then avenants), their signatures and the promotion's budget they commit."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eig.programme.models import (
    MONEY,
    Administration,
    FundingRule,
    Promotion,
    SalaryBand,
    Specialty,
    WorkTime,
)
from projects.models import Defi, DefiPosition


class Convention(models.Model):
    """One convention per promotion and signatory administration: the porteur administratif
    that receives the credits (a ministry for its operators' défis), or the partner
    administration when DINUM pays everything (P7). Its lines are the EIGs it finances."""

    promotion = models.ForeignKey(
        Promotion, verbose_name=_("promotion"), on_delete=models.PROTECT, related_name="conventions"
    )
    administration = models.ForeignKey(
        Administration,
        verbose_name=_("administration signataire"),
        on_delete=models.PROTECT,
        related_name="conventions",
    )
    kind = models.CharField(_("type"), max_length=12, choices=FundingRule.ConventionKind.choices)
    reference = models.CharField(_("référence"), max_length=40, unique=True)
    budget_programme = models.CharField(
        _("programme budgétaire destinataire"), max_length=4, blank=True
    )
    signatory = models.CharField(
        _("signataire pour l'administration (fonction et nom)"), max_length=200, blank=True
    )
    dinum_signatory = models.CharField(
        _("signataire pour la DINUM (fonction et nom)"), max_length=200, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)

    class Meta:
        verbose_name = _("convention")
        verbose_name_plural = _("conventions")
        ordering = ["promotion", "reference"]
        constraints = [
            models.UniqueConstraint(
                fields=["promotion", "administration"],
                name="convention_one_per_administration",
                violation_error_message=_(
                    "Cette administration a déjà une convention pour cette promotion."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.reference} – {self.administration}"


class ConventionLine(models.Model):
    """One EIG the convention finances: the défi's position until an EIG is placed in it,
    with the salary band and work time that set its cost."""

    convention = models.ForeignKey(Convention, on_delete=models.PROTECT, related_name="lines")
    defi = models.ForeignKey(
        Defi, verbose_name=_("défi"), on_delete=models.PROTECT, related_name="convention_lines"
    )
    position = models.ForeignKey(
        DefiPosition, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rank = models.PositiveSmallIntegerField(_("numéro"))
    specialty = models.CharField(_("métier"), max_length=32, choices=Specialty.choices)
    salary_band = models.ForeignKey(
        SalaryBand, verbose_name=_("tranche"), on_delete=models.PROTECT, related_name="+"
    )
    work_time = models.PositiveSmallIntegerField(
        _("quotité de travail"), choices=WorkTime.choices, default=WorkTime.FULL
    )

    class Meta:
        verbose_name = _("EIG financé")
        verbose_name_plural = _("EIG financés")
        ordering = ["convention", "defi__title", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["convention", "defi", "rank"], name="conventionline_rank_unique"
            ),
        ]

    def __str__(self):
        return f"{self.defi} – EIG {self.rank}"


class ConventionVersion(models.Model):
    """A text of the convention as sent for signature: version 1 is the convention, a later
    version is an avenant once an earlier one was in force. Each keeps its amounts, its
    content (what the PDF says) and its PDF; a version never changes once sent."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        SENT = "sent", _("Envoyée pour signature")
        SIGNED_ADMIN = "signed_admin", _("Signée par l'administration")
        SIGNED_DINUM = "signed_dinum", _("Signée par la DINUM")
        IN_FORCE = "in_force", _("En vigueur")
        SUPERSEDED = "superseded", _("Remplacée")

    class Action(models.TextChoices):
        """What a version's history events say (`eig.history`). A move of state is named
        by the state it reaches."""

        DRAFT = "draft", _("Convention préparée")
        SENT = "sent", _("Convention envoyée")
        SIGNED_ADMIN = "signed_admin", _("Signée par l'administration")
        SIGNED_DINUM = "signed_dinum", _("Signée par la DINUM")
        IN_FORCE = "in_force", _("Entrée en vigueur")
        SUPERSEDED = "superseded", _("Remplacée")
        # A draft rewritten in place (bands, work times), and a line taken out of it.
        REWRITTEN = "rewritten", _("Brouillon réécrit")
        LINE_REMOVED = "line_removed", _("Ligne retirée")
        SIGNATORIES_CHANGED = "signatories_changed", _("Signataires modifiés")

    convention = models.ForeignKey(Convention, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveSmallIntegerField(_("version"))
    amendment = models.PositiveSmallIntegerField(
        _("avenant n°"), null=True, blank=True, help_text=_("Vide pour la convention initiale.")
    )
    state = models.CharField(_("état"), max_length=16, choices=State.choices, default=State.DRAFT)
    reason = models.TextField(_("motif de la modification"), blank=True, max_length=1000)
    eig_count = models.PositiveSmallIntegerField(_("nombre d'EIG"))
    total_cost = models.DecimalField(_("coût total employeur (€)"), **MONEY)
    cofinancing = models.DecimalField(_("montant pris en charge par la DINUM (€)"), **MONEY)
    content = models.JSONField(_("contenu"), default=dict)
    pdf = models.FileField(_("PDF"), upload_to="conventions/", blank=True)
    checksum = models.CharField(_("empreinte SHA-256"), max_length=64, blank=True)
    rendered_at = models.DateTimeField(_("produit le"), null=True, blank=True)
    signed_pdf = models.FileField(_("PDF signé"), upload_to="conventions/signees/", blank=True)
    signed_checksum = models.CharField(_("empreinte du PDF signé"), max_length=64, blank=True)
    sent_at = models.DateTimeField(_("envoyée le"), null=True, blank=True)
    signed_admin_at = models.DateTimeField(
        _("signée par l'administration le"), null=True, blank=True
    )
    signed_dinum_at = models.DateTimeField(_("signée par la DINUM le"), null=True, blank=True)
    in_force_on = models.DateField(_("en vigueur le"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)

    AWAITING_SIGNATURE = (State.SENT, State.SIGNED_ADMIN, State.SIGNED_DINUM)

    class Meta:
        verbose_name = _("version de convention")
        verbose_name_plural = _("versions de convention")
        ordering = ["convention", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["convention", "number"], name="conventionversion_number_unique"
            ),
        ]

    def __str__(self):
        return f"{self.convention.reference} – {self.title}"

    @property
    def title(self) -> str:
        if self.amendment:
            return f"avenant n° {self.amendment}"
        return f"version {self.number}" if self.number > 1 else "convention initiale"

    # "avenant" is masculine, "version" and "convention" feminine: sentences take the
    # article and the agreement from here rather than writing "la {{ title }}".
    @property
    def the_title(self) -> str:
        """ "la convention initiale", "la version 2", "l'avenant n° 1"."""
        return f"l'{self.title}" if self.amendment else f"la {self.title}"

    @property
    def of_title(self) -> str:
        """ "de la version 2", "de l'avenant n° 1"."""
        return f"de {self.the_title}"

    @property
    def agreement(self) -> str:
        """The past participle's ending: "envoyée" for a version, "envoyé" for an avenant."""
        return "" if self.amendment else "e"
