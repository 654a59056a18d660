"""Hearings: the groups of jurors and their slots, the slots given to dossiers and the
convocations, then each group's opinion on the dossiers it heard (see `reviews.py` for the
jury's rules)."""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from eig.exceptions import DomainError, InvalidTransition
from eig.history.services import record, record_many
from eig.jury.domain import JuryDomain
from eig.jury.ics import hearing_calendar, hearing_uid
from eig.jury.models import (
    AbstractReview,
    GroupAction,
    HearingSlot,
    Jury,
    JuryGroup,
    ReviewAction,
    SlotAction,
)
from eig.jury.reviews import ensure_length, local_time, review_ensure_undecided, review_lock
from eig.jury.rules import ensure_jury_staff
from eig.jury.selectors import member_conflict_reason
from eig.notifications.services import email_queue, reminder_send_once
from eig.permissions import ensure_perm

Opinion = AbstractReview.Opinion

JUSTIFICATION_MAX = 1000


# --- Hearing groups and slots -------------------------------------------------------------


def hearing_slot_clashes(
    *,
    jury: Jury,
    group: JuryGroup,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    members=None,
    exclude_slot: int | None = None,
) -> list[str]:
    """Why a slot of `group` from `starts_at` to `ends_at` cannot be held, in French: the
    group already sits then, or one of its members (`members`, by default the group's) sits
    in another group then. Empty when it can."""
    overlapping = HearingSlot.objects.filter(
        jury=jury, starts_at__lt=ends_at, ends_at__gt=starts_at
    ).exclude(pk=exclude_slot)
    problems = [
        f"Le groupe « {group} » a déjà un créneau qui chevauche celui-ci "
        f"(du {local_time(slot.starts_at)} au {local_time(slot.ends_at)})."
        for slot in overlapping.filter(group=group)
    ]
    members = list(members if members is not None else group.members.select_related("user"))
    names = {member.pk: str(member) for member in members}
    elsewhere = (
        overlapping.exclude(group=group)
        .filter(group__members__in=list(names))
        .distinct()
        .select_related("group")
        .prefetch_related("group__members__user")
        .order_by("starts_at")
    )
    for slot in elsewhere:
        for member in slot.group.members.all():
            if member.pk in names:
                problems.append(
                    f"{names[member.pk]} siège déjà dans le groupe « {slot.group} » à ce "
                    f"moment-là (créneau du {local_time(slot.starts_at)})."
                )
    return problems


def _ensure_members_in_jury(jury: Jury, members) -> None:
    for member in members:
        if member.jury_id != jury.pk or not member.is_active:
            raise DomainError(f"{member} n'est pas un juré actif de ce jury.", code="member")


@transaction.atomic
def _group_data(group: JuryGroup, members) -> dict:
    return {"name": group.name, "members": sorted(member.pk for member in members)}


def jury_group_create(*, jury: Jury, name: str, members, actor=None) -> JuryGroup:
    """Create a hearing group of jurors from the jury's pool. Side effect: a "created"
    history event with its name and members."""
    ensure_jury_staff(actor, "composer un groupe d'audition")
    members = list(members)
    _ensure_members_in_jury(jury, members)
    name = name.strip()
    if not name:
        raise DomainError("Donnez un nom au groupe.", code="name")
    if jury.groups.filter(name__iexact=name).exists():
        raise DomainError(f"Ce jury a déjà un groupe « {name} ».", code="name")
    group = JuryGroup.objects.create(jury=jury, name=name)
    group.members.set(members)
    record(group, action=GroupAction.CREATED, actor=actor, data=_group_data(group, members))
    return group


@transaction.atomic
def jury_group_update(*, group: JuryGroup, name: str, members, actor=None) -> JuryGroup:
    """Rename a group or change its members; refused when a new member already sits in
    another group at the time of one of this group's slots. Side effect: an "updated"
    history event with the group before and after."""
    ensure_jury_staff(actor, "modifier un groupe d'audition")
    group = JuryGroup.objects.select_for_update().get(pk=group.pk)
    before = _group_data(group, group.members.all())
    members = list(members)
    _ensure_members_in_jury(group.jury, members)
    name = name.strip()
    if not name:
        raise DomainError("Donnez un nom au groupe.", code="name")
    if group.jury.groups.filter(name__iexact=name).exclude(pk=group.pk).exists():
        raise DomainError(f"Ce jury a déjà un groupe « {name} ».", code="name")
    for slot in group.slots.all():
        problems = hearing_slot_clashes(
            jury=group.jury,
            group=group,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            members=members,
            exclude_slot=slot.pk,
        )
        if problems:
            raise DomainError(problems[0], code="clash")
    group.name = name
    group.save(update_fields=["name"])
    group.members.set(members)
    record(
        group,
        action=GroupAction.UPDATED,
        actor=actor,
        data={"before": before, "after": _group_data(group, members)},
    )
    return group


@transaction.atomic
def jury_group_delete(*, group: JuryGroup, actor=None) -> None:
    """Delete a group that has no slot left. Side effect: a "deleted" history event, which
    outlives the group (the history refers to its subject without a foreign key)."""
    ensure_jury_staff(actor, "supprimer un groupe d'audition")
    if group.slots.exists():
        raise DomainError(
            f"Le groupe « {group} » a des créneaux : supprimez-les d'abord.", code="has_slots"
        )
    record(
        group,
        action=GroupAction.DELETED,
        actor=actor,
        data=_group_data(group, group.members.all()),
    )
    group.delete()


@transaction.atomic
def hearing_slot_create(
    *,
    jury: Jury,
    group: JuryGroup,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    location: str = "",
    video_url: str = "",
    capacity: int = 1,
    booking: str = HearingSlot.Booking.STAFF,
    booking_deadline: datetime.datetime | None = None,
    actor=None,
) -> HearingSlot:
    """Open a hearing slot for a group, in a room or by video, for `capacity` dossiers,
    given by staff or booked by the dossiers' owners (until `booking_deadline`, if any).
    Refused when it ends before it starts, has neither place nor link, a capacity out of
    1–50, a deadline after its start (or without owner booking), or clashes with the
    group's or its members' other slots. Side effect: a "created" history event."""
    ensure_jury_staff(actor, "ouvrir un créneau")
    if group.jury_id != jury.pk:
        raise DomainError("Ce groupe n'appartient pas à ce jury.", code="group")
    # One writer at a time per jury: two slots created at once could overlap unseen.
    Jury.objects.select_for_update().filter(pk=jury.pk).first()
    if ends_at <= starts_at:
        raise DomainError("La fin du créneau doit suivre son début.", code="ends_before")
    location, video_url = location.strip(), video_url.strip()
    if not location and not video_url:
        raise DomainError("Indiquez un lieu ou un lien de visioconférence.", code="place")
    if not 1 <= capacity <= HearingSlot.CAPACITY_MAX:
        raise DomainError(
            f"La capacité d'un créneau va de 1 à {HearingSlot.CAPACITY_MAX} dossiers.",
            code="capacity",
        )
    if booking not in HearingSlot.Booking.values:
        raise DomainError("Choisissez qui attribue ce créneau.", code="booking")
    if booking_deadline is not None:
        if booking != HearingSlot.Booking.OWNER:
            raise DomainError(
                "Seul un créneau réservé par les porteurs a une date limite de réservation.",
                code="deadline",
            )
        if booking_deadline > starts_at:
            raise DomainError(
                "La date limite de réservation doit précéder le début du créneau.",
                code="deadline",
            )
    problems = hearing_slot_clashes(jury=jury, group=group, starts_at=starts_at, ends_at=ends_at)
    if problems:
        raise DomainError(problems[0], code="clash")
    slot = HearingSlot.objects.create(
        jury=jury,
        group=group,
        starts_at=starts_at,
        ends_at=ends_at,
        location=location,
        video_url=video_url,
        capacity=capacity,
        booking=booking,
        booking_deadline=booking_deadline,
    )
    record(slot, action=SlotAction.CREATED, actor=actor, data=_slot_data(slot))
    return slot


def _slot_data(slot: HearingSlot) -> dict:
    return {
        "group": slot.group_id,
        "starts_at": slot.starts_at.isoformat(),
        "ends_at": slot.ends_at.isoformat(),
        "capacity": slot.capacity,
        "booking": slot.booking,
    }


@transaction.atomic
def hearing_slot_delete(*, domain: JuryDomain, slot: HearingSlot, actor=None, now=None) -> None:
    """Delete a slot. Side effect: each dossier it was given to (or booked by), if convoked,
    is told its hearing is cancelled (and is convoked again once it has another slot).
    Refused to an `actor` who is not staff, and once one of those dossiers was heard or
    decided."""
    ensure_jury_staff(actor, "supprimer un créneau d'audition")
    now = now or timezone.now()
    reviews = (
        domain.review_model.objects.select_for_update(of=("self",))
        .select_related("slot__group", domain.dossier_field)
        .filter(slot=slot)
        .order_by("pk")
    )
    for review in reviews:
        review_ensure_undecided(review)
        if review.heard_at:
            raise InvalidTransition(
                "Ce créneau a déjà donné lieu à un avis d'audition : il ne peut plus être "
                "supprimé.",
                code="heard",
            )
        slot_release(domain=domain, review=review, actor=actor, now=now, note="Créneau supprimé")
        review.save(update_fields=["slot", "convoked_at"])
    record(slot, action=SlotAction.DELETED, actor=actor, at=now, data=_slot_data(slot))
    slot.delete()


# --- Slots given to dossiers, convocations ---------------------------------------------


def _hearing_mail_context(domain: JuryDomain, review, slot: HearingSlot) -> dict:
    dossier = getattr(review, domain.dossier_field)
    return {
        "dossier": dossier,
        "review": review,
        "slot": slot,
        "jury": slot.jury,
        "call": domain.jury_call(slot.jury),
        "dossier_url": dossier.get_absolute_url() if hasattr(dossier, "get_absolute_url") else "",
    }


def _hearing_calendar(domain: JuryDomain, review, slot: HearingSlot, *, now, cancelled=False):
    dossier = getattr(review, domain.dossier_field)
    call = domain.jury_call(slot.jury)
    lines = [f"Audition de « {dossier} » devant le jury de sélection « {slot.jury} »"]
    if call is not None:
        lines[0] += f" (appel « {call} »)"
    lines[0] += "."
    if slot.video_url:
        lines.append(f"Lien de visioconférence : {slot.video_url}")
    if slot.location:
        lines.append(f"Lieu : {slot.location}")
    if review.questions:
        lines += ["", "Questions de l'équipe de présélection :", review.questions]
    if hasattr(dossier, "get_absolute_url"):
        lines += ["", f"Votre dossier : {settings.SITE_URL}{dossier.get_absolute_url()}"]
    return hearing_calendar(
        uid=hearing_uid(slot_id=slot.pk, dossier_label=domain.dossier_field, dossier_id=dossier.pk),
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        summary=f"{'Annulée – ' if cancelled else ''}Audition EIG : {dossier}",
        description="\n".join(lines),
        location=slot.location,
        url=slot.video_url,
        stamp=now,
        cancelled=cancelled,
    )


def _email_with_calendar_queue(*, to, template: str, context: dict, calendar: str) -> None:
    email_queue(
        to=to,
        template=template,
        context=context,
        attachments=[("audition.ics", calendar.encode(), "text/calendar")],
    )


def slot_release(*, domain: JuryDomain, review, actor, now, note: str = "") -> None:
    """Take its slot back from a locked review (the caller saves "slot" and "convoked_at"),
    with a "slot released" event. A convoked dossier's recipients get a cancellation with an
    .ics that removes the event."""
    slot = review.slot
    if slot is not None:
        record(
            review,
            action=ReviewAction.SLOT_RELEASED,
            actor=actor,
            at=now,
            note=note,
            data={"slot": slot.pk, "starts_at": slot.starts_at.isoformat()},
        )
    if slot is not None and review.convoked_at is not None:
        dossier = getattr(review, domain.dossier_field)
        _email_with_calendar_queue(
            to=domain.dossier_recipients(dossier),
            template=f"{domain.mail_prefix}hearing_cancelled",
            context=_hearing_mail_context(domain, review, slot),
            calendar=_hearing_calendar(domain, review, slot, now=now, cancelled=True),
        )
    review.slot = None
    review.convoked_at = None


@transaction.atomic
def review_assign_slot(
    *,
    domain: JuryDomain,
    jury: Jury,
    dossier,
    slot: HearingSlot | None,
    actor,
    now=None,
    stage=None,
):
    """Give a dossier shortlisted at a stage (the first unless `stage` says otherwise) its
    hearing slot, up to the slot's capacity (slots that owners book are theirs, not
    staff's); `slot=None` takes it back. The slot's row is locked, so that two staff filling
    its last place at once cannot both get it.

    Side effects: "slot released" / "slot assigned" events on the review; no mail until
    `hearing_convoke`, except when the dossier was already
    convoked to another slot: its recipients are told that hearing is cancelled, and the
    next `hearing_convoke` convokes it again. Refused to an `actor` who is not staff, and
    once the dossier was heard or decided.
    """
    ensure_jury_staff(actor, "attribuer les créneaux d'audition")
    now = now or timezone.now()
    review = review_lock(domain, jury, dossier, create=False, stage=stage)
    if not review.is_shortlisted:
        raise InvalidTransition(
            "Seul un dossier présélectionné reçoit un créneau d'audition.", code="not_shortlisted"
        )
    review_ensure_undecided(review)
    if review.heard_at:
        raise InvalidTransition(
            "Le groupe d'audition a déjà rendu son avis : le créneau ne change plus.",
            code="heard",
        )
    if (slot.pk if slot else None) == review.slot_id:
        return review
    if slot is not None:
        slot = HearingSlot.objects.select_for_update().select_related("group").get(pk=slot.pk)
        if slot.jury_id != jury.pk:
            raise DomainError("Ce créneau n'appartient pas à ce jury.", code="slot")
        if slot.booking == HearingSlot.Booking.OWNER:
            raise DomainError(
                "Ce créneau est réservé par les porteurs des dossiers eux-mêmes : "
                "l'équipe ne l'attribue pas.",
                code="owner_booking",
            )
        taken = list(
            domain.review_model.objects.filter(slot=slot)
            .select_related(domain.dossier_field)
            .order_by("pk")[: slot.capacity]
        )
        if slot.capacity == 1 and taken:
            raise DomainError(
                f"Ce créneau est déjà donné à « {getattr(taken[0], domain.dossier_field)} ».",
                code="slot_taken",
            )
        if len(taken) >= slot.capacity:
            raise DomainError(
                f"Ce créneau est complet : il accueille déjà {slot.capacity} dossiers.",
                code="slot_full",
            )
    slot_release(domain=domain, review=review, actor=actor, now=now)
    review.slot = slot
    review.save(update_fields=["slot", "convoked_at"])
    if slot is not None:
        record(
            review,
            action=ReviewAction.SLOT_ASSIGNED,
            actor=actor,
            at=now,
            note=f"{slot.group} — {local_time(slot.starts_at)}",
            data={"slot": slot.pk, "starts_at": slot.starts_at.isoformat()},
        )
    return review


@transaction.atomic
def hearing_convoke(*, domain: JuryDomain, jury: Jury, actor, now=None) -> int:
    """Convoke every dossier that has a slot and was not convoked to it yet.

    Side effect: each one's recipients get a mail with the slot, the place or link and the
    pre-selection questions, and an .ics of the hearing, from a Celery task once the
    transaction commits, and a "convoked" event on each review. Each convocation is sent
    once, however many times staff click; a dossier whose slot changed is convoked again.
    Returns the number of convocations. Refused to an `actor` who is not staff.
    """
    ensure_jury_staff(actor, "convoquer aux auditions")
    now = now or timezone.now()
    reviews = list(
        domain.review_model.objects.select_for_update(of=("self",))
        .filter(jury=jury, slot__isnull=False, convoked_at__isnull=True, decision="")
        .select_related("slot__group", "slot__jury", domain.dossier_field)
        .order_by("slot__starts_at", "pk")
    )
    for review in reviews:
        dossier = getattr(review, domain.dossier_field)
        review.convoked_at = now
        _email_with_calendar_queue(
            to=domain.dossier_recipients(dossier),
            template=f"{domain.mail_prefix}hearing_convocation",
            context=_hearing_mail_context(domain, review, review.slot),
            calendar=_hearing_calendar(domain, review, review.slot, now=now),
        )
    domain.review_model.objects.bulk_update(reviews, ["convoked_at"])
    record_many(reviews, action=ReviewAction.CONVOKED, actor=actor, at=now)
    return len(reviews)


# How long before its start a convoked (or booked) dossier is reminded of its slot.
HEARING_REMINDER_WINDOW = datetime.timedelta(hours=24)


def hearing_send_reminders(*, domain: JuryDomain, now=None) -> int:
    """Remind each convoked or booked dossier of the domain whose slot starts within the next
    24 hours, once: each of its owners (`dossier_owners`) gets the mail
    `<mail_prefix>slot_reminder` with the slot and its .ics. A reminder is written once per
    review, owner and slot (`reminder_send_once`), whatever the number of beat ticks or
    retries; a dossier moved to another slot is reminded of the new one. Returns the number
    of mails written (to the outbox, sent from there)."""
    now = now or timezone.now()
    reviews = (
        domain.review_model.objects.filter(
            jury__domain=domain.key,
            convoked_at__isnull=False,
            heard_at__isnull=True,
            decision="",
            slot__starts_at__gt=now,
            slot__starts_at__lte=now + HEARING_REMINDER_WINDOW,
        )
        .filter(domain.dossier_active_q(f"{domain.dossier_field}__"))
        .select_related("slot__group", "slot__jury", domain.dossier_field)
        .order_by("slot__starts_at", "pk")
    )
    sent = 0
    for review in reviews:
        dossier = getattr(review, domain.dossier_field)
        slot = review.slot
        calendar = _hearing_calendar(domain, review, slot, now=now)
        for owner in domain.dossier_owners(dossier):
            if owner is None or not owner.email:
                continue
            sent += reminder_send_once(
                kind=f"hearing_slot_{slot.pk}",
                obj=review,
                recipient=owner,
                due_on=timezone.localdate(slot.starts_at),
                template=f"{domain.mail_prefix}slot_reminder",
                context=_hearing_mail_context(domain, review, slot),
                attachments=[("audition.ics", calendar.encode(), "text/calendar")],
            )
    return sent


# --- The hearing group's opinion ------------------------------------------------------


def review_may_record_hearing(domain: JuryDomain, review, user) -> str | None:
    """Why `user` may not record the hearing opinion on this review, or None: programme
    staff may, and the active members of the dossier's hearing group who have no conflict
    with it."""
    if user.is_programme_staff:
        return None
    if review.slot is None:
        return "Ce dossier n'a pas encore de créneau d'audition."
    member = (
        review.slot.group.members.filter(user=user, withdrawn_at__isnull=True)
        .select_related("user__administration__parent")
        .first()
    )
    if member is None:
        return "Seuls les membres du groupe d'audition de ce dossier rendent son avis."
    reason = member_conflict_reason(domain, member, getattr(review, domain.dossier_field))
    if reason:
        return f"Vous êtes en conflit d'intérêts avec ce dossier ({reason})."
    return None


@transaction.atomic
def review_record_hearing(
    *,
    domain: JuryDomain,
    review,
    actor,
    opinion: str,
    hearing_rank: int,
    favourite: bool,
    justification: str,
    now=None,
):
    """Record the hearing group's overall opinion on a dossier (the jury guide's general
    grid): favourable or not, its rank among the group's dossiers (each rank once), a
    « coup de cœur », a short justification. It may be recorded again until the decision.
    Recorded by staff or a member of the dossier's hearing group without conflict
    (`jury.record_hearing`). Side effect: an "opinion recorded" event (from the previous
    opinion to this one)."""
    now = now or timezone.now()
    review = (
        domain.review_model.objects.select_for_update(of=("self",))
        .select_related("jury", "slot__group", domain.dossier_field)
        .get(pk=review.pk)
    )
    if review.slot is None:
        raise InvalidTransition("Ce dossier n'a pas de créneau d'audition.", code="no_slot")
    review_ensure_undecided(review)

    def refusal() -> str:
        # The rule's reason, unless only the account was refused (deactivated).
        return review_may_record_hearing(domain, review, actor) or (
            "Seuls l'équipe du programme et les membres du groupe d'audition de ce dossier "
            "rendent son avis."
        )

    ensure_perm(actor, "jury.record_hearing", review, message=refusal, code="forbidden")
    if opinion not in Opinion.values:
        raise DomainError("Choisissez un avis favorable ou défavorable.", code="opinion")
    justification = justification.strip()
    if not justification:
        raise DomainError("Justifiez brièvement l'avis du groupe.", code="justification")
    ensure_length(justification, JUSTIFICATION_MAX, "Justification")

    # Ranks are unique within the group: record one group's opinions one at a time.
    group = JuryGroup.objects.select_for_update().get(pk=review.slot.group_id)
    heard = domain.review_model.objects.filter(slot__group=group)
    size = heard.count()
    if not 1 <= hearing_rank <= size:
        raise DomainError(
            f"Le rang va de 1 à {size}, le nombre de dossiers que le groupe « {group} » "
            "auditionne.",
            code="rank",
        )
    same_rank = (
        heard.filter(hearing_rank=hearing_rank)
        .exclude(pk=review.pk)
        .select_related(domain.dossier_field)
        .first()
    )
    if same_rank is not None:
        # Jurors of the group read this: they know the dossier by its juror label.
        taken = domain.label_for_juror(getattr(same_rank, domain.dossier_field), review.jury)
        raise DomainError(
            f"Le rang {hearing_rank} est déjà donné à « {taken} » dans ce groupe.",
            code="rank_taken",
        )
    record(
        review,
        action=ReviewAction.OPINION_RECORDED,
        actor=actor,
        from_state=review.opinion,
        to_state=opinion,
        at=now,
        note=justification,
        data={"rank": hearing_rank, "favourite": favourite},
    )
    review.opinion = opinion
    review.hearing_rank = hearing_rank
    review.favourite = favourite
    review.justification = justification
    review.heard_at = now
    review.save(update_fields=["opinion", "hearing_rank", "favourite", "justification", "heard_at"])
    return review
