"""Slots that the people who carry a dossier book themselves (the candidates' interviews),
where staff give the others (`hearings.review_assign_slot`).

A slot open to owners (`HearingSlot.Booking.OWNER`) hosts up to its `capacity` dossiers
until its `booking_deadline` (an instant, shown in Paris time); each shortlisted dossier
holds at most one booking per jury and stage, on its review's `slot`. With a jury of
stages, the booking is made on the review of the stage that holds the interview: the stage
given, else the jury's current one (`stages.jury_stage_current`; a jury of one stage has
only that one). The people who may book are the
domain's answer (`JuryDomain.dossier_owners`, asked through the `jury.book_slot` rule).

Two owners racing for the last place of a slot both lock the slot's row before counting its
bookings, so the second one counts the first one's and is refused.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from eig.exceptions import DeadlinePassed, DomainError, InvalidTransition
from eig.history.services import record
from eig.jury.domain import JuryDomain
from eig.jury.hearings import _hearing_calendar, _hearing_mail_context
from eig.jury.models import HearingSlot, Jury, JuryStage, ReviewAction
from eig.jury.reviews import local_time, review_ensure_undecided
from eig.jury.stages import jury_stage_current, stage_resolve
from eig.notifications.services import email_queue
from eig.permissions import ensure_perm

NOT_OWNER = "Seules les personnes qui portent ce dossier réservent son créneau."


def _slot_data(slot: HearingSlot | None) -> dict | None:
    if slot is None:
        return None
    return {"id": slot.pk, "starts_at": slot.starts_at.isoformat()}


def booking_stage(jury: Jury, stage: JuryStage | None = None, *, now=None) -> JuryStage:
    """The stage whose review holds the booking: `stage`, checked to be one of the jury's,
    else the jury's current stage."""
    if stage is not None:
        return stage_resolve(jury, stage)
    return jury_stage_current(jury, now)


def _review_lock_for_owner(domain: JuryDomain, jury: Jury, dossier, actor, *, stage, now):
    """The dossier's review row at the booking's stage, locked, once `actor` is one of its
    owners and the dossier is shortlisted there, undecided and not heard yet."""
    ensure_perm(actor, "jury.book_slot", dossier, message=NOT_OWNER, code="not_owner")
    stage = booking_stage(jury, stage, now=now)
    review = (
        domain.review_model.objects.select_for_update(of=("self",))
        .select_related("slot__group", "slot__jury", domain.dossier_field)
        .filter(**{domain.dossier_field: dossier}, jury=jury, stage=stage)
        .first()
    )
    if review is None or not review.is_shortlisted:
        raise InvalidTransition(
            "Seul un dossier présélectionné réserve un créneau.", code="not_shortlisted"
        )
    review_ensure_undecided(review)
    if review.heard_at:
        raise InvalidTransition(
            "Le jury a déjà rendu son avis : la réservation ne change plus.", code="heard"
        )
    return review


def slot_booking_closes_at(slot: HearingSlot, notice: datetime.timedelta | None = None):
    """The instant from which owners may no longer book, move or cancel `slot`: the earlier
    of its booking deadline and `notice` before its start (the domain's
    `booking_notice`); its start when it has neither."""
    limits = [slot.starts_at]
    if slot.booking_deadline is not None:
        limits.append(slot.booking_deadline)
    if notice:
        limits.append(slot.starts_at - notice)
    return min(limits)


def notice_label(notice: datetime.timedelta) -> str:
    """« 48 heures », « 2 jours et 3 heures »: the notice as a sentence says it."""
    hours = int(notice.total_seconds() // 3600)
    if hours % 24 and hours > 48:
        return f"{hours // 24} jours et {hours % 24} heures"
    if hours > 48:
        return f"{hours // 24} jours"
    return f"{hours} heure{'s' if hours > 1 else ''}"


def _ensure_open_to_owners(
    slot: HearingSlot, *, now, verb: str, notice: datetime.timedelta | None = None
) -> None:
    """Refuse unless owners may still `verb` (book, move, cancel) on `slot` at `now`: before
    its booking deadline and, where the domain asks for a notice, until `notice` before its
    start."""
    if slot.booking != HearingSlot.Booking.OWNER:
        raise DomainError(
            "Ce créneau est attribué par l'équipe du programme : il ne se réserve pas.",
            code="staff_slot",
        )
    # « il ne se réserve plus », « il ne s'annule plus ».
    ne_se = f"ne s'{verb}" if verb[:1] in "aeiouéè" else f"ne se {verb}"
    if slot.starts_at <= now:
        raise DeadlinePassed(f"Ce créneau est passé : il {ne_se} plus.", code="past")
    closes_at = slot_booking_closes_at(slot, notice)
    if now < closes_at:
        return
    if slot.booking_deadline is not None and closes_at == slot.booking_deadline:
        raise DeadlinePassed(
            f"Les réservations de ce créneau ont fermé le {local_time(slot.booking_deadline)} "
            f"(heure de Paris) : il {ne_se} plus.",
            code="booking_closed",
        )
    raise DeadlinePassed(
        f"Un créneau se réserve, se déplace ou s'annule jusqu'à {notice_label(notice)} avant "
        f"son début : celui-ci {ne_se} plus depuis le {local_time(closes_at)} (heure de "
        "Paris).",
        code="booking_closed",
    )


def _mail_owners(domain: JuryDomain, review, *, template: str, slot, previous, now) -> None:
    """The booking's confirmation (or cancellation) to the dossier's recipients, with the
    .ics that adds the new slot to their calendar and the one that removes the previous."""
    dossier = getattr(review, domain.dossier_field)
    context = _hearing_mail_context(domain, review, slot or previous)
    closes_at = slot_booking_closes_at(slot, domain.booking_notice) if slot else None
    context.update(
        {
            "booked_slot": slot,
            "previous_slot": previous,
            # Until when the owners may still move or cancel it, if before its start.
            "booking_closes_at": closes_at if slot and closes_at < slot.starts_at else None,
        }
    )
    attachments = []
    if slot is not None:
        calendar = _hearing_calendar(domain, review, slot, now=now)
        attachments.append(("audition.ics", calendar.encode(), "text/calendar"))
    if previous is not None:
        calendar = _hearing_calendar(domain, review, previous, now=now, cancelled=True)
        attachments.append(("audition-annulee.ics", calendar.encode(), "text/calendar"))
    email_queue(
        to=domain.dossier_recipients(dossier),
        template=f"{domain.mail_prefix}{template}",
        context=context,
        attachments=attachments,
    )


def slot_booking_calendar(domain: JuryDomain, review, *, now=None) -> str:
    """The .ics of the slot the review holds, as its booking mail carried it (same UID: a
    calendar updates the event it has), for its owners to download again."""
    return _hearing_calendar(domain, review, review.slot, now=now or timezone.now())


@transaction.atomic
def slot_book(
    *,
    domain: JuryDomain,
    jury: Jury,
    dossier,
    slot: HearingSlot,
    actor,
    now=None,
    stage: JuryStage | None = None,
    notify: bool = True,
):
    """Book `slot` for a shortlisted dossier, on behalf of one of its owners; a dossier that
    already holds another slot of the jury moves there (one booking per dossier per jury and
    stage; the stage given, else the jury's current one).

    Refused when `actor` is not an owner, the dossier is not shortlisted (or already decided
    or heard), the slot is not open to owners, is full, has started or is past its booking
    deadline — and, for a move, when the slot left is past its own.

    Side effects: a "slot booked" (or "booking moved") event on the review, with the slots
    from and to in its data; the booking counts as the convocation (`convoked_at`), and the
    dossier's recipients get its confirmation with the .ics of the slot (and, for a move,
    the .ics cancelling the previous one), through the outbox, unless `notify` is false (the
    demo's bookings, made for invented people whose addresses reach nobody).
    """
    now = now or timezone.now()
    review = _review_lock_for_owner(domain, jury, dossier, actor, stage=stage, now=now)
    if review.slot_id == slot.pk:
        return review
    previous = review.slot
    if previous is not None:
        _ensure_open_to_owners(previous, now=now, verb="déplace", notice=domain.booking_notice)
    # The slot's row lock serialises every booking of it: the count below is then exact.
    slot = HearingSlot.objects.select_for_update().select_related("group", "jury").get(pk=slot.pk)
    if slot.jury_id != jury.pk:
        raise DomainError("Ce créneau n'appartient pas à ce jury.", code="slot")
    _ensure_open_to_owners(slot, now=now, verb="réserve", notice=domain.booking_notice)
    booked = domain.review_model.objects.filter(slot=slot).count()
    if booked >= slot.capacity:
        raise DomainError("Ce créneau est complet : choisissez-en un autre.", code="slot_full")
    action = ReviewAction.SLOT_BOOKED if previous is None else ReviewAction.SLOT_BOOKING_MOVED
    record(
        review,
        action=action,
        actor=actor,
        at=now,
        note=f"{slot.group} — {local_time(slot.starts_at)}",
        data={"from_slot": _slot_data(previous), "to_slot": _slot_data(slot)},
    )
    review.slot = slot
    review.convoked_at = now
    review.save(update_fields=["slot", "convoked_at"])
    if notify:
        _mail_owners(domain, review, template="slot_booked", slot=slot, previous=previous, now=now)
    return review


@transaction.atomic
def slot_booking_cancel(
    *, domain: JuryDomain, jury: Jury, dossier, actor, now=None, stage: JuryStage | None = None
):
    """Cancel the dossier's booking (at the stage given, else the jury's current one), on
    behalf of one of its owners, before the slot's booking deadline. Nothing to cancel is
    no error.

    Side effects: a "booking cancelled" event on the review (the slot left in its data), and
    the dossier's recipients get the cancellation with the .ics that removes the slot from
    their calendar, through the outbox.
    """
    now = now or timezone.now()
    review = _review_lock_for_owner(domain, jury, dossier, actor, stage=stage, now=now)
    previous = review.slot
    if previous is None:
        return review
    _ensure_open_to_owners(previous, now=now, verb="annule", notice=domain.booking_notice)
    record(
        review,
        action=ReviewAction.SLOT_BOOKING_CANCELLED,
        actor=actor,
        at=now,
        note=f"{previous.group} — {local_time(previous.starts_at)}",
        data={"from_slot": _slot_data(previous), "to_slot": None},
    )
    review.slot = None
    review.convoked_at = None
    review.save(update_fields=["slot", "convoked_at"])
    _mail_owners(
        domain, review, template="slot_booking_cancelled", slot=None, previous=previous, now=now
    )
    return review
