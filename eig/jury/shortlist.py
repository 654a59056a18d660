"""Pre-selection: the dossiers shortlisted for a hearing, with the questions raised (see
`reviews.py` for the jury's rules)."""

from django.db import transaction
from django.utils import timezone

from eig.exceptions import InvalidTransition
from eig.history.services import record
from eig.jury.domain import JuryDomain
from eig.jury.hearings import slot_release
from eig.jury.models import Jury, JuryStage, ReviewAction
from eig.jury.reviews import (
    dossier_ensure_in_jury,
    ensure_length,
    review_ensure_undecided,
    review_lock,
)
from eig.jury.rules import ensure_jury_staff
from eig.jury.stages import stage_dossiers, stage_is_first, stage_resolve

QUESTIONS_MAX = 3000


@transaction.atomic
def review_shortlist(
    *,
    domain: JuryDomain,
    jury: Jury,
    dossier,
    actor,
    questions: str = "",
    now=None,
    stage: JuryStage | None = None,
):
    """Shortlist a dossier at a stage (the first unless `stage` says otherwise), with the
    questions the pre-selection raised; on a dossier already shortlisted, update the
    questions. Shortlisted at one stage, a dossier goes on to the next.

    Side effect, the first time: a "shortlisted" event on the review; at the first stage,
    the dossier also moves to "shortlisted", with its own history event (it stays so
    through the later stages). Refused to an `actor` who is not staff, once a decision is
    made, and on a dossier the stage does not examine.
    """
    ensure_jury_staff(actor, "présélectionner un dossier")
    now = now or timezone.now()
    questions = questions.strip()
    ensure_length(questions, QUESTIONS_MAX, "Questions de la présélection")
    dossier_ensure_in_jury(domain, jury, dossier)
    stage = stage_resolve(jury, stage)
    first = stage_is_first(stage)
    if not first and not stage_dossiers(domain, stage).filter(pk=dossier.pk).exists():
        raise InvalidTransition(
            f"Ce dossier n'a pas été retenu à l'étape précédant « {stage.name} ».",
            code="not_in_stage",
        )
    review = review_lock(domain, jury, dossier, stage=stage)
    review_ensure_undecided(review)
    review.questions = questions
    fields = ["questions"]
    if review.shortlisted_at is None and not first:
        review.shortlisted_at = now
        fields.append("shortlisted_at")
        record(review, action=ReviewAction.SHORTLISTED, actor=actor, at=now, note=stage.name)
    elif review.shortlisted_at is None:
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
def review_unshortlist(
    *, domain: JuryDomain, jury: Jury, dossier, actor, now=None, stage: JuryStage | None = None
):
    """Take a dossier off the shortlist of a stage (the first unless `stage` says
    otherwise). Its hearing slot is freed.

    Side effects: at the first stage, the dossier goes back to "submitted", with a history
    event on the dossier; always one on its review (and one for the slot freed); if it was
    already convoked, its recipients are told the hearing is cancelled. Refused to an
    `actor` who is not staff, once the hearing group gave its opinion, once a decision is
    made, or once the next stage has started on the dossier (it has a review there).
    """
    ensure_jury_staff(actor, "retirer un dossier de la présélection")
    now = now or timezone.now()
    stage = stage_resolve(jury, stage)
    review = review_lock(domain, jury, dossier, create=False, stage=stage)
    if not review.is_shortlisted:
        raise InvalidTransition("Ce dossier n'est pas présélectionné.", code="not_shortlisted")
    review_ensure_undecided(review)
    later = {"stage__jury": jury, "stage__position__gt": stage.position}
    later[domain.dossier_field] = dossier
    reviewed = domain.review_model.objects.filter(**later).exclude(
        shortlisted_at=None, slot=None, decision=""
    )
    if reviewed.exists() or domain.evaluation_model.objects.filter(**later).exists():
        raise InvalidTransition(
            "Ce dossier est déjà examiné à l'étape suivante : il reste retenu à celle-ci.",
            code="next_stage",
        )
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
    if not stage_is_first(stage):
        return review
    domain.dossier_transition(
        dossier=dossier,
        to_state="submitted",
        actor=actor,
        note="Retiré de la présélection",
        now=now,
    )
    return review
