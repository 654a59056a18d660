"""Calls for candidates (appels à candidatures): the programme's recruitment of its EIGs,
one or more per promotion, for the positions of the promotion's selected défis."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from eig.jury.models import (
    AbstractConflict,
    AbstractEvaluation,
    AbstractReview,
    AbstractScore,
    Jury,
)
from eig.programme.models import Promotion, Specialty
from projects.models import DefiPosition

# The programme asked for 3 to 5 ranked wishes (promotion 6).
MIN_WISHES, MAX_WISHES = 3, 5


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


def _text(verbose_name, max_length, help_text=""):
    """A free-text answer of the application, limited in characters (the real forms of
    demarches-simplifiees.fr limited them by the page)."""
    return models.TextField(
        verbose_name,
        blank=True,
        help_text=help_text,
        validators=[MaxLengthValidator(max_length)],
        db_comment=f"max {max_length} caractères",
    )


@deconstructible
class ProfileUrlValidator:
    """A link to a profile on `host` (github.com, gitlab.com, linkedin.com), in https."""

    def __init__(self, host: str):
        self.host = host

    def __call__(self, value: str) -> None:
        parsed = urlsplit(value or "")
        name = (parsed.hostname or "").removeprefix("www.")
        if parsed.scheme != "https" or not (name == self.host or name.endswith(f".{self.host}")):
            raise ValidationError(
                _("Donnez l'adresse de votre profil sur %(host)s, en https://%(host)s/…"),
                params={"host": self.host},
                code="profile_host",
            )

    def __eq__(self, other):
        return isinstance(other, ProfileUrlValidator) and other.host == self.host


def _profile(label: str, host: str):
    return models.URLField(
        label, max_length=200, blank=True, validators=[ProfileUrlValidator(host)]
    )


class Application(models.Model):
    """A candidate's application to a call for candidates, following the sections of the
    programme's last form (promotion 7): presentation and CV; main and secondary skills;
    experience in the specialty and in entrepreneurship; motivation; wishes; personal
    information. One per person and call. Saved as a draft at every section, submitted
    before the call's deadline, withdrawn at any time.

    `candidate` is emptied, never the row, when its person deletes their account: the
    application is then anonymised (its identity and files erased), its scores kept for the
    programme's statistics."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        SUBMITTED = "submitted", _("Déposée")
        WITHDRAWN = "withdrawn", _("Retirée")
        # The selection, on the jury engine (`candidates/jury.py`): the jury's shortlist,
        # then its decisions.
        PRESELECTED = "preselected", _("Présélectionnée")
        ADMITTED = "admitted", _("Admise au vivier")
        WAITING_LIST = "waiting_list", _("Liste d'attente")
        DECLINED = "declined", _("Non retenue")

    class Action(models.TextChoices):
        """What the application's history events say (`eig.history`)."""

        CREATED = "created", _("Création")
        SUBMITTED = "submitted", _("Dépôt")
        WITHDRAWN = "withdrawn", _("Retrait")
        WISHES_SET = "wishes_set", _("Vœux enregistrés")
        WISH_WITHDRAWN = "wish_withdrawn", _("Vœu retiré")
        ANONYMISED = "anonymised", _("Anonymisation (compte supprimé)")
        PURGED = "purged", _("Effacement au terme de la conservation")
        RECONSENT_ASKED = "reconsent_asked", _("Renouvellement du consentement demandé")
        RECONSENTED = "reconsented", _("Consentement renouvelé (vivier)")
        PRESELECTED = "preselected", _("Présélection")
        UNPRESELECTED = "unpreselected", _("Retrait de la présélection")
        DECIDED = "decided", _("Décision du jury")

    class Civility(models.TextChoices):
        MADAME = "madame", _("Madame")
        MONSIEUR = "monsieur", _("Monsieur")
        UNSAID = "non_precise", _("Je préfère ne pas répondre")

    class Mobility(models.TextChoices):
        FRANCE = "france", _("Partout en France")
        REGION = "region", _("Dans ma région")
        LOCAL = "locale", _("Dans ma ville seulement")

    call = models.ForeignKey(
        CandidateCall,
        verbose_name=_("appel à candidatures"),
        on_delete=models.PROTECT,
        related_name="applications",
    )
    candidate = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("candidat·e"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="applications",
    )
    state = models.CharField(
        _("état"), max_length=16, choices=State.choices, default=State.DRAFT, db_index=True
    )

    # Presentation and CV
    presentation = _text(_("présentation"), 1500, _("Qui êtes-vous, en quelques lignes ?"))
    cv = models.FileField(_("CV (PDF)"), upload_to="candidates/cv/", blank=True)
    # SHA-256 of the CV's bytes: the same file sent from two accounts is flagged to staff.
    cv_checksum = models.CharField(max_length=64, blank=True, db_index=True)
    # The CV's name on the candidate's computer (« cv-helene-dupre.pdf »): stored under
    # another name, it is kept to warn an anonymous call's candidate that it names them.
    cv_filename = models.CharField(max_length=255, blank=True)
    cv_anonymised = models.FileField(
        _("CV anonymisé (PDF)"), upload_to="candidates/cv/", blank=True
    )
    portfolio = models.FileField(
        _("portfolio (PDF)"), upload_to="candidates/portfolio/", blank=True
    )
    github_url = _profile(_("profil GitHub"), "github.com")
    gitlab_url = _profile(_("profil GitLab"), "gitlab.com")
    linkedin_url = _profile(_("profil LinkedIn"), "linkedin.com")
    website_url = models.URLField(_("site personnel"), max_length=200, blank=True)

    # Skills
    specialty = models.CharField(_("métier"), max_length=32, choices=Specialty.choices, blank=True)
    skills_main = _text(_("compétences principales"), 1000)
    skills_secondary = _text(_("compétences complémentaires"), 1000)

    # Experience
    years_experience = models.PositiveSmallIntegerField(
        _("années d'expérience dans ce métier"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(60)],
    )
    experience_specialty = _text(_("expérience dans le métier"), 2500)
    experience_entrepreneurship = _text(
        _("expérience de l'entrepreneuriat"),
        2000,
        _("Un projet mené de bout en bout, une création, une initiative, au travail ou ailleurs."),
    )

    # Motivation
    motivation = _text(_("motivation à rejoindre le programme"), 3000)

    # Personal information
    civility = models.CharField(_("civilité"), max_length=16, choices=Civility.choices, blank=True)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    # Compared with the jurors' administrations: the jury's automatic conflicts.
    employer = models.CharField(_("employeur actuel"), max_length=200, blank=True)
    birth_year = models.PositiveSmallIntegerField(
        _("année de naissance"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1940), MaxValueValidator(2015)],
    )
    mobility = models.CharField(
        _("mobilité géographique"), max_length=16, choices=Mobility.choices, blank=True
    )
    available_on = models.DateField(_("disponible à partir du"), null=True, blank=True)
    talent_pool_consent = models.BooleanField(
        _("rester dans le vivier des talents"),
        default=False,
        help_text=_(
            "Retenu·e, votre dossier est conservé deux ans dans le vivier, où les "
            "administrations du programme peuvent vous proposer une mission."
        ),
    )

    submitted_at = models.DateTimeField(_("déposée le"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("retirée le"), null=True, blank=True)
    # The clocks of `retention.py`: the jury's decision starts the selection's; the pool's
    # runs from the last contact (admission, then each re-consent), and its re-consent mail
    # is sent once per contact.
    decided_at = models.DateTimeField(_("décision du jury le"), null=True, blank=True)
    # When the jury's decisions were last mailed (`eig.jury.decisions.decisions_send`): the
    # candidate reads a decision once it is sent, never while the jury may still weigh it.
    decision_sent_at = models.DateTimeField(_("décision envoyée le"), null=True, blank=True)
    pool_contact_at = models.DateTimeField(_("dernier contact (vivier)"), null=True, blank=True)
    reconsent_asked_at = models.DateTimeField(
        _("renouvellement du consentement demandé le"), null=True, blank=True
    )
    purged_at = models.DateTimeField(_("données effacées le"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("candidature")
        verbose_name_plural = _("candidatures")
        ordering = ["-updated_at"]
        constraints = [
            # One application per person and call; an anonymised one (no candidate) counts
            # for nobody.
            models.UniqueConstraint(
                fields=["call", "candidate"], name="application_one_per_candidate_and_call"
            ),
        ]
        indexes = [
            # The talent pool's order, newest first (`selectors.pool_search`): a page, its
            # bounded count and a word's most recent matches read this index, not 20,000
            # rows. It carries what the pool's filters compare, so that filtering reads
            # the index alone (an index-only scan), never the applications' long rows.
            models.Index(
                fields=["-submitted_at", "-id"],
                name="application_pool_recent",
                condition=models.Q(state="admitted", candidate__isnull=False),
                include=[
                    "specialty",
                    "years_experience",
                    "available_on",
                    "mobility",
                    "talent_pool_consent",
                ],
            ),
        ]

    def __str__(self):
        who = self.candidate.get_full_name() if self.candidate_id else _("candidature anonymisée")
        return f"{who} – {self.call}"

    def get_absolute_url(self):
        return reverse("candidates:application", kwargs={"slug": self.call.slug})

    @property
    def decision_disclosed(self) -> bool:
        """Whether the candidate may read the jury's latest decision: it was mailed."""
        return self.decided_at is None or (
            self.decision_sent_at is not None and self.decision_sent_at >= self.decided_at
        )


class ApplicationSearch(models.Model):
    """What the talent pool's search reads of an application (`candidates/search.py`): its
    searched answers folded (no accents, lower case), written by the services with the
    answers, and their French lexemes, computed by PostgreSQL.

    A table of its own, one row per application that has answers: on the application's
    row, the lexemes (about 1.5 kB a dossier) went to TOAST storage, and matching or
    ranking a thousand dossiers read each one from there (three pages a dossier); here they
    stay inline (`0010_application_search` stores them MAIN), and ranking reads one page a
    dossier, four times faster. The application's rows, which every filter reads, are
    thinner for it."""

    application = models.OneToOneField(
        Application,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="search",
        verbose_name=_("candidature"),
    )
    document = models.TextField(_("texte cherché (sans accents)"), blank=True, default="")
    vector = models.GeneratedField(
        expression=SearchVector("document", config="french"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        verbose_name = _("texte cherché d'une candidature")
        verbose_name_plural = _("textes cherchés des candidatures")
        indexes = [GinIndex(fields=["vector"], name="application_search_vector")]

    def __str__(self):
        return str(self.application_id)


class Wish(models.Model):
    """A wish of an application: one position of a selected défi, ranked (1 is the
    favourite). A withdrawn wish stays, with its date, as history; the ranks of the wishes
    still held are unique."""

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="wishes", verbose_name=_("candidature")
    )
    position = models.ForeignKey(
        DefiPosition, on_delete=models.PROTECT, related_name="wishes", verbose_name=_("poste")
    )
    rank = models.PositiveSmallIntegerField(_("rang"))
    created_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("retiré le"), null=True, blank=True)

    class Meta:
        verbose_name = _("vœu")
        verbose_name_plural = _("vœux")
        ordering = ["application", "rank"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rank__gte=1, rank__lte=MAX_WISHES), name="wish_rank_1_to_5"
            ),
            models.UniqueConstraint(
                fields=["application", "position"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="wish_position_once",
            ),
            models.UniqueConstraint(
                fields=["application", "rank"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="wish_rank_once",
            ),
        ]

    def __str__(self):
        return f"{self.rank}. {self.position.defi} – {self.position}"


# --- The jury engine's models for applications (`candidates/jury.py`) -----------------------


class ApplicationConflict(AbstractConflict):
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="jury_conflicts"
    )

    class Meta(AbstractConflict.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["member", "application"],
                name="applicationconflict_unique",
                violation_error_message=_("Ce conflit d'intérêts est déjà déclaré."),
            )
        ]


class ApplicationEvaluation(AbstractEvaluation):
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="jury_evaluations"
    )

    class Meta(AbstractEvaluation.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["stage", "member", "application"],
                name="applicationevaluation_unique",
                violation_error_message=_("Ce juré évalue déjà cette candidature à cette étape."),
            )
        ]
        indexes = [models.Index(fields=["application", "state"])]

    def __str__(self):
        return f"{self.application_id} — {self.member}"

    @property
    def made_on_earlier_version(self) -> bool:
        # What the jury's staff page of a dossier asks of each evaluation: an application
        # is not versioned (its text is frozen once submitted), so never.
        return False


class ApplicationScore(AbstractScore):
    evaluation = models.ForeignKey(
        ApplicationEvaluation, on_delete=models.PROTECT, related_name="scores"
    )

    class Meta(AbstractScore.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "criterion"], name="applicationscore_unique"
            )
        ]


class ApplicationReview(AbstractReview):
    # One review per stage of the jury: `application.jury_reviews`, `jury_review__…` in
    # queries.
    application = models.ForeignKey(
        Application,
        on_delete=models.PROTECT,
        related_name="jury_reviews",
        related_query_name="jury_review",
    )

    class Meta(AbstractReview.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["stage", "application"],
                name="applicationreview_unique",
                violation_error_message=_("Cette candidature a déjà sa suite à cette étape."),
            )
        ]

    def __str__(self):
        return f"Candidature n° {self.application_id:05d}"


class RetentionRun(models.Model):
    """What one pass of the retention task did (`retention.retention_run`): how many
    applications it erased, by purpose, and how many re-consent mails it sent. Kept as the
    record the CNIL asks for."""

    ran_at = models.DateTimeField(_("passage le"), default=timezone.now)
    purged_selection = models.PositiveIntegerField(_("effacées (sélection)"), default=0)
    purged_pool = models.PositiveIntegerField(_("effacées (vivier)"), default=0)
    reconsent_asked = models.PositiveIntegerField(_("consentements demandés"), default=0)

    class Meta:
        verbose_name = _("passage de la purge")
        verbose_name_plural = _("passages de la purge")
        ordering = ["-ran_at"]

    def __str__(self):
        return f"Purge du {timezone.localtime(self.ran_at):%d/%m/%Y %H:%M}"


# --- The talent pool (vivier) --------------------------------------------------------------

# The states of the applications in the pool: admitted to it by the selection's jury.
POOL_STATES = ("admitted",)


class PoolAccess(models.Model):
    """One reading of an application's personal data by programme staff: a dossier of the
    talent pool (its page opened, its CV downloaded, or its row in an export: one row per
    dossier exported, so that each dossier's log says who took its data, and when), or any
    application on the staff's page of it (the page, each of its files). Kept when either
    side goes: the application is anonymised, never deleted (PROTECT); a staff account
    deleted leaves its name here (`viewer_name`)."""

    class Kind(models.TextChoices):
        DOSSIER = "dossier", _("Consultation du dossier")
        CV = "cv", _("Téléchargement du CV")
        EXPORT_CSV = "export_csv", _("Export CSV")
        EXPORT_XLSX = "export_xlsx", _("Export XLSX")
        # The staff's page of an application (`views/staff.py`), outside the pool.
        APPLICATION = "application", _("Consultation de la candidature")
        CV_ANONYMISED = "cv_anonymised", _("Téléchargement du CV anonymisé")
        PORTFOLIO = "portfolio", _("Téléchargement du portfolio")

    application = models.ForeignKey(
        Application,
        verbose_name=_("candidature"),
        on_delete=models.PROTECT,
        related_name="pool_accesses",
    )
    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("consulté par"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    viewer_name = models.CharField(_("nom de la personne"), max_length=300)
    kind = models.CharField(_("accès"), max_length=16, choices=Kind.choices)
    at = models.DateTimeField(_("le"), default=timezone.now)
    # An export's size: how many dossiers it held (this one among them).
    exported = models.PositiveIntegerField(_("dossiers dans l'export"), null=True, blank=True)

    class Meta:
        verbose_name = _("consultation d'une candidature")
        verbose_name_plural = _("consultations des candidatures")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["application", "-at"], name="poolaccess_application_at")]

    def __str__(self):
        return f"{self.get_kind_display()} – {self.viewer_name} – {self.at:%d/%m/%Y %H:%M}"
