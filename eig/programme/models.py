from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eig.programme import french
from eig.programme.money import format_quantity
from eig.programme.validators import (
    validate_budget_programme,
    validate_email_domain,
    validate_siret,
)


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

    class Article(models.TextChoices):
        LE = french.LE, _("le (le ministère…, du ministère…, au ministère…)")
        LA = french.LA, _("la (la direction…, de la direction…, à la direction…)")
        ELIDED = french.ELIDED, _("l’ (l’agence…, de l’agence…, à l’agence…)")
        LES = french.LES, _("les (les Archives nationales…, des Archives…, aux Archives…)")
        NONE = french.NO_ARTICLE, _("aucun (Pôle emploi, de Pôle emploi, à Pôle emploi)")

    name = models.CharField(_("nom"), max_length=255)
    # Phrases name the administration after « de » or « à » (« membre du ministère de la
    # Culture »): the article cannot be read reliably off the name, so it is stored.
    article = models.CharField(
        _("article"),
        max_length=5,
        choices=Article.choices,
        blank=True,
        help_text=_(
            "L’article que prend le nom dans une phrase. Laissé vide, il est déduit du nom "
            "(« Ministère… » : le, « Direction… » : la, voyelle : l’)."
        ),
    )
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
    email_domains = ArrayField(
        models.CharField(max_length=253, validators=[validate_email_domain]),
        verbose_name=_("domaines des adresses e-mail"),
        default=list,
        blank=True,
        help_text=_(
            "Séparés par des virgules, par exemple « culture.gouv.fr ». Un agent dont une "
            "adresse vérifiée est exactement sur l'un de ces domaines devient membre sans "
            "attendre d'approbation ; les sous-domaines se listent à part."
        ),
    )
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

    def fill_article(self) -> None:
        """An article left empty is guessed from the name; staff correct it in the admin."""
        if not self.article:
            self.article = french.guess_article(self.name)

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


class AdministrationMembership(models.Model):
    """That a person works for an administration. It starts as a request; it is verified by
    an e-mail address on one of the administration's domains, by a verified member, by staff
    (or was migrated). `User.administration` mirrors the one verified membership, so that
    every check on it means "verified member". Ended and refused rows stay as history."""

    class State(models.TextChoices):
        REQUESTED = "requested", _("Demande en attente")
        VERIFIED = "verified", _("Membre vérifié")
        REFUSED = "refused", _("Demande refusée")
        ENDED = "ended", _("Terminé")

    class Via(models.TextChoices):
        DOMAIN = "domain", _("Adresse e-mail vérifiée sur un domaine de l'administration")
        MEMBER = "member", _("Approuvé par un membre de l'administration")
        STAFF = "staff", _("Approuvé par l'équipe du programme")
        CREATED = "created", _("A inscrit l'administration")
        INVITATION = "invitation", _("Invité à co-rédiger un défi par un membre")
        MIGRATED = "migrated", _("Rattachement antérieur repris")

    class Action(models.TextChoices):
        """What a membership's history events say (`eig.history`)."""

        REQUESTED = "requested", _("Demande")
        VERIFIED = "verified", _("Vérification")
        REFUSED = "refused", _("Refus")
        ENDED = "ended", _("Fin du rattachement")
        SIGNATORY_SET = "signatory_set", _("Désigné signataire")
        SIGNATORY_UNSET = "signatory_unset", _("Retiré des signataires")

    OPEN_STATES = (State.REQUESTED, State.VERIFIED)

    # Kept (without the person) when the account is erased: the administration's history
    # still says that someone was a member, and who decided.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("personne"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="memberships",
    )
    administration = models.ForeignKey(
        Administration,
        verbose_name=_("administration"),
        # A record: an administration with memberships is not deleted (see the cascade test).
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    state = models.CharField(
        _("état"), max_length=12, choices=State.choices, default=State.REQUESTED
    )
    verified_via = models.CharField(
        _("vérifié par"), max_length=12, choices=Via.choices, blank=True
    )
    is_signatory = models.BooleanField(
        _("signataire"),
        default=False,
        help_text=_("Signe les conventions de l'administration (dépose le PDF signé)."),
    )
    note = models.CharField(_("message de la demande"), max_length=500, blank=True)
    requested_at = models.DateTimeField(_("demandé le"), default=timezone.now)
    decided_at = models.DateTimeField(_("décidé le"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("décidé par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    ended_at = models.DateTimeField(_("terminé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("rattachement à une administration")
        verbose_name_plural = _("rattachements aux administrations")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(state__in=["requested", "verified"]),
                name="membership_one_open_per_user",
                violation_error_message=_(
                    "Cette personne a déjà une demande ou un rattachement en cours."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(is_signatory=False) | models.Q(state="verified"),
                name="membership_signatory_is_verified",
                violation_error_message=_("Seul un membre vérifié peut être signataire."),
            ),
        ]

    def __str__(self):
        return f"{self.user or 'Compte supprimé'} – {self.administration}"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES


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
    description = models.TextField(_("présentation"), blank=True, max_length=10_000)

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


# --- Funding rules, per promotion -----------------------------------------------------------
# The programme changed its salary and co-financing rules nearly every year
# (reference/eig/programme_rules.json). They are data that staff edit in the admin, and the
# pure computations in `eig/programme/costs.py` read them; no code branches on a year.

RATE = {"max_digits": 5, "decimal_places": 4}
MONEY = {"max_digits": 12, "decimal_places": 2}


class WorkTime(models.IntegerChoices):
    """Quotité de travail, in percent: full time, or 4/5 where the contract frame allows it."""

    FULL = 100, _("Temps plein")
    PART = 80, _("Temps partiel à 4/5")


class SalaryBand(models.Model):
    """One band of a promotion's salary grid: from `min_years` complete years of experience
    (included) up to the next band. P5: 0 → 3 500 €, 6 → 4 000 € ("au-delà de 5 ans")."""

    promotion = models.ForeignKey(Promotion, on_delete=models.CASCADE, related_name="salary_bands")
    label = models.CharField(_("intitulé"), max_length=120)
    min_years = models.PositiveSmallIntegerField(
        _("à partir de (années d'expérience)"),
        default=0,
        help_text=_(
            "Années complètes d'expérience, bornes incluses ; la première tranche part de 0."
        ),
    )
    net_monthly = models.DecimalField(
        _("salaire net mensuel (€)"),
        **MONEY,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    variable_rate = models.DecimalField(
        _("part variable"),
        **RATE,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text=_("En fraction du salaire fixe : 0,06 pour 6 %."),
    )

    class Meta:
        verbose_name = _("tranche de la grille salariale")
        verbose_name_plural = _("grille salariale")
        ordering = ["promotion", "min_years"]
        constraints = [
            models.UniqueConstraint(
                fields=["promotion", "min_years"],
                name="salaryband_min_years_unique",
                violation_error_message=_("Deux tranches commencent à la même expérience."),
            ),
        ]

    def __str__(self):
        return self.label


class ContractFrame(models.Model):
    """How the promotion's EIGs are hired: a 10-month CDD with the host administration
    (P1–P6), or a DINUM project contract of 12 months, renewable, full time or 4/5 (P7)."""

    class Kind(models.TextChoices):
        FIXED_TERM = "cdd", _("Contrat à durée déterminée")
        PROJECT = "projet", _("Contrat de projet")

    class Employer(models.TextChoices):
        HOST = "accueil", _("L'administration d'accueil")
        DINUM = "dinum", _("La DINUM (mise à disposition par lettre de mission)")

    promotion = models.OneToOneField(
        Promotion, on_delete=models.CASCADE, related_name="contract_frame"
    )
    kind = models.CharField(_("type de contrat"), max_length=8, choices=Kind.choices)
    employer = models.CharField(
        _("employeur"), max_length=8, choices=Employer.choices, default=Employer.HOST
    )
    duration_months = models.DecimalField(
        _("durée (mois)"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("36"))],
    )
    renewable = models.BooleanField(_("renouvelable"), default=False)
    allows_part_time = models.BooleanField(
        _("temps partiel à 4/5 possible"),
        default=False,
        help_text=_("Sinon, les EIG sont recrutés à temps plein."),
    )
    start_date = models.DateField(_("début"), null=True, blank=True)
    end_date = models.DateField(
        _("fin"), null=True, blank=True, help_text=_("Vide pour des arrivées au fil de l'eau.")
    )

    class Meta:
        verbose_name = _("cadre contractuel")
        verbose_name_plural = _("cadres contractuels")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(start_date__isnull=True)
                | models.Q(end_date__gt=models.F("start_date")),
                name="contractframe_period_ordered",
                violation_error_message=_("La fin du contrat doit suivre son début."),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} de {format_quantity(self.duration_months)} mois"


class FundingRule(models.Model):
    """How a net salary becomes the employer's total cost, and what share of it the
    programme pays, for one promotion."""

    class Kind(models.TextChoices):
        SHARE = "part", _("Part du coût total employeur")
        MONTHS = "mois", _("Nombre de mois de coût employeur")
        FLAT = "forfait", _("Forfait par EIG")
        FULL = "integral", _("Prise en charge intégrale par la DINUM")
        NONE = "aucun", _("Pas de co-financement")

    class ConventionKind(models.TextChoices):
        BUDGETARY = "budgetaire", _("Convention de financement (budgétaire)")
        PARTNERSHIP = "partenariat", _("Convention de partenariat")

    promotion = models.OneToOneField(
        Promotion, on_delete=models.CASCADE, related_name="funding_rule"
    )
    employee_rate = models.DecimalField(
        _("taux de cotisations salariales"),
        **RATE,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("0.9"))],
        help_text=_("Brut = net ÷ (1 − ce taux). 0,21 pour 21 %."),
    )
    employer_rate = models.DecimalField(
        _("taux de cotisations patronales"),
        **RATE,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("2"))],
        help_text=_("Coût employeur = brut × (1 + ce taux). 0,37 pour 37 %."),
    )
    kind = models.CharField(_("règle de co-financement"), max_length=8, choices=Kind.choices)
    share = models.DecimalField(
        _("part prise en charge"),
        **RATE,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text=_("Pour une part du coût total : 0,70 pour 70 %."),
    )
    months = models.DecimalField(
        _("mois financés"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.5"))],
        help_text=_("Pour un nombre de mois de coût employeur."),
    )
    flat_amount = models.DecimalField(
        _("forfait par EIG (€)"),
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    convention_kind = models.CharField(
        _("convention"), max_length=12, choices=ConventionKind.choices
    )
    source_programme = models.CharField(
        _("programme budgétaire de la DINUM"),
        max_length=120,
        blank=True,
        help_text=_("« 352 – Fonds pour l'accélération des start-up d'État »."),
    )
    payment_terms = models.TextField(
        _("modalités de versement"),
        blank=True,
        max_length=3000,
        help_text=_("Reprises dans l'article « Modalités financières » de la convention."),
    )
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("règle de financement")
        verbose_name_plural = _("règles de financement")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="part") | models.Q(share__isnull=False),
                name="fundingrule_share_set",
                violation_error_message=_("Indiquez la part prise en charge."),
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="mois") | models.Q(months__isnull=False),
                name="fundingrule_months_set",
                violation_error_message=_("Indiquez le nombre de mois financés."),
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="forfait") | models.Q(flat_amount__isnull=False),
                name="fundingrule_flat_set",
                violation_error_message=_("Indiquez le forfait par EIG."),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} – {self.promotion}"


class FaqEntry(models.Model):
    """A question of the programme's FAQ, for administrations or for candidates, as the
    programme's site published it (`reference/eig/faq.json`); staff edit them in the admin.
    The answer is HTML, sanitised when printed (the `faq_answer` filter,
    `templatetags/faq.py`)."""

    class Audience(models.TextChoices):
        ADMINISTRATIONS = "administrations", _("Administrations")
        CANDIDATES = "candidats", _("Candidats")

    audience = models.CharField(_("public"), max_length=20, choices=Audience.choices)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)
    question = models.CharField(_("question"), max_length=300)
    answer_html = models.TextField(_("réponse (HTML)"), max_length=10_000)
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("question fréquente")
        verbose_name_plural = _("questions fréquentes")
        ordering = ["audience", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["audience", "question"], name="faqentry_question_unique"
            ),
        ]

    def __str__(self):
        return self.question
