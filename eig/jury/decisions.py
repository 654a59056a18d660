"""Deliberation: the decision on each dossier, and the decision record (see `reviews.py`
for the jury's rules)."""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from eig.dispatch import task_dispatch, task_dispatch_on_commit
from eig.exceptions import DomainError, InvalidTransition
from eig.history.services import record
from eig.jury.domain import JuryDomain
from eig.jury.models import AbstractReview, DecisionRecord, Jury, ReviewAction
from eig.jury.reviews import dossier_ensure_in_jury, ensure_length, review_lock
from eig.jury.rules import ensure_jury_staff
from eig.jury.stages import jury_last_stage
from eig.notifications.services import email_queue

Decision = AbstractReview.Decision

MOTIVATION_MAX = 2000

# Decision already taken -> decisions it may still become: the waiting list is resolved
# later; the other decisions are final.
DECISION_MOVES = {
    "": {Decision.SELECTED, Decision.WAITING_LIST, Decision.NOT_SELECTED},
    Decision.WAITING_LIST: {Decision.SELECTED, Decision.NOT_SELECTED},
}


@transaction.atomic
def review_decide(
    *, domain: JuryDomain, jury: Jury, dossier, decision: str, motivation: str, actor, now=None
):
    """Decide on a dossier: selected, waiting list or not selected, with a motivation (required
    unless selected). A decision is final, except the waiting list, which may later become
    selected or not selected. The decision is the jury's last word: it is taken on the
    dossier's review at the last stage, whichever stage the dossier reached.

    Side effects: the dossier's state moves with a history event, and the review gets a
    "decided" (or "decision changed") event with the motivation; its recipients are mailed
    the decision and its motivation once the transaction commits. Refused to an `actor` who
    is not staff.
    """
    ensure_jury_staff(actor, "décider du sort d'un dossier")
    now = now or timezone.now()
    if decision not in Decision.values:
        raise DomainError("Choisissez une décision.", code="decision")
    motivation = motivation.strip()
    if decision != Decision.SELECTED and not motivation:
        raise DomainError(
            f"Motivez la décision « {Decision(decision).label} » : la motivation est "
            "transmise avec la décision.",
            code="motivation",
        )
    ensure_length(motivation, MOTIVATION_MAX, "Motivation")
    dossier_ensure_in_jury(domain, jury, dossier)
    review = review_lock(domain, jury, dossier, stage=jury_last_stage(jury))
    if decision not in DECISION_MOVES.get(review.decision, set()):
        current = review.get_decision_display()
        raise InvalidTransition(
            f"La décision « {current} » est déjà prise pour ce dossier"
            + (
                "."
                if decision == review.decision
                else f" : elle ne peut plus devenir « {Decision(decision).label} »."
            ),
            code="decided",
        )
    previous = review.get_decision_display() if review.decision else ""
    domain.dossier_transition(
        dossier=dossier,
        to_state=decision,
        actor=actor,
        note=f"Délibération (auparavant : {previous})" if previous else "Délibération",
        now=now,
    )
    record(
        review,
        action=ReviewAction.DECISION_CHANGED if review.decision else ReviewAction.DECIDED,
        actor=actor,
        from_state=review.decision,
        to_state=decision,
        at=now,
        note=motivation,
    )
    review.decision = decision
    review.motivation = motivation
    review.decided_at = now
    review.decided_by = actor
    review.save(update_fields=["decision", "motivation", "decided_at", "decided_by"])
    dossier = getattr(review, domain.dossier_field)
    email_queue(
        to=domain.dossier_recipients(dossier),
        template=f"{domain.mail_prefix}decision_{decision}",
        context={
            "dossier": dossier,
            "review": review,
            "jury": jury,
            "call": domain.jury_call(jury),
            "previous": previous,
            "dossier_url": dossier.get_absolute_url()
            if hasattr(dossier, "get_absolute_url")
            else "",
        },
    )
    return review


@transaction.atomic
def decision_record_request(*, domain: JuryDomain, jury: Jury, actor, now=None) -> DecisionRecord:
    """Ask for a new version of the decision record (earlier versions stay).

    Side effect: a Celery task renders its PDF once the transaction commits. Refused to an
    `actor` who is not staff, and while no decision is made.
    """
    from eig.jury.tasks import render_decision_record

    ensure_jury_staff(actor, "demander le relevé de décision")
    if not domain.import_path:
        raise DomainError("Ce type de dossier n'a pas de relevé de décision.", code="no_path")
    now = now or timezone.now()
    jury = Jury.objects.select_for_update().get(pk=jury.pk)
    if not domain.review_model.objects.filter(jury=jury).exclude(decision="").exists():
        raise DomainError(
            "Aucune décision n'est prise : le relevé serait vide.", code="no_decision"
        )
    last = jury.decision_records.aggregate(last=Max("version"))["last"] or 0
    decision_record = DecisionRecord.objects.create(
        jury=jury, version=last + 1, created_by=actor, created_at=now
    )
    task_dispatch_on_commit(
        render_decision_record, record_id=decision_record.pk, domain=domain.import_path
    )
    return decision_record


def decision_records_requeue_unrendered(*, domain: JuryDomain, now=None) -> int:
    """Beat: queue again the render of this domain's decision records still without a PDF
    `PDF_RENDER_REQUEUE_AFTER` seconds after they were asked for (the broker was down, or a
    worker died in the middle), so that none stays "en cours de production". Rendering is
    idempotent: a render already on its way does nothing the second time. Returns how many
    were queued."""
    from eig.jury.tasks import render_decision_record

    if not domain.import_path:
        return 0
    now = now or timezone.now()
    stale = DecisionRecord.objects.filter(
        rendered_at__isnull=True,
        created_at__lte=now - datetime.timedelta(seconds=settings.PDF_RENDER_REQUEUE_AFTER),
        jury__in=domain.review_model.objects.values("jury"),
    ).values_list("pk", flat=True)
    queued = 0
    for record_id in stale:
        queued += task_dispatch(
            render_decision_record, record_id=record_id, domain=domain.import_path
        )
    return queued
