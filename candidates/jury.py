"""The candidates' side of the jury engine: what `eig.jury` needs to know about applications.

An application is judged by the jury of its call (`CandidateCall.jury`), anonymously when the
call says so (`CandidateCall.anonymous`): its jurors then read it under a number, without the
candidate's name, contact details, links or original CV. Whatever the call, jurors read only
what `templates/candidates/jury/application.html` prints: the métier, the experience, the
skills, the motivation and the wishes.
"""

import datetime
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from candidates.models import (
    Application,
    ApplicationConflict,
    ApplicationEvaluation,
    ApplicationReview,
    ApplicationScore,
    CandidateCall,
)
from candidates.services import JURY_STATES, application_jury_move
from eig.jury.bookings import booking_stage
from eig.jury.domain import ConflictMap, DossierGroup, DossierNouns, JuryDomain
from eig.jury.models import Jury, JuryMember
from eig.jury.selectors import jury_ranking, slot_list_bookable
from eig.jury.stages import jury_stages
from eig.programme.models import Specialty

# Addresses anyone may open: sharing one of these domains says nothing of an employer.
PERSONAL_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.fr",
        "yahoo.com",
        "hotmail.com",
        "hotmail.fr",
        "live.fr",
        "live.com",
        "msn.com",
        "outlook.fr",
        "outlook.com",
        "orange.fr",
        "wanadoo.fr",
        "free.fr",
        "sfr.fr",
        "neuf.fr",
        "bbox.fr",
        "laposte.net",
        "icloud.com",
        "me.com",
        "protonmail.com",
        "proton.me",
        "pm.me",
        "gmx.fr",
        "gmx.com",
        "aol.com",
        "tutanota.com",
    }
)


def application_list_for_jury(jury: Jury) -> QuerySet[Application]:
    """The applications before the jury: those submitted to its call, and those it has since
    pre-selected or decided on."""
    return (
        Application.objects.filter(call__jury=jury, state__in=JURY_STATES)
        .select_related("candidate")
        .order_by("pk")
    )


def email_domain(address: str) -> str:
    return (address or "").rpartition("@")[2].strip().lower()


def _words(text: str) -> str:
    """`text` without case, accents or punctuation, its words separated by one space, and
    one more at each end so that a name is found as whole words: « Ministère de l'Intérieur »
    in « ministere de l interieur (DLPAJ) »."""
    plain = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    return f" {' '.join(re.findall(r'[0-9a-z]+', plain))} "


def _holder_name(application: Application) -> str:
    if application.candidate_id is None:
        return "Candidature anonymisée"
    return application.candidate.get_full_name() or application.candidate.email


def application_automatic_conflicts(
    members: Iterable[JuryMember], applications: Iterable[Application]
) -> ConflictMap:
    """A juror may not evaluate the application of someone from their own employer: the
    same e-mail domain (personal mailboxes aside), or their administration named as the
    candidate's current employer."""
    jurors = []
    for member in members:
        domain = email_domain(member.user.email)
        administration = member.user.administration
        name = administration.name if administration is not None else ""
        jurors.append(
            (
                member.pk,
                domain if domain and domain not in PERSONAL_MAIL_DOMAINS else "",
                name,
                _words(name) if name.strip() else "",
            )
        )
    conflicts = {}
    for application in applications:
        candidate_domain = (
            email_domain(application.candidate.email) if application.candidate_id else ""
        )
        employer = _words(application.employer) if application.employer.strip() else ""
        for member_pk, domain, name, words in jurors:
            if domain and domain == candidate_domain:
                conflicts[(application.pk, member_pk)] = (
                    f"Même domaine de messagerie que la personne candidate ({domain})"
                )
            elif words and employer and words in employer:
                conflicts[(application.pk, member_pk)] = (
                    f"La personne candidate travaille à « {name} », votre administration"
                )
    return conflicts


def application_expertise_pairs(
    members: Iterable[JuryMember], applications: Iterable[Application]
) -> set[tuple[int, int]]:
    """Pairs where the juror's expertise covers the candidate's métier: a designer's
    application goes to jurors who judge design."""
    experts = [(member.pk, set(member.expertise)) for member in members if member.expertise]
    return {
        (application.pk, member_pk)
        for application in applications
        for member_pk, expertise in experts
        if application.specialty and application.specialty in expertise
    }


def application_jury_call(jury: Jury) -> CandidateCall | None:
    # The jury's call for candidates, None for a jury attached to none yet.
    return getattr(jury, "candidate_call", None)


def application_anonymous_for(jury: Jury) -> bool:
    """Anonymous when the jury's call says so; a jury attached to no call yet is, to be
    safe."""
    call = application_jury_call(jury)
    return True if call is None else call.anonymous


def application_juror_context(application: Application) -> dict:
    """What the juror's template reads besides the application: its wishes held, with the
    défi of each position."""
    wishes = (
        application.wishes.filter(withdrawn_at__isnull=True)
        .select_related("position__defi")
        .order_by("rank")
    )
    return {"wishes": list(wishes)}


# The deliberation in the programme's words: a selected candidate joins the vivier (the
# pool from which missions are offered, EIG 7 regulations art. 2.6), the others wait on
# the list « sollicitable en cas de désistement » (AAC EIG 6, art. 5.4) or are declined.
DECISION_LABELS = {
    "selected": "Admise au vivier",
    "waiting_list": "Liste d'attente",
    "not_selected": "Non retenue",
}

# Why, in the words of the regulations: the dossier's completeness and eligibility
# (AAC EIG 7, art. 2.5), the criteria of the pre-selection and of the interview (art. 2.7),
# the missions and places open (art. 2.6).
DECISION_REASONS = {
    "waiting_list": (
        ("attente_places", "Nombre de places limité : sollicitable en cas de désistement"),
        (
            "attente_voeux",
            "Aucune mission ne correspond pour l'instant au profil et aux vœux exprimés",
        ),
    ),
    "not_selected": (
        ("incomplet", "Dossier incomplet"),
        ("eligibilite", "Conditions d'éligibilité non remplies"),
        ("coherence", "Cohérence du profil avec la spécialité métier insuffisante"),
        ("entrepreneuriat", "Expérience entrepreneuriale insuffisante"),
        ("entretien", "Capacités d'adaptation et de communication évaluées en entretien"),
        ("thematique", "Intérêt pour la thématique insuffisamment démontré"),
        ("voeux", "Aucune mission ne correspond au profil et aux vœux exprimés"),
        ("places", "Nombre de places limité"),
    ),
}

_SIGNATURE = "L'équipe du programme Entrepreneurs d'intérêt général"

# The texts staff start from (`eig.jury.decisions.LETTER_MARKERS` for the markers).
DECISION_LETTERS = {
    "selected": (
        "Votre candidature à « [appel] » : vous rejoignez le vivier des EIG",
        "Bonjour [personne],\n\n"
        "Le jury de « [appel] » a retenu votre candidature : vous intégrez le vivier "
        "d'entrepreneur(e)s d'intérêt général.\n\n"
        "La sélection n'a pas valeur de proposition d'embauche. Elle vous permet d'accéder à "
        "des entretiens sur mission, en fonction des défis de la promotion et de vos vœux : "
        "nous vous écrirons dès qu'une mission correspond à votre profil.\n\n"
        "[motivation]\n\n"
        "Votre candidature : [lien]\n\n" + _SIGNATURE,
    ),
    "waiting_list": (
        "Votre candidature à « [appel] » : liste d'attente",
        "Bonjour [personne],\n\n"
        "Le jury de « [appel] » a placé votre candidature sur liste d'attente : vous pourrez "
        "être sollicité(e) en cas de désistement.\n\n"
        "Motif : [motif]\n\n"
        "La motivation du jury :\n[motivation]\n\n"
        "Votre candidature : [lien]\n\n" + _SIGNATURE,
    ),
    "not_selected": (
        "Votre candidature à « [appel] » n'est pas retenue",
        "Bonjour [personne],\n\n"
        "Le jury de « [appel] » n'a pas retenu votre candidature.\n\n"
        "Motif : [motif]\n\n"
        "La motivation du jury :\n[motivation]\n\n"
        "Nous vous remercions de l'intérêt que vous portez au programme.\n\n" + _SIGNATURE,
    ),
}


CANDIDATE_JURY = JuryDomain(
    key="candidatures",
    nouns=DossierNouns("candidature", "candidatures", feminine=True),
    dossier_field="application",
    evaluation_model=ApplicationEvaluation,
    score_model=ApplicationScore,
    conflict_model=ApplicationConflict,
    review_model=ApplicationReview,
    dossiers=application_list_for_jury,
    automatic_conflicts=application_automatic_conflicts,
    expertise_pairs=application_expertise_pairs,
    dashboard_url=lambda: reverse("jury:dashboard"),
    import_path="candidates.jury.CANDIDATE_JURY",
    dossier_transition=application_jury_move,
    dossier_recipients=lambda application: (
        [application.candidate.email] if application.candidate_id else []
    ),
    # The candidate books their interview's slot.
    dossier_owners=lambda application: [application.candidate] if application.candidate_id else [],
    # « Change it until 48 hours before »: then the jury's day is set.
    booking_notice=datetime.timedelta(hours=48),
    dossier_holder=_holder_name,
    holder_label="Personne candidate",
    jury_call=application_jury_call,
    mail_prefix="application_jury_",
    dossier_label=_holder_name,
    anonymous_for=application_anonymous_for,
    anonymous_label=lambda application: f"Candidature n° {application.pk:05d}",
    juror_template="candidates/jury/application.html",
    juror_context=application_juror_context,
    jury_path="call__jury",
    jury_states=JURY_STATES,
    jury_related=("candidate_call__promotion",),
    jury_filter=lambda: Q(candidate_call__isnull=False),
    juror_related=("call",),
    # What staff tables print (the candidate's name) and what the conflict rule reads.
    list_fields=(
        "pk",
        "state",
        "candidate__first_name",
        "candidate__last_name",
        "candidate__email",
    ),
    conflict_fields=(
        "pk",
        "employer",
        "candidate__first_name",
        "candidate__last_name",
        "candidate__email",
    ),
    # `application_automatic_conflicts`: the juror's e-mail and administration.
    member_fields=("user__administration__name", "user__administration__parent__name"),
    # As `application_jury_move` has it: selection starts at the call's closing instant.
    selection_starts_at=lambda jury: jury.candidate_call.closes_at,
    holder_field="candidate__last_name",
    # The staff's page of the application, from the ranking, the pre-selection, the hearings
    # and the deliberation: staff screens only (`get_jury_for_staff`), never a juror's, whose
    # pages name the application by `label_for_juror` alone.
    dossier_read_url=lambda application: reverse(
        "candidates:staff_application", args=[application.pk]
    ),
    dossier_preview_url=lambda application: reverse(
        "candidates:staff_application", args=[application.pk]
    ),
    recipients_label="la personne candidate",
    call_noun="appel à candidatures",
    automatic_conflicts_label=(
        "Les candidatures venues du domaine de votre adresse électronique, ou de personnes "
        "qui travaillent dans votre administration, sont repérées automatiquement."
    ),
    decision_labels=DECISION_LABELS,
    decision_reasons=DECISION_REASONS,
    decision_letters=DECISION_LETTERS,
    # The jury deliberates métier by métier, then the decisions leave together: a
    # candidate never reads a decision the jury may still weigh against another.
    decisions_sent_together=True,
    decisions_sent=lambda pks, now: Application.objects.filter(pk__in=pks).update(
        decision_sent_at=now
    ),
    dossier_group=DossierGroup(
        field="specialty", label="Métier", choices=lambda: Specialty.choices
    ),
)


def application_jury_figures(application: Application) -> list[dict]:
    """What the call's jury made of the application, stage by stage, for the staff's page of
    it: `figures`, its row of the stage's ranking (`jury_ranking`: evaluations due and
    submitted, rank, weighted score, mean, median, spread), and `review`, what followed
    there (pre-selection, hearing opinion, decision); the stages it never reached left
    out. Two queries, then three a stage, whatever the number of jurors."""
    jury = application.call.jury
    if jury is None:
        return []
    reviews = {
        review.stage_id: review
        for review in ApplicationReview.objects.filter(application=application, jury=jury)
    }
    found = []
    for stage in jury_stages(jury):
        figures = jury_ranking(CANDIDATE_JURY, jury, stage=stage).filter(pk=application.pk).first()
        review = reviews.get(stage.pk)
        if figures is not None or review is not None:
            decision = review.decision if review is not None else ""
            found.append(
                {
                    "stage": stage,
                    "figures": figures,
                    "review": review,
                    "decision": CANDIDATE_JURY.decision_label(decision) if decision else "",
                    "reason": CANDIDATE_JURY.reason_label(decision, review.reason)
                    if decision and review.reason
                    else "",
                }
            )
    return found


# --- The candidate's interview ------------------------------------------------------------


@dataclass
class Interview:
    """Where the candidate's interview stands: `invited` when their application is
    shortlisted at the stage that holds the interview (`bookings.booking_stage`), `review`
    that stage's review (its `slot` the one booked), `slots` what they may book
    (`slot_list_bookable`: each with `booked`, `free`, `is_mine`, `is_open`, `closes_at`)."""

    jury: Jury | None = None
    review: ApplicationReview | None = None
    slots: list = field(default_factory=list)

    @property
    def invited(self) -> bool:
        return self.review is not None and self.review.is_shortlisted

    @property
    def booked(self):
        """The slot the application holds: as listed, with its figures (`is_open`…), when
        the candidate booked it; as staff gave it otherwise (never open to a move); None."""
        if self.review is None or self.review.slot_id is None:
            return None
        listed = (slot for slot in self.slots if slot.pk == self.review.slot_id)
        return next(listed, self.review.slot)

    @property
    def others(self) -> list:
        """The slots offered besides the one held."""
        return [slot for slot in self.slots if slot.pk != self.review.slot_id]


def application_interview(application: Application, *, now=None) -> Interview:
    """The candidate's interview: their review at the interview's stage and the slots they
    may book. Four queries at most, whatever the number of slots."""
    now = now or timezone.now()
    jury_id = application.call.jury_id
    if jury_id is None or application.state not in JURY_STATES:
        return Interview()
    jury = Jury.objects.get(pk=jury_id)
    stage = booking_stage(jury, now=now)
    review = (
        ApplicationReview.objects.filter(application=application, jury=jury, stage=stage)
        .select_related("slot__group")
        .first()
    )
    interview = Interview(jury=jury, review=review)
    if interview.invited:
        interview.slots = list(slot_list_bookable(CANDIDATE_JURY, jury, application, now=now))
        for slot in interview.slots:
            slot.minutes = int((slot.ends_at - slot.starts_at).total_seconds() // 60)
    return interview
