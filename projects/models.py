import secrets

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eig.jury.models import (
    AbstractConflict,
    AbstractEvaluation,
    AbstractReview,
    AbstractScore,
    Jury,
)
from eig.programme.models import Administration, Promotion, SalaryBand, Specialty, WorkTime

# The real "fiche détaillée" limited answers in lines of a Word document; online we count
# characters, at about a hundred per line.
LINES_2 = 200
LINES_3 = 300
LINES_5 = 500
LINES_10 = 1000
LINES_15 = 1500


def _text(verbose_name, max_length, help_text=""):
    """A free-text answer of the défi form, limited like the real form was."""
    return models.TextField(
        verbose_name,
        blank=True,
        help_text=help_text,
        validators=[MaxLengthValidator(max_length)],
        db_comment=f"max {max_length} caractères",
    )


class ProjectCall(models.Model):
    """A call for projects (appel à projets): administrations submit défis between opens_at
    and closes_at, both instants stored in UTC and shown in Europe/Paris."""

    promotion = models.ForeignKey(
        Promotion, verbose_name=_("promotion"), on_delete=models.PROTECT, related_name="calls"
    )
    title = models.CharField(_("titre"), max_length=200)
    slug = models.SlugField(_("identifiant d'URL"), max_length=80, unique=True)
    description = models.TextField(_("présentation"), blank=True, max_length=10_000)
    opens_at = models.DateTimeField(_("ouverture"))
    closes_at = models.DateTimeField(_("clôture"))
    jury = models.OneToOneField(
        Jury,
        verbose_name=_("jury"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="project_call",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("appel à projets")
        verbose_name_plural = _("appels à projets")
        ordering = ["-closes_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                name="projectcall_closes_after_opening",
                violation_error_message=_("La clôture doit suivre l'ouverture de l'appel."),
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("projects:call_detail", kwargs={"slug": self.slug})

    def is_open(self, now=None) -> bool:
        """Open from opens_at included to closes_at excluded: at the closing instant the call
        is closed."""
        now = now or timezone.now()
        return self.opens_at <= now < self.closes_at


class Defi(models.Model):
    """A digital challenge submitted by an administration to a call for projects.

    The fields follow the sections of the real application form (fiche détaillée, promotions
    3 to 7). Drafts may leave them blank; `selectors.defi_missing_sections` says what a
    submission still lacks.
    """

    class State(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        SUBMITTED = "submitted", _("Déposé")
        WITHDRAWN = "withdrawn", _("Retiré")
        # Reached through selection (the jury's decisions); the public catalogue lists the
        # selected ones.
        SHORTLISTED = "shortlisted", _("Présélectionné pour audition")
        SELECTED = "selected", _("Retenu")
        WAITING_LIST = "waiting_list", _("Liste d'attente")
        NOT_SELECTED = "not_selected", _("Non retenu")

    class Action(models.TextChoices):
        """What the défi's history events say (`eig.history`): the moves of its state."""

        CREATED = "created", _("Création")
        SUBMITTED = "submitted", _("Dépôt")
        REOPENED = "reopened", _("Réouverture pour modification")
        WITHDRAWN = "withdrawn", _("Retrait")
        RESTORED = "restored", _("Remise en brouillon")
        SHORTLISTED = "shortlisted", _("Présélection pour audition")
        UNSHORTLISTED = "unshortlisted", _("Retrait de la présélection")
        DECIDED = "decided", _("Décision du jury")
        IMPORTED = "imported", _("Reprise des données du programme")

    call = models.ForeignKey(
        ProjectCall,
        verbose_name=_("appel à projets"),
        on_delete=models.PROTECT,
        related_name="defis",
    )
    administration = models.ForeignKey(
        Administration,
        verbose_name=_("administration"),
        on_delete=models.PROTECT,
        related_name="defis",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("créé par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_defis",
    )
    collaborators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("co-rédacteurs"),
        blank=True,
        related_name="shared_defis",
    )
    state = models.CharField(_("état"), max_length=16, choices=State.choices, default=State.DRAFT)
    submitted_at = models.DateTimeField(_("déposé le"), null=True, blank=True)
    # Number of the last DefiVersion: what jurors read. 0 until the first submission.
    submitted_version = models.PositiveIntegerField(_("version déposée"), default=0)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    # Administration
    host_entity = models.CharField(
        _("entité d'accueil des EIG"),
        max_length=255,
        blank=True,
        help_text=_("Service ou direction qui accueille les EIG et pilote le défi."),
    )
    partners = _text(_("administrations partenaires"), LINES_5)
    work_site = models.CharField(
        _("site de travail (ville et code postal)"), max_length=200, blank=True
    )
    requests_cofinancing = models.BooleanField(_("demande de co-financement DINUM"), default=True)

    # Contacts: the porteur presents the défi to the jury; the sponsor is the high-level mentor.
    porteur_name = models.CharField(_("porteur : prénom et nom"), max_length=200, blank=True)
    porteur_job = models.CharField(_("porteur : fonction"), max_length=200, blank=True)
    porteur_email = models.EmailField(_("porteur : e-mail professionnel"), blank=True)
    porteur_phone = models.CharField(_("porteur : téléphone"), max_length=30, blank=True)
    sponsor_name = models.CharField(
        _("mentor de haut niveau : prénom et nom"), max_length=200, blank=True
    )
    sponsor_job = models.CharField(
        _("mentor de haut niveau : fonction"), max_length=200, blank=True
    )
    sponsor_email = models.EmailField(_("mentor de haut niveau : e-mail"), blank=True)
    hr_name = models.CharField(_("contact RH : prénom et nom"), max_length=200, blank=True)
    hr_email = models.EmailField(_("contact RH : e-mail"), blank=True)
    finance_name = models.CharField(
        _("contact gestion : prénom et nom"), max_length=200, blank=True
    )
    finance_email = models.EmailField(_("contact gestion : e-mail"), blank=True)

    # Context and problem
    title = models.CharField(_("nom du défi"), max_length=120, blank=True)
    summary = _text(_("résumé en deux lignes"), LINES_2)
    context = _text(_("contexte : mission de l'organisation"), LINES_5)
    problem = _text(_("problématique à résoudre"), LINES_10)
    themes = models.CharField(_("thématiques"), max_length=300, blank=True)

    # Users and expected impact
    beneficiaries = _text(_("bénéficiaires et usagers"), LINES_5)
    expected_impact = _text(_("bénéfices et impacts attendus"), LINES_10)
    indicators = _text(_("mesure : indicateurs-clés"), LINES_5)

    # Data
    data_available = _text(_("données disponibles et accès"), LINES_5)

    # Team and time given
    team = _text(_("équipe projet (nom, fonction, statut, implication, apport)"), LINES_10)
    team_time = _text(_("temps consacré par l'équipe et les mentors"), LINES_5)
    resources = _text(_("ressources techniques et opérationnelles"), LINES_10)

    # Strategy and roadmap
    progress = _text(_("état d'avancement"), LINES_3)
    roadmap = _text(_("feuille de route : hypothèse privilégiée"), LINES_10)
    risks = _text(_("obstacles et gestion des risques"), LINES_5)
    sustainability = _text(_("débouchés et pérennisation"), LINES_10)

    # Openness
    commits_open_source = models.BooleanField(
        _("le code produit sera publié sous licence libre"), default=False
    )
    commits_open_data = models.BooleanField(
        _("les données produites seront ouvertes, sauf exception légale"), default=False
    )
    openness = _text(_("ouverture de l'action publique"), LINES_5)

    # Motivation
    motivation = _text(_("pourquoi postulez-vous au programme EIG ?"), LINES_10)

    # Attachment
    pitch_deck = models.FileField(
        _("présentation de synthèse (PDF)"), upload_to="pitch_decks/", blank=True
    )

    # Catalogue of past promotions, loaded from the programme's public sites.
    slug = models.SlugField(_("identifiant public"), max_length=120, blank=True)
    town = models.CharField(_("ville"), max_length=120, blank=True)
    # The longest of the programme's public pages runs to 7,300 characters.
    public_body = models.TextField(_("présentation publique"), blank=True, max_length=20_000)
    website = models.URLField(_("site du produit"), blank=True, max_length=300)
    source_code = models.URLField(_("code source"), blank=True, max_length=300)

    class Meta:
        verbose_name = _("défi")
        verbose_name_plural = _("défis")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["slug"], condition=~models.Q(slug=""), name="defi_slug_unique"
            ),
        ]
        indexes = [models.Index(fields=["call", "state"])]

    def __str__(self):
        return self.title or _("Défi sans titre (n° %(pk)s)") % {"pk": self.pk}

    def get_absolute_url(self):
        return reverse("projects:defi_detail", kwargs={"pk": self.pk})

    @property
    def review(self):
        """The défi's review at its jury's first stage (what the jury's pages show), or
        None. The jury's lists select it with the défi (`stage_review`, see
        `defi_review_rows`); elsewhere this reads it."""
        if "stage_review_pk" in self.__dict__:
            # Selected with the défi; Django sets nothing when the défi has no review.
            return self.__dict__.get("stage_review")
        return self.reviews.order_by("stage__position").first()


class DefiPosition(models.Model):
    """One EIG position the défi asks for (the real form's "EIG 1 / 2 / 3")."""

    defi = models.ForeignKey(Defi, on_delete=models.CASCADE, related_name="positions")
    rank = models.PositiveSmallIntegerField(_("numéro"))
    specialty = models.CharField(_("métier"), max_length=32, choices=Specialty.choices)
    missions = _text(_("missions"), LINES_10)
    skills = _text(_("compétences recherchées"), LINES_5)
    # Hypotheses of the financial simulation; the convention states the hired EIG's own.
    salary_band = models.ForeignKey(
        SalaryBand,
        verbose_name=_("tranche d'expérience visée"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    work_time = models.PositiveSmallIntegerField(
        _("quotité de travail"), choices=WorkTime.choices, default=WorkTime.FULL
    )

    class Meta:
        verbose_name = _("profil recherché")
        verbose_name_plural = _("profils recherchés")
        ordering = ["defi", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["defi", "rank"], name="defiposition_rank_unique"),
            models.CheckConstraint(
                condition=models.Q(rank__gte=1, rank__lte=3), name="defiposition_rank_1_to_3"
            ),
        ]

    def __str__(self):
        return f"EIG {self.rank} – {self.get_specialty_display()}"


class DefiVersion(models.Model):
    """The text of a défi as it was submitted, section by section (see
    `projects.versions.defi_snapshot`). A submission that changes nothing reuses the last
    version: only a real change makes a new one, so that jurors are not told of nothing."""

    defi = models.ForeignKey(Defi, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("numéro"))
    content = models.JSONField(_("contenu"))
    # The history event of the submission that made this version.
    transition = models.OneToOneField(
        "history.Event",
        verbose_name=_("dépôt"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("déposée le"), default=timezone.now)

    class Meta:
        verbose_name = _("version déposée")
        verbose_name_plural = _("versions déposées")
        ordering = ["defi", "number"]
        constraints = [
            models.UniqueConstraint(fields=["defi", "number"], name="defiversion_number_unique")
        ]

    def __str__(self):
        return f"{self.defi} — version {self.number}"


def _invitation_token() -> str:
    return secrets.token_urlsafe(32)


class DefiInvitation(models.Model):
    """An invitation to co-edit a défi, sent to a colleague of the same administration."""

    defi = models.ForeignKey(Defi, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("adresse e-mail"))
    token = models.CharField(max_length=64, unique=True, default=_invitation_token)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("invitation à co-rédiger")
        verbose_name_plural = _("invitations à co-rédiger")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.email} → {self.defi}"


# --- Selection: the défi side of the jury engine (eig/jury) ------------------------------


class DefiConflict(AbstractConflict):
    defi = models.ForeignKey(Defi, on_delete=models.PROTECT, related_name="conflicts")

    class Meta(AbstractConflict.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["member", "defi"],
                name="deficonflict_unique",
                violation_error_message=_("Ce conflit d'intérêts est déjà déclaré."),
            )
        ]


class DefiEvaluation(AbstractEvaluation):
    defi = models.ForeignKey(Defi, on_delete=models.PROTECT, related_name="evaluations")

    class Meta(AbstractEvaluation.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["stage", "member", "defi"],
                name="defievaluation_unique",
                violation_error_message=_("Ce juré évalue déjà ce défi à cette étape."),
            )
        ]
        indexes = [models.Index(fields=["defi", "state"])]

    def __str__(self):
        return f"{self.defi} — {self.member}"

    @property
    def made_on_earlier_version(self) -> bool:
        """Saved on a text of the défi that has since been submitted again with changes.
        Reads `defi`: the lists select it with the evaluation."""
        return (
            self.dossier_version is not None and self.dossier_version < self.defi.submitted_version
        )


class DefiScore(AbstractScore):
    evaluation = models.ForeignKey(DefiEvaluation, on_delete=models.PROTECT, related_name="scores")

    class Meta(AbstractScore.Meta):
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "criterion"], name="defiscore_unique")
        ]


class DefiReview(AbstractReview):
    # One review per stage of the jury: `defi.reviews`, and `review__…` in queries.
    defi = models.ForeignKey(
        Defi, on_delete=models.PROTECT, related_name="reviews", related_query_name="review"
    )

    class Meta(AbstractReview.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["stage", "defi"],
                name="defireview_unique",
                violation_error_message=_("Ce défi a déjà sa suite à cette étape."),
            )
        ]

    def __str__(self):
        return str(self.defi)
