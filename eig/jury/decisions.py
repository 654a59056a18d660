"""Deliberation: the decision on each dossier, and the decision record (see `reviews.py`
for the jury's rules)."""

import datetime
import re

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from eig.dispatch import task_dispatch, task_dispatch_on_commit
from eig.exceptions import DomainError, InvalidTransition
from eig.history.services import record
from eig.jury.domain import JuryDomain
from eig.jury.models import (
    AbstractReview,
    DecisionLetter,
    DecisionRecord,
    Jury,
    LetterAction,
    ReviewAction,
)
from eig.jury.reviews import dossier_ensure_in_jury, ensure_length, review_lock
from eig.jury.rules import ensure_jury_staff
from eig.jury.stages import jury_last_stage
from eig.notifications.services import email_queue, outbox_write

Decision = AbstractReview.Decision

MOTIVATION_MAX = 2000
LETTER_SUBJECT_MAX = 200
LETTER_BODY_MAX = 5000

# What a decision letter may say of each dossier: the marker, and what it becomes. The
# text is filled by plain replacement, never through the template engine: staff write it.
LETTER_MARKERS = {
    "[personne]": "le nom de la personne qui porte le dossier",
    "[appel]": "le titre de l'appel",
    "[décision]": "la décision",
    "[motif]": "le motif choisi",
    "[motivation]": "la motivation du jury",
    "[lien]": "l'adresse de son espace sur la plateforme",
}
_MARKER = re.compile(r"\[[^\[\]\n]{1,40}\]")

# Decision already taken -> decisions it may still become: the waiting list is resolved
# later; the other decisions are final.
DECISION_MOVES = {
    "": {Decision.SELECTED, Decision.WAITING_LIST, Decision.NOT_SELECTED},
    Decision.WAITING_LIST: {Decision.SELECTED, Decision.NOT_SELECTED},
}


@transaction.atomic
def review_decide(
    *,
    domain: JuryDomain,
    jury: Jury,
    dossier,
    decision: str,
    motivation: str,
    actor,
    reason: str = "",
    now=None,
):
    """Decide on a dossier: selected, waiting list or not selected, with a motivation (required
    unless selected) and, where the domain lists reasons for that decision, one of them. A
    decision is final, except the waiting list, which may later become selected or not
    selected. The decision is the jury's last word: it is taken on the dossier's review at
    the last stage, whichever stage the dossier reached.

    Side effects: the dossier's state moves with a history event, and the review gets a
    "decided" (or "decision changed") event with the motivation; its recipients are mailed
    the decision and its motivation once the transaction commits, unless the domain sends
    its decisions together (`decisions_send`). Refused to an `actor` who is not staff.
    """
    ensure_jury_staff(actor, "décider du sort d'un dossier")
    now = now or timezone.now()
    if decision not in Decision.values:
        raise DomainError("Choisissez une décision.", code="decision")
    motivation = motivation.strip()
    if decision != Decision.SELECTED and not motivation:
        raise DomainError(
            f"Motivez la décision « {domain.decision_label(decision)} » : la motivation est "
            "transmise avec la décision.",
            code="motivation",
        )
    ensure_length(motivation, MOTIVATION_MAX, "Motivation")
    reasons = dict(domain.decision_reasons.get(decision, ()))
    if reasons and reason not in reasons:
        raise DomainError(
            f"Choisissez le motif de la décision « {domain.decision_label(decision)} ».",
            code="reason",
        )
    if not reasons:
        reason = ""
    dossier_ensure_in_jury(domain, jury, dossier)
    review = review_lock(domain, jury, dossier, stage=jury_last_stage(jury))
    if decision not in DECISION_MOVES.get(review.decision, set()):
        current = domain.decision_label(review.decision)
        raise InvalidTransition(
            f"La décision « {current} » est déjà prise pour ce dossier"
            + (
                "."
                if decision == review.decision
                else f" : elle ne peut plus devenir « {domain.decision_label(decision)} »."
            ),
            code="decided",
        )
    previous = domain.decision_label(review.decision) if review.decision else ""
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
        data={"reason": reason} if reason else None,
    )
    review.decision = decision
    review.motivation = motivation
    review.reason = reason
    review.decided_at = now
    review.decided_by = actor
    # A new decision is mailed in its turn, even after an earlier one was.
    review.decision_sent_at = None
    review.save(
        update_fields=[
            "decision",
            "motivation",
            "reason",
            "decided_at",
            "decided_by",
            "decision_sent_at",
        ]
    )
    if not domain.decisions_sent_together:
        _decision_mail(domain, jury, review, previous=previous)
        review.decision_sent_at = now
        review.save(update_fields=["decision_sent_at"])
        domain.decisions_sent([dossier.pk], now)
    return review


def _dossier_url(dossier) -> str:
    if not hasattr(dossier, "get_absolute_url"):
        return ""
    return dossier.get_absolute_url()


def _decision_mail(domain: JuryDomain, jury: Jury, review, *, previous: str = "", letters=None):
    """Write the mail of `review`'s decision to the outbox: the jury's letter for that
    decision where the domain has letters, else the domain's template. Written once per
    review and decision (the outbox's idempotency key), whoever sends it again."""
    dossier = getattr(review, domain.dossier_field)
    key = f"jury-decision:{domain.key}:{review.pk}:{review.decision}"
    to = domain.dossier_recipients(dossier)
    if review.decision in domain.decision_letters:
        if letters is None:
            letters = decision_letters(domain, jury)
        subject, body = letters[review.decision]
        values = _letter_values(domain, jury, review, dossier)
        return outbox_write(
            to=to,
            subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + letter_fill(subject, values),
            # A marker left empty (no motivation) leaves no gap of blank lines.
            body=re.sub(r"\n{3,}", "\n\n", letter_fill(body, values)).strip() + "\n",
            template=f"{domain.mail_prefix}decision_letter",
            idempotency_key=key,
        )
    return email_queue(
        to=to,
        template=f"{domain.mail_prefix}decision_{review.decision}",
        context={
            "dossier": dossier,
            "review": review,
            "jury": jury,
            "call": domain.jury_call(jury),
            "previous": previous,
            "dossier_url": _dossier_url(dossier),
        },
        idempotency_key=key,
    )


def _letter_values(domain: JuryDomain, jury: Jury, review, dossier) -> dict[str, str]:
    url = _dossier_url(dossier)
    return {
        "[personne]": domain.dossier_holder(dossier),
        "[appel]": str(domain.jury_call(jury) or jury),
        "[décision]": domain.decision_label(review.decision),
        "[motif]": domain.reason_label(review.decision, review.reason),
        "[motivation]": review.motivation,
        "[lien]": f"{settings.SITE_URL}{url}" if url else settings.SITE_URL,
    }


def letter_fill(text: str, values: dict[str, str]) -> str:
    """`text` with each known marker replaced by its value; anything else left as written."""
    return _MARKER.sub(lambda match: values.get(match.group(0), match.group(0)), text)


def letter_unknown_markers(text: str) -> list[str]:
    """The bracketed words of `text` that are no marker: a typo would reach every mail."""
    return sorted({marker for marker in _MARKER.findall(text) if marker not in LETTER_MARKERS})


def decision_letters(domain: JuryDomain, jury: Jury) -> dict[str, tuple[str, str]]:
    """Each decision's (subject, text) for `jury`: as its staff rewrote it, else the
    domain's default."""
    letters = dict(domain.decision_letters)
    for letter in DecisionLetter.objects.filter(jury=jury, decision__in=letters):
        letters[letter.decision] = (letter.subject, letter.body)
    return letters


@transaction.atomic
def decision_letter_save(
    *, domain: JuryDomain, jury: Jury, decision: str, subject: str, body: str, actor, now=None
) -> DecisionLetter:
    """Rewrite the mail of one decision for `jury`. Refused to an `actor` who is not staff,
    and for a text with an unknown marker. Side effect: a history event on the letter."""
    ensure_jury_staff(actor, "modifier les courriers de décision")
    now = now or timezone.now()
    if decision not in domain.decision_letters:
        raise DomainError("Cette décision n'a pas de courrier.", code="decision")
    subject, body = " ".join(subject.split()), body.strip()
    if not subject or not body:
        raise DomainError("L'objet et le texte du courrier sont obligatoires.", code="required")
    ensure_length(subject, LETTER_SUBJECT_MAX, "Objet")
    ensure_length(body, LETTER_BODY_MAX, "Texte")
    unknown = letter_unknown_markers(f"{subject} {body}")
    if unknown:
        raise DomainError(
            f"Balise inconnue : {', '.join(unknown)}. Balises possibles : "
            f"{', '.join(LETTER_MARKERS)}.",
            code="marker",
        )
    letter, _created = DecisionLetter.objects.select_for_update().get_or_create(
        jury=jury,
        decision=decision,
        defaults={"subject": subject, "body": body, "updated_at": now, "updated_by": actor},
    )
    if not _created:
        letter.subject, letter.body = subject, body
        letter.updated_at, letter.updated_by = now, actor
        letter.save(update_fields=["subject", "body", "updated_at", "updated_by"])
    record(
        letter,
        action=LetterAction.EDITED,
        actor=actor,
        at=now,
        note=f"{subject}\n\n{body}",
    )
    return letter


def decisions_unsent(domain: JuryDomain, jury: Jury, group: str = ""):
    """The jury's decisions not mailed yet, of the dossiers still before it (a candidate
    who withdrew is not written to), in `group` only when given."""
    reviews = (
        domain.review_model.objects.filter(jury=jury, decision_sent_at__isnull=True)
        .exclude(decision="")
        .filter(domain.dossier_active_q(f"{domain.dossier_field}__"))
    )
    if group and domain.dossier_group is not None:
        reviews = reviews.filter(**{f"{domain.dossier_field}__{domain.dossier_group.field}": group})
    return reviews


@transaction.atomic
def decisions_send(*, domain: JuryDomain, jury: Jury, actor, group: str = "", now=None) -> int:
    """Mail every decision of the jury not sent yet (of `group` only when given): each one
    once, whoever clicks twice or sends again later. Refused to an `actor` who is not
    staff. Side effects: the mails in the outbox, and a "decision sent" event on each
    review. Returns how many left."""
    ensure_jury_staff(actor, "envoyer les décisions")
    now = now or timezone.now()
    reviews = list(
        decisions_unsent(domain, jury, group)
        .select_for_update(of=("self",))
        .select_related(domain.dossier_field)
        .order_by("pk")
    )
    letters = decision_letters(domain, jury) if domain.decision_letters else None
    for review in reviews:
        _decision_mail(domain, jury, review, letters=letters)
        record(
            review,
            action=ReviewAction.DECISION_SENT,
            actor=actor,
            to_state=review.decision,
            at=now,
        )
        review.decision_sent_at = now
    domain.review_model.objects.bulk_update(reviews, ["decision_sent_at"])
    domain.decisions_sent([getattr(review, domain.dossier_id_field) for review in reviews], now)
    return len(reviews)


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
