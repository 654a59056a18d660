"""The jury engine: one jury per selection round, its criteria grid and its members.

What a jury is made of (criteria, members, hearing groups and slots, decision records) is
concrete here. What a jury looks at is not: each domain (see `registry.py`)
subclasses the abstract models at the bottom with a foreign key to its own dossier, and
describes itself to the services through a `JuryDomain` (see `domain.py`).
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eig.programme.models import Specialty


class Jury(models.Model):
    class Visibility(models.TextChoices):
        NEVER = "never", _("Jamais")
        AFTER_OWN = "after_own", _("Après avoir soumis sa propre évaluation")
        ALWAYS = "always", _("Toujours")

    name = models.CharField(_("nom"), max_length=200)
    # The key of the registered `JuryDomain` whose dossiers this jury evaluates.
    domain = models.CharField(_("dossiers évalués"), max_length=40)
    jurors_per_dossier = models.PositiveSmallIntegerField(
        _("jurés par dossier"),
        default=3,
        help_text=_("Le programme a toujours fait évaluer chaque dossier par trois jurés."),
    )
    score_visibility = models.CharField(
        _("les jurés voient les notes des autres"),
        max_length=16,
        choices=Visibility.choices,
        default=Visibility.AFTER_OWN,
    )
    scoring_deadline = models.DateTimeField(
        _("date limite des évaluations"),
        null=True,
        blank=True,
        help_text=_("Heure de Paris. Après cette date, les jurés ne peuvent plus modifier."),
    )
    spread_threshold = models.DecimalField(
        _("écart signalé"),
        max_digits=4,
        decimal_places=2,
        default=2,
        help_text=_(
            "Écart entre la note globale la plus haute et la plus basse d'un dossier, au-delà "
            "duquel le classement le signale pour discussion."
        ),
    )
    preset = models.CharField(_("grille d'origine"), max_length=40, blank=True, editable=False)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("jury")
        verbose_name_plural = _("jurys")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(jurors_per_dossier__gte=1, jurors_per_dossier__lte=10),
                name="jury_jurors_per_dossier_1_to_10",
                violation_error_message=_("Entre 1 et 10 jurés par dossier."),
            ),
            models.CheckConstraint(
                condition=models.Q(spread_threshold__gt=0),
                name="jury_spread_threshold_positive",
                violation_error_message=_("L'écart signalé doit être positif."),
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        creating = self._state.adding
        super().save(*args, **kwargs)
        if creating:
            # Every jury has at least one stage: its grid, evaluations and reviews hang on
            # one, and juries are created in many places (admin, demo, bench, tests) that
            # all predate stages.
            JuryStage.objects.first_for(self)

    def is_scoring_open(self, now=None) -> bool:
        return self.scoring_deadline is None or (now or timezone.now()) < self.scoring_deadline


class JuryStageQuerySet(models.QuerySet):
    def first_for(self, jury) -> "JuryStage":
        """The jury's first stage, created when the jury has none yet (a jury written
        before stages existed, or by `bulk_create`)."""
        jury_id = getattr(jury, "pk", jury)
        stage = self.filter(jury_id=jury_id).order_by("position").first()
        if stage is None:
            stage, _created = self.get_or_create(
                jury_id=jury_id,
                position=1,
                defaults={"name": JuryStage.FIRST_NAME, "kind": JuryStage.Kind.WRITTEN},
            )
        return stage


class JuryStage(models.Model):
    """One round of a jury: the written dossier, then an interview… Each stage has its own
    criteria grid, its own evaluations and its own review of each dossier. The dossiers of
    the first stage are the domain's; those of a later stage, the ones shortlisted at the
    stage before (`eig.jury.stages.stage_dossiers`)."""

    class Kind(models.TextChoices):
        WRITTEN = "written", _("Dossier écrit")
        INTERVIEW = "interview", _("Entretien")

    FIRST_NAME = "Examen du dossier écrit"

    jury = models.ForeignKey(Jury, on_delete=models.CASCADE, related_name="stages")
    position = models.PositiveSmallIntegerField(_("ordre"), default=1)
    name = models.CharField(_("nom"), max_length=120)
    kind = models.CharField(_("nature"), max_length=16, choices=Kind.choices, default=Kind.WRITTEN)
    scoring_deadline = models.DateTimeField(
        _("date limite des évaluations de l'étape"),
        null=True,
        blank=True,
        help_text=_("Heure de Paris. Vide : la date limite du jury s'applique."),
    )

    objects = JuryStageQuerySet.as_manager()

    class Meta:
        verbose_name = _("étape du jury")
        verbose_name_plural = _("étapes du jury")
        ordering = ["jury", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["jury", "position"],
                name="jurystage_position_unique",
                violation_error_message=_("Deux étapes ne peuvent pas avoir le même ordre."),
            ),
            models.CheckConstraint(
                condition=models.Q(position__gte=1),
                name="jurystage_position_positive",
                violation_error_message=_("L'ordre d'une étape commence à 1."),
            ),
            # What the criteria's and reviews' (stage, jury) foreign keys point at, so that
            # the database itself refuses a stage of another jury (migrations jury 0007,
            # projects 0010).
            models.UniqueConstraint(fields=["id", "jury"], name="jurystage_id_jury"),
        ]

    def __str__(self):
        return f"{self.position}. {self.name}"

    @property
    def deadline(self):
        """The stage's own deadline, else the jury's. Reads `jury`: select it with the stage."""
        return self.scoring_deadline or self.jury.scoring_deadline

    def is_scoring_open(self, now=None) -> bool:
        deadline = self.deadline
        return deadline is None or (now or timezone.now()) < deadline


def _stage_default(row, jury_id) -> None:
    """Rows written without a stage (every caller from before stages: services, admin,
    demo, tests) belong to their jury's first stage."""
    if row.stage_id is None and jury_id is not None:
        row.stage = JuryStage.objects.first_for(jury_id)


class Criterion(models.Model):
    """One line of the grid: a juror gives it a whole score between `scale_min` and
    `scale_max`, each value optionally labelled (1 « pas du tout satisfaisant » … 4
    « excellent » in the 2020 jury guide)."""

    jury = models.ForeignKey(Jury, on_delete=models.CASCADE, related_name="criteria")
    # RESTRICT rather than PROTECT: a stage never takes its grid along, yet deleting the
    # jury (whose cascade reaches both) still deletes it; scores protect what they used.
    stage = models.ForeignKey(
        JuryStage,
        verbose_name=_("étape"),
        on_delete=models.RESTRICT,
        related_name="criteria",
        blank=True,
        help_text=_("Vide : la première étape du jury."),
    )
    position = models.PositiveSmallIntegerField(_("ordre"))
    name = models.CharField(_("critère"), max_length=300)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    weight = models.DecimalField(_("poids"), max_digits=5, decimal_places=2, default=1)
    scale_min = models.SmallIntegerField(_("note minimale"), default=1)
    scale_max = models.SmallIntegerField(_("note maximale"), default=4)
    scale_labels = models.JSONField(
        _("libellés des notes"),
        default=dict,
        blank=True,
        help_text=_('Par exemple {"1": "pas du tout satisfaisant", "4": "excellent"}.'),
    )

    class Meta:
        verbose_name = _("critère")
        verbose_name_plural = _("critères")
        ordering = ["jury", "stage", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["stage", "position"],
                name="criterion_position_unique",
                violation_error_message=_("Deux critères ne peuvent pas avoir le même ordre."),
            ),
            models.CheckConstraint(
                condition=models.Q(weight__gt=0),
                name="criterion_weight_positive",
                violation_error_message=_("Le poids d'un critère doit être positif."),
            ),
            models.CheckConstraint(
                condition=models.Q(scale_min__gte=0, scale_max__gt=models.F("scale_min"))
                & models.Q(scale_max__lte=models.F("scale_min") + 10),
                name="criterion_scale_valid",
                violation_error_message=_(
                    "L'échelle va d'une note minimale positive ou nulle à une note maximale "
                    "plus grande, sur dix points au plus."
                ),
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        _stage_default(self, self.jury_id)
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        if self.stage_id and self.jury_id and self.stage.jury_id != self.jury_id:
            raise ValidationError(
                {"stage": _("Cette étape appartient à un autre jury.")}, code="stage"
            )

    @property
    def scale(self) -> list[tuple[int, str]]:
        """Every allowed value with its label ('' when the grid leaves it unlabelled)."""
        return [
            (value, self.scale_labels.get(str(value), ""))
            for value in range(self.scale_min, self.scale_max + 1)
        ]


class JuryMember(models.Model):
    """A person in the jury pool. What the domain knows of them (their administration,
    their e-mail domain…) drives its automatic conflicts; their expertise is matched against
    what a dossier is about."""

    # How lists name a juror whose account was erased.
    DELETED_LABEL = _("Juré dont le compte est supprimé")

    jury = models.ForeignKey(Jury, on_delete=models.PROTECT, related_name="members")
    # A juror who erases their account (once out of every jury in progress) leaves their
    # evaluations behind, anonymous: the jury's decisions rest on them.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("juré"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="jury_memberships",
    )
    expertise = ArrayField(
        models.CharField(max_length=32, choices=Specialty.choices),
        verbose_name=_("expertise"),
        default=list,
        blank=True,
    )
    withdrawn_at = models.DateTimeField(_("retiré le"), null=True, blank=True)
    added_at = models.DateTimeField(_("ajouté le"), auto_now_add=True)

    class Meta:
        verbose_name = _("membre du jury")
        verbose_name_plural = _("membres du jury")
        ordering = ["jury", "user__last_name", "user__first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["jury", "user"],
                name="jurymember_unique",
                violation_error_message=_("Cette personne est déjà membre de ce jury."),
            )
        ]

    def __str__(self):
        return str(self.user) if self.user_id else str(self.DELETED_LABEL)

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None

    @property
    def expertise_labels(self) -> str:
        return ", ".join(str(Specialty(value).label) for value in self.expertise)


class JuryGroup(models.Model):
    """A hearing group: a few jurors who hear two or three shortlisted dossiers together."""

    jury = models.ForeignKey(Jury, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(_("nom"), max_length=120)
    members = models.ManyToManyField(
        JuryMember, verbose_name=_("membres"), related_name="groups", blank=True
    )

    class Meta:
        verbose_name = _("groupe d'audition")
        verbose_name_plural = _("groupes d'audition")
        ordering = ["jury", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["jury", "name"],
                name="jurygroup_name_unique",
                violation_error_message=_("Ce jury a déjà un groupe de ce nom."),
            )
        ]

    def __str__(self):
        return self.name


class HearingSlot(models.Model):
    """A time at which one group hears dossiers (one, or up to `capacity`), in a room or by
    video. Staff give it to dossiers (hearings), or the people who carry the dossiers book it
    themselves (interviews) until its booking deadline."""

    class Booking(models.TextChoices):
        STAFF = "staff", _("Attribué par l'équipe du programme")
        OWNER = "owner", _("Réservé par les porteurs des dossiers")

    CAPACITY_MAX = 50

    jury = models.ForeignKey(Jury, on_delete=models.CASCADE, related_name="slots")
    group = models.ForeignKey(
        JuryGroup, verbose_name=_("groupe"), on_delete=models.PROTECT, related_name="slots"
    )
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    location = models.CharField(_("lieu"), max_length=300, blank=True)
    video_url = models.URLField(_("lien de visioconférence"), max_length=500, blank=True)
    capacity = models.PositiveSmallIntegerField(
        _("capacité"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(CAPACITY_MAX)],
        help_text=_("Nombre de dossiers que ce créneau accueille (de 1 à 50)."),
    )
    booking = models.CharField(
        _("attribution"), max_length=8, choices=Booking.choices, default=Booking.STAFF
    )
    booking_deadline = models.DateTimeField(
        _("réservation possible jusqu'au"),
        null=True,
        blank=True,
        help_text=_(
            "Heure de Paris. Passé ce moment, les porteurs ne peuvent plus réserver, "
            "déplacer ni annuler leur réservation."
        ),
    )

    class Meta:
        verbose_name = _("créneau d'audition")
        verbose_name_plural = _("créneaux d'audition")
        ordering = ["starts_at", "group__name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="hearingslot_ends_after_start",
                violation_error_message=_("La fin du créneau doit suivre son début."),
            ),
            models.CheckConstraint(
                condition=~models.Q(location="", video_url=""),
                name="hearingslot_has_place",
                violation_error_message=_("Indiquez un lieu ou un lien de visioconférence."),
            ),
            models.CheckConstraint(
                condition=models.Q(capacity__gte=1, capacity__lte=50),
                name="hearingslot_capacity_range",
                violation_error_message=_("La capacité d'un créneau va de 1 à 50 dossiers."),
            ),
            # A booking deadline means something only where owners book, and before the slot.
            models.CheckConstraint(
                condition=models.Q(booking_deadline__isnull=True)
                | models.Q(booking="owner", booking_deadline__lte=models.F("starts_at")),
                name="hearingslot_booking_deadline",
                violation_error_message=_(
                    "Seul un créneau réservé par les porteurs a une date limite de "
                    "réservation, au plus tard à son début."
                ),
            ),
        ]

    def __str__(self):
        local = timezone.localtime(self.starts_at)
        return f"{self.group} — {local:%d/%m/%Y %H:%M}"


class DecisionRecord(models.Model):
    """The relevé de décision of a deliberation, as a PDF. Each generation is a new version;
    earlier ones stay."""

    jury = models.ForeignKey(Jury, on_delete=models.PROTECT, related_name="decision_records")
    version = models.PositiveIntegerField(_("version"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("demandé le"), default=timezone.now)
    pdf = models.FileField(_("PDF"), upload_to="releves/", blank=True)
    checksum = models.CharField(_("empreinte SHA-256"), max_length=64, blank=True)
    rendered_at = models.DateTimeField(_("produit le"), null=True, blank=True)

    class Meta:
        verbose_name = _("relevé de décision")
        verbose_name_plural = _("relevés de décision")
        ordering = ["jury", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["jury", "version"], name="decisionrecord_version")
        ]

    def __str__(self):
        return f"{self.jury} — relevé v{self.version}"


class DecisionLetter(models.Model):
    """The mail a jury sends with one of its decisions, as staff wrote it for this jury:
    its subject and text, with the markers `decisions.LETTER_MARKERS` filled in for each
    dossier. Without one, the domain's default text goes (`JuryDomain.decision_letters`)."""

    jury = models.ForeignKey(Jury, on_delete=models.PROTECT, related_name="decision_letters")
    # One of `AbstractReview.Decision` (not bound here: the abstract class comes below).
    decision = models.CharField(_("décision"), max_length=16)
    subject = models.CharField(_("objet"), max_length=200)
    body = models.TextField(_("texte"), validators=[MaxLengthValidator(5000)])
    updated_at = models.DateTimeField(_("modifié le"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("courrier de décision")
        verbose_name_plural = _("courriers de décision")
        constraints = [
            models.UniqueConstraint(fields=["jury", "decision"], name="decisionletter_unique")
        ]

    def __str__(self):
        return f"{self.jury} — {self.decision}"


class LetterAction(models.TextChoices):
    EDITED = "edited", _("Courrier modifié")


class DossierAggregate(models.Model):
    """The jury's figures for one dossier, over its submitted evaluations, stored so that
    the staff pages read them instead of aggregating every score of the jury at each
    render. Written only by `services.jury_aggregates_refresh`, which every service that
    changes an evaluation's existence, state or scores calls in its own transaction (and
    `jury_aggregates_rebuild` rewrites them all); the definitions of the figures are those
    of the ranking (see `selectors.py`).

    One row per stage and dossier: each stage has its own grid, evaluations and ranking.
    `dossier_id` is the domain's dossier pk, not a foreign key: the engine serves several
    domains and knows none of their models. A row is derived data, never history."""

    jury = models.ForeignKey(Jury, on_delete=models.CASCADE, related_name="+")
    stage = models.ForeignKey(
        "JuryStage", on_delete=models.CASCADE, related_name="+", verbose_name=_("étape")
    )
    dossier_id = models.PositiveBigIntegerField(_("dossier"))
    due = models.PositiveIntegerField(_("évaluations dues"), default=0)
    done = models.PositiveIntegerField(_("évaluations soumises"), default=0)
    # The lowest dossier version a submitted evaluation was made on.
    oldest_version = models.PositiveIntegerField(null=True, blank=True)
    # The mean of the scores given on each criterion, in the order of the grid the row was
    # computed with (by position, see `grid`): an array, whose items the pages read far
    # faster than the keys of a JSON object.
    criteria = ArrayField(models.FloatField(null=True), default=list, blank=True)
    weighted = models.FloatField(_("note pondérée"), null=True, blank=True)
    mean = models.FloatField(_("moyenne des jurés"), null=True, blank=True)
    median = models.FloatField(_("médiane des jurés"), null=True, blank=True)
    overall_min = models.FloatField(_("note globale la plus basse"), null=True, blank=True)
    overall_max = models.FloatField(_("note globale la plus haute"), null=True, blank=True)
    spread = models.FloatField(_("écart entre jurés"), null=True, blank=True)
    normalised = models.FloatField(_("note normalisée par juré"), null=True, blank=True)
    # Ranks among the stage's rows, by weighted and by normalised (see `selectors.py`).
    # Every refresh ranks the whole stage again in the same transaction: a dossier's new
    # score moves the others' ranks, and the pages then read a rank instead of sorting
    # the stage at each render.
    rank = models.PositiveIntegerField(_("rang"), null=True, blank=True)
    normalised_rank = models.PositiveIntegerField(_("rang normalisé"), null=True, blank=True)
    # The grid (criteria and weights) the figures were computed with: a row of another
    # grid is stale, and the ranking computes from the scores until it is rebuilt.
    grid = models.CharField(max_length=32, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("résultat d'un dossier")
        verbose_name_plural = _("résultats des dossiers")
        constraints = [
            models.UniqueConstraint(fields=["stage", "dossier_id"], name="dossieraggregate_unique")
        ]

    def __str__(self):
        return f"{self.jury} — dossier n° {self.dossier_id}"


# --- What each domain subclasses, with a foreign key to its own dossier -------------------


class AbstractConflict(models.Model):
    """A conflict of interest that a juror declared on a dossier. Automatic conflicts are
    not stored: each domain computes them from the data (`JuryDomain.automatic_conflicts`),
    so they follow any change in it."""

    member = models.ForeignKey(
        JuryMember, verbose_name=_("juré"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("motif"), max_length=300, blank=True)
    declared_at = models.DateTimeField(_("déclaré le"), default=timezone.now)

    class Meta:
        abstract = True
        verbose_name = _("conflit d'intérêts déclaré")
        verbose_name_plural = _("conflits d'intérêts déclarés")


class AbstractEvaluation(models.Model):
    """One juror's evaluation of one dossier; the row exists from the assignment on.

    `version` grows at every write: a form posts the version it was read at, and a write
    against a newer one is refused rather than silently overwriting (two tabs, or staff
    reopening meanwhile).
    """

    class State(models.TextChoices):
        PENDING = "pending", _("À faire")
        DRAFT = "draft", _("Brouillon")
        SUBMITTED = "submitted", _("Soumise")

    # "<app model>s" (the domain's evaluation model, lower case, plus "s"): the selectors count
    # a member's load through it.
    member = models.ForeignKey(
        JuryMember, verbose_name=_("juré"), on_delete=models.PROTECT, related_name="%(class)ss"
    )
    # The stage whose grid the scores follow; a dossier has one evaluation per juror and
    # stage. Empty on creation: the jury's first stage.
    stage = models.ForeignKey(
        JuryStage, verbose_name=_("étape"), on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(_("état"), max_length=16, choices=State.choices, default="pending")
    overall_comment = models.TextField(
        _("appréciation générale"), blank=True, validators=[MaxLengthValidator(3000)]
    )
    version = models.PositiveIntegerField(default=0)
    # Not the optimistic lock above: the number of the dossier's submitted version this
    # evaluation was last saved on (see `JuryDomain.dossier_version_field`). An evaluation
    # whose number is below the dossier's current one was made on an earlier text. Empty
    # until the juror first saves, or for domains whose dossiers are not versioned.
    dossier_version = models.PositiveIntegerField(
        _("version du dossier évaluée"), null=True, blank=True
    )
    manual = models.BooleanField(_("affectée à la main"), default=False)
    assigned_at = models.DateTimeField(_("affectée le"), default=timezone.now)
    # Set when the juror was mailed their list including this dossier: each juror is told
    # once about each assignment, however many times staff re-run the assignment.
    notified_at = models.DateTimeField(_("juré prévenu le"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("soumise le"), null=True, blank=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    class Meta:
        abstract = True
        verbose_name = _("évaluation")
        verbose_name_plural = _("évaluations")

    def save(self, *args, **kwargs):
        if self.stage_id is None and self.member_id is not None:
            _stage_default(self, self.member.jury_id)
        super().save(*args, **kwargs)

    @property
    def has_scores(self) -> bool:
        return self.state != self.State.PENDING


class AbstractScore(models.Model):
    criterion = models.ForeignKey(
        Criterion, verbose_name=_("critère"), on_delete=models.PROTECT, related_name="+"
    )
    value = models.SmallIntegerField(_("note"), null=True, blank=True)
    comment = models.TextField(_("commentaire"), blank=True, validators=[MaxLengthValidator(2000)])

    class Meta:
        abstract = True
        verbose_name = _("note")
        verbose_name_plural = _("notes")


class EvaluationAction(models.TextChoices):
    """What an evaluation's history events say (`eig.history`), for every domain."""

    ASSIGNED = "assigned", _("Affectée")
    UNASSIGNED = "unassigned", _("Désaffectée")
    SUBMITTED = "submitted", _("Soumise")
    REOPENED = "reopened", _("Rouverte par l'équipe")
    # The dossier was submitted again with changes after this evaluation was saved.
    DOSSIER_CHANGED = "dossier_changed", _("Dossier modifié après l'évaluation")
    # The juror took back a submitted evaluation made on an earlier version, to update it.
    JUROR_REOPENED = "juror_reopened", _("Rouverte par le juré pour la mettre à jour")


class ReviewAction(models.TextChoices):
    """What a review's history events say: the jury's steps on one dossier after scoring."""

    SHORTLISTED = "shortlisted", _("Présélectionné pour audition")
    UNSHORTLISTED = "unshortlisted", _("Retiré de la présélection")
    SLOT_ASSIGNED = "slot_assigned", _("Créneau d'audition attribué")
    SLOT_RELEASED = "slot_released", _("Créneau d'audition libéré")
    # Booked by the people who carry the dossier (`bookings.py`).
    SLOT_BOOKED = "slot_booked", _("Créneau réservé")
    SLOT_BOOKING_MOVED = "slot_booking_moved", _("Réservation déplacée")
    SLOT_BOOKING_CANCELLED = "slot_booking_cancelled", _("Réservation annulée")
    CONVOKED = "convoked", _("Convoqué à l'audition")
    OPINION_RECORDED = "opinion_recorded", _("Avis du groupe d'audition enregistré")
    DECIDED = "decided", _("Décision prise")
    DECISION_CHANGED = "decision_changed", _("Décision modifiée")
    # Domains whose decisions leave together once the deliberation is over.
    DECISION_SENT = "decision_sent", _("Décision envoyée")


class MemberAction(models.TextChoices):
    WITHDRAWN = "withdrawn", _("Retrait du jury")
    REINSTATED = "reinstated", _("Retour dans le jury")


class GroupAction(models.TextChoices):
    """What a hearing group's history says: staff compose it, rename it, dissolve it."""

    CREATED = "created", _("Création du groupe")
    UPDATED = "updated", _("Modification du groupe")
    DELETED = "deleted", _("Suppression du groupe")


class SlotAction(models.TextChoices):
    """What a slot's history says (the dossiers it is given to have their own)."""

    CREATED = "created", _("Ouverture du créneau")
    DELETED = "deleted", _("Suppression du créneau")


class AbstractReview(models.Model):
    """What the jury decided about one dossier after scoring: pre-selection for a hearing,
    the hearing group's overall opinion (the 2020 jury guide's general grid) and the final
    decision of the deliberation."""

    class Opinion(models.TextChoices):
        FAVOURABLE = "favourable", _("Favorable")
        UNFAVOURABLE = "unfavourable", _("Défavorable")

    class Decision(models.TextChoices):
        SELECTED = "selected", _("Retenu")
        WAITING_LIST = "waiting_list", _("Liste d'attente")
        NOT_SELECTED = "not_selected", _("Non retenu")

    jury = models.ForeignKey(Jury, on_delete=models.PROTECT, related_name="+")
    # One review per stage and dossier: shortlisted at one stage, a dossier goes on to the
    # next; the final decision is taken on the last stage's review. Empty on creation: the
    # jury's first stage.
    stage = models.ForeignKey(
        JuryStage, verbose_name=_("étape"), on_delete=models.PROTECT, related_name="+"
    )
    shortlisted_at = models.DateTimeField(_("présélectionné le"), null=True, blank=True)
    questions = models.TextField(
        _("questions de la présélection"),
        blank=True,
        validators=[MaxLengthValidator(3000)],
        help_text=_("Questions à poser lors de l'audition ou de l'entretien."),
    )
    # Several dossiers may share a slot, up to its capacity.
    slot = models.ForeignKey(
        HearingSlot,
        verbose_name=_("créneau d'audition"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    convoked_at = models.DateTimeField(_("convoqué le"), null=True, blank=True)
    opinion = models.CharField(_("avis"), max_length=16, choices=Opinion.choices, blank=True)
    hearing_rank = models.PositiveSmallIntegerField(_("rang dans le groupe"), null=True, blank=True)
    favourite = models.BooleanField(_("coup de cœur"), default=False)
    justification = models.TextField(
        _("justification"), blank=True, validators=[MaxLengthValidator(1000)]
    )
    heard_at = models.DateTimeField(_("avis rendu le"), null=True, blank=True)
    decision = models.CharField(_("décision"), max_length=16, choices=Decision.choices, blank=True)
    motivation = models.TextField(
        _("motivation"), blank=True, validators=[MaxLengthValidator(2000)]
    )
    decided_at = models.DateTimeField(_("décidé le"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The reason, among the domain's list for this decision (`JuryDomain.decision_reasons`).
    reason = models.CharField(_("motif"), max_length=40, blank=True)
    # When the decision's mail went; empty until it did, and again when the decision
    # changes (a waiting list resolved): each decision is mailed once.
    decision_sent_at = models.DateTimeField(_("décision envoyée le"), null=True, blank=True)

    class Meta:
        abstract = True
        verbose_name = _("suite donnée")
        verbose_name_plural = _("suites données")

    def save(self, *args, **kwargs):
        _stage_default(self, self.jury_id)
        super().save(*args, **kwargs)

    @property
    def is_shortlisted(self) -> bool:
        return self.shortlisted_at is not None
