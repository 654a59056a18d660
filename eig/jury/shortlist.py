"""Pre-selection: the dossiers shortlisted for a hearing, with the questions raised (see
`reviews.py` for the jury's rules)."""

from django.db import transaction
from django.utils import timezone

from eig.exceptions import InvalidTransition
from eig.history.services import record
from eig.jury.domain import JuryDomain
from eig.jury.hearings import slot_release
from eig.jury.models import Jury, ReviewAction
from eig.jury.reviews import (
    dossier_ensure_in_jury,
    ensure_length,
    review_ensure_undecided,
    review_lock,
)

QUESTIONS_MAX = 3000


@transaction.atomic
def review_shortlist(
    *, domain: JuryDomain, jury: Jury, dossier, actor, questions: str = "", now=None
):
    """Shortlist a dossier for a hearing, with the questions the pre-selection raised; on a
    dossier already shortlisted, update the questions.

    Side effect, the first time: the dossier moves to "shortlisted", each with a history
    event (the dossier's and the review's).
    Refused once a decision is made.
    """
    now = now or timezone.now()
    questions = questions.strip()
    ensure_length(questions, QUESTIONS_MAX, "Questions de la présélection")
    dossier_ensure_in_jury(domain, jury, dossier)
    review = review_lock(domain, jury, dossier)
    review_ensure_undecided(review)
    review.questions = questions
    fields = ["questions"]
    if review.shortlisted_at is None:
        domain.dossier_transition(
            dossier=dossier,
            to_state="shortlisted",
            actor=actor,
            note="Présélectionné pour une audition",
            now=now,
        )
        review.shortlisted_at = now
        fields.append("shortlisted_at")
        record(review, action=ReviewAction.SHORTLISTED, actor=actor, at=now)
    review.save(update_fields=fields)
    return review


@transaction.atomic
def review_unshortlist(*, domain: JuryDomain, jury: Jury, dossier, actor, now=None):
    """Take a dossier off the shortlist. Its hearing slot is freed.

    Side effects: the dossier goes back to "submitted", with a history event on the dossier
    and on its review (and one for the slot freed); if it was already
    convoked, its recipients are told the hearing is cancelled. Refused once the hearing
    group gave its opinion, or once a decision is made.
    """
    now = now or timezone.now()
    review = review_lock(domain, jury, dossier, create=False)
    if not review.is_shortlisted:
        raise InvalidTransition("Ce dossier n'est pas présélectionné.", code="not_shortlisted")
    review_ensure_undecided(review)
    if review.heard_at:
        raise InvalidTransition(
            "Le groupe d'audition a déjà rendu son avis sur ce dossier : il reste présélectionné.",
            code="heard",
        )
    # Off the shortlist first: the cancellation says so.
    review.shortlisted_at = None
    slot_release(domain=domain, review=review, actor=actor, now=now)
    review.save(update_fields=["shortlisted_at", "slot", "convoked_at"])
    record(review, action=ReviewAction.UNSHORTLISTED, actor=actor, at=now)
    domain.dossier_transition(
        dossier=dossier,
        to_state="submitted",
        actor=actor,
        note="Retiré de la présélection",
        now=now,
    )
    return review
