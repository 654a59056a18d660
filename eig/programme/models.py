from django.db import models
from django.utils.translation import gettext_lazy as _

from eig.programme.validators import validate_budget_programme, validate_siret


class Specialty(models.TextChoices):
    """The programme's métiers, shared by défi profiles, candidates and missions."""

    DEVELOPMENT = "developpement", _("Développement")
    DATA_SCIENCE = "data_science", _("Data science")
    DATA_ENGINEERING = "data_engineering", _("Data engineering")
    DESIGN = "design", _("Design")
    DIGITAL_LAW = "droit_numerique", _("Droit du numérique")
    GEOMATICS = "geomatique", _("Géomatique")
    PRODUCT = "direction_produit", _("Direction de produit")
    TECHNICAL = "direction_technique", _("Direction technique")
    IMPACT = "direction_impact", _("Direction de l'impact")


class Administration(models.Model):
    class Kind(models.TextChoices):
        MINISTRY = "ministere", _("Ministère ou administration centrale")
        OPERATOR = "operateur", _("Opérateur de l'État")
        DECENTRALISED = "deconcentre", _("Service déconcentré")
        INDEPENDENT_AUTHORITY = "aai", _("Autorité administrative indépendante")
        LOCAL_AUTHORITY = "collectivite", _("Collectivité territoriale")
        HEALTH = "sante", _("Établissement de santé")
        OTHER = "autre", _("Autre organisme public")

    name = models.CharField(_("nom"), max_length=255)
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices, default=Kind.OTHER)
    siret = models.CharField(
        _("SIRET"),
        max_length=14,
        blank=True,
        validators=[validate_siret],
        help_text=_("14 chiffres, clé de contrôle vérifiée."),
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("ministère de rattachement"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
        limit_choices_to={"kind": Kind.MINISTRY},
    )
    budget_programme = models.CharField(
        _("programme budgétaire"),
        max_length=4,
        blank=True,
        validators=[validate_budget_programme],
        help_text=_(
            "Numéro LOLF du programme qui porte les crédits ; il rend l'administration "
            "éligible au co-financement direct."
        ),
    )
    town = models.CharField(_("ville"), max_length=120, blank=True)
    website = models.URLField(_("site web"), blank=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("administration")
        verbose_name_plural = _("administrations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["siret"],
                condition=~models.Q(siret=""),
                name="administration_siret_unique",
                violation_error_message=_("Une administration avec ce SIRET existe déjà."),
            ),
            models.UniqueConstraint(fields=["name"], name="administration_name_unique"),
        ]

    def __str__(self):
        return self.name

    @property
    def receives_cofinancing_directly(self) -> bool:
        """Only an administration that holds a budget programme can receive DINUM's
        co-financing itself; an operator receives it through its ministry."""
        return bool(self.budget_programme)

    @property
    def ministry(self) -> "Administration | None":
        if self.kind == self.Kind.MINISTRY:
            return self
        return self.parent


class Promotion(models.Model):
    """A yearly cohort of EIGs (promotion 1 in 2017 … promotion 7), and its mission period and
    budget. The label is "Promotion 4", or "DIG" for the 2019 Défis d'intérêt général."""

    code = models.SlugField(_("code"), max_length=16, unique=True, help_text=_("« 4 », « dig »"))
    number = models.PositiveSmallIntegerField(_("numéro"), null=True, blank=True)
    name = models.CharField(_("nom"), max_length=120)
    year = models.PositiveSmallIntegerField(_("année"))
    mission_start = models.DateField(_("début des missions"), null=True, blank=True)
    mission_end = models.DateField(_("fin des missions"), null=True, blank=True)
    budget_envelope = models.DecimalField(
        _("enveloppe budgétaire (€)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    description = models.TextField(_("présentation"), blank=True)

    class Meta:
        verbose_name = _("promotion")
        verbose_name_plural = _("promotions")
        ordering = ["-year", "-number"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(mission_end__isnull=True)
                | models.Q(mission_start__isnull=True)
                | models.Q(mission_end__gt=models.F("mission_start")),
                name="promotion_mission_period_ordered",
                violation_error_message=_("La fin des missions doit suivre leur début."),
            ),
        ]

    def __str__(self):
        return self.name
