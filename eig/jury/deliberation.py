"""Writes of the jury engine after scoring: pre-selection, hearings, deliberation.

Like `services.py`, every function takes the `JuryDomain` of its dossiers. What the jury
decides about one dossier lives on the domain's review row (`AbstractReview`); the dossier's
own state follows through `domain.dossier_transition`, which writes its history.

The rules, from the jury guide of promotion 4 (2020): a pre-selection team shortlists
dossiers for a hearing and raises questions, sent to the administration with its
convocation; hearing groups of a few jurors hear two or three dossiers each, then give each
one an overall opinion (favourable or not), a rank within the group, possibly a « coup de
cœur », and a short justification; the deliberation then decides: selected, waiting list,
not selected.
"""

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from eig.dispatch import task_dispatch, task_dispatch_on_commit
from eig.exceptions import DomainError, InvalidTransition
from eig.jury.domain import JuryDomain
from eig.jury.ics import hearing_calendar, hearing_uid
from eig.jury.models import AbstractReview, DecisionRecord, HearingSlot, Jury, JuryGroup
from eig.jury.selectors import member_conflict_reason
from eig.notifications.services import email_queue

Decision = AbstractReview.Decision
Opinion = AbstractReview.Opinion

JUSTIFICATION_MAX = 1000
MOTIVATION_MAX = 2000
QUESTIONS_MAX = 3000

# Decision already taken -> decisions it may still become: the waiting list is resolved
# later; the other decisions are final.
DECISION_MOVES = {
    "": {Decision.SELECTED, Decision.WAITING_LIST, Decision.NOT_SELECTED},
    Decision.WAITING_LIST: {Decision.SELECTED, Decision.NOT_SELECTED},
}


def _local(moment: datetime.datetime) -> str:
    return f"{timezone.localtime(moment):%d/%m/%Y à %H:%M}"


def _ensure_dossier_in_jury(domain: JuryDomain, jury: Jury, dossier) -> None:
    if not domain.dossiers(jury).filter(pk=dossier.pk).exists():
        raise DomainError("Ce dossier n'est pas soumis à ce jury.", code="dossier")


def _review_lock(domain: JuryDomain, jury: Jury, dossier, *, create: bool = True):
    """The dossier's review row, locked; created empty when `create` and missing."""
    queryset = domain.review_model.objects.filter(**{domain.dossier_field: dossier})
    if create and not queryset.exists():
        try:
            with transaction.atomic():
                domain.review_model.objects.create(jury=jury, **{domain.dossier_field: dossier})
        except IntegrityError:
            pass  # created meanwhile by another request: lock theirs
    review = (
        queryset.select_for_update(of=("self",))
        .select_related("slot__group", domain.dossier_field)
        .first()
    )
    if review is None:
        raise InvalidTransition("Ce dossier n'est pas présélectionné.", code="not_shortlisted")
    return review


def _ensure_undecided(review) -> None:
    if review.decision:
        raise InvalidTransition(
            f"La décision est prise pour ce dossier ({review.get_decision_display()}) : "
            "la présélection et les auditions ne peuvent plus changer.",
            code="decided",
        )


def _ensure_length(value: str, limit: int, label: str) -> None:
    if len(value) > limit:
        raise DomainError(
            f"{label} : {limit} caractères au plus ({len(value)} saisis).", code="too_long"
        )


# --- Pre-selection ------------------------------------------------------------------------


@transaction.atomic
def review_shortlist(
    *, domain: JuryDomain, jury: Jury, dossier, actor, questions: str = "", now=None
):
    """Shortlist a dossier for a hearing, with the questions the pre-selection raised; on a
    dossier already shortlisted, update the questions.

    Side effect, the first time: the dossier moves to "shortlisted" with a history row.
    Refused once a decision is made.
    """
    now = now or timezone.now()
    questions = questions.strip()
    _ensure_length(questions, QUESTIONS_MAX, "Questions de la présélection")
    _ensure_dossier_in_jury(domain, jury, dossier)
    review = _review_lock(domain, jury, dossier)
    _ensure_undecided(review)
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
    review.save(update_fields=fields)
    return review


@transaction.atomic
def review_unshortlist(*, domain: JuryDomain, jury: Jury, dossier, actor, now=None):
    """Take a dossier off the shortlist. Its hearing slot is freed.

    Side effects: the dossier goes back to "submitted" with a history row; if it was already
    convoked, its recipients are told the hearing is cancelled. Refused once the hearing
    group gave its opinion, or once a decision is made.
    """
    now = now or timezone.now()
    review = _review_lock(domain, jury, dossier, create=False)
    if not review.is_shortlisted:
        raise InvalidTransition("Ce dossier n'est pas présélectionné.", code="not_shortlisted")
    _ensure_undecided(review)
    if review.heard_at:
        raise InvalidTransition(
            "Le groupe d'audition a déjà rendu son avis sur ce dossier : il reste présélectionné.",
            code="heard",
        )
    # Off the shortlist first: the cancellation says so.
    review.shortlisted_at = None
    _slot_release(domain=domain, review=review, now=now)
    review.save(update_fields=["shortlisted_at", "slot", "convoked_at"])
    domain.dossier_transition(
        dossier=dossier,
        to_state="submitted",
        actor=actor,
        note="Retiré de la présélection",
        now=now,
    )
    return review


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
        f"(du {_local(slot.starts_at)} au {_local(slot.ends_at)})."
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
                    f"moment-là (créneau du {_local(slot.starts_at)})."
                )
    return problems


def _ensure_members_in_jury(jury: Jury, members) -> None:
    for member in members:
        if member.jury_id != jury.pk or not member.is_active:
            raise DomainError(f"{member} n'est pas un juré actif de ce jury.", code="member")


@transaction.atomic
def jury_group_create(*, jury: Jury, name: str, members) -> JuryGroup:
    """Create a hearing group of jurors from the jury's pool. No side effect."""
    members = list(members)
    _ensure_members_in_jury(jury, members)
    name = name.strip()
    if not name:
        raise DomainError("Donnez un nom au groupe.", code="name")
    if jury.groups.filter(name__iexact=name).exists():
        raise DomainError(f"Ce jury a déjà un groupe « {name} ».", code="name")
    group = JuryGroup.objects.create(jury=jury, name=name)
    group.members.set(members)
    return group


@transaction.atomic
def jury_group_update(*, group: JuryGroup, name: str, members) -> JuryGroup:
    """Rename a group or change its members; refused when a new member already sits in
    another group at the time of one of this group's slots."""
    group = JuryGroup.objects.select_for_update().get(pk=group.pk)
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
    return group


@transaction.atomic
def jury_group_delete(*, group: JuryGroup) -> None:
    """Delete a group that has no slot left."""
    if group.slots.exists():
        raise DomainError(
            f"Le groupe « {group} » a des créneaux : supprimez-les d'abord.", code="has_slots"
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
) -> HearingSlot:
    """Open a hearing slot for a group, in a room or by video. Refused when it ends before it
    starts, has neither place nor link, or clashes with the group's or its members' other
    slots. No side effect."""
    if group.jury_id != jury.pk:
        raise DomainError("Ce groupe n'appartient pas à ce jury.", code="group")
    # One writer at a time per jury: two slots created at once could overlap unseen.
    Jury.objects.select_for_update().filter(pk=jury.pk).first()
    if ends_at <= starts_at:
        raise DomainError("La fin du créneau doit suivre son début.", code="ends_before")
    location, video_url = location.strip(), video_url.strip()
    if not location and not video_url:
        raise DomainError("Indiquez un lieu ou un lien de visioconférence.", code="place")
    problems = hearing_slot_clashes(jury=jury, group=group, starts_at=starts_at, ends_at=ends_at)
    if problems:
        raise DomainError(problems[0], code="clash")
    return HearingSlot.objects.create(
        jury=jury,
        group=group,
        starts_at=starts_at,
        ends_at=ends_at,
        location=location,
        video_url=video_url,
    )


@transaction.atomic
def hearing_slot_delete(*, domain: JuryDomain, slot: HearingSlot, now=None) -> None:
    """Delete a slot. Side effect: the dossier it was given to, if convoked, is told its
    hearing is cancelled (and is convoked again once it has another slot). Refused once
    that dossier was heard or decided."""
    now = now or timezone.now()
    review = (
        domain.review_model.objects.select_for_update(of=("self",))
        .select_related("slot__group", domain.dossier_field)
        .filter(slot=slot)
        .first()
    )
    if review is not None:
        _ensure_undecided(review)
        if review.heard_at:
            raise InvalidTransition(
                "Ce créneau a déjà donné lieu à un avis d'audition : il ne peut plus être "
                "supprimé.",
                code="heard",
            )
        _slot_release(domain=domain, review=review, now=now)
        review.save(update_fields=["slot", "convoked_at"])
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


def _slot_release(*, domain: JuryDomain, review, now) -> None:
    """Take its slot back from a locked review (the caller saves "slot" and "convoked_at").
    A convoked dossier's recipients get a cancellation with an .ics that removes the event."""
    slot = review.slot
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
    *, domain: JuryDomain, jury: Jury, dossier, slot: HearingSlot | None, actor, now=None
):
    """Give a shortlisted dossier its hearing slot, one dossier per slot; `slot=None` takes
    it back.

    Side effects: none until `hearing_convoke`, except when the dossier was already
    convoked to another slot: its recipients are told that hearing is cancelled, and the
    next `hearing_convoke` convokes it again. Refused once the dossier was heard or decided.
    """
    now = now or timezone.now()
    review = _review_lock(domain, jury, dossier, create=False)
    if not review.is_shortlisted:
        raise InvalidTransition(
            "Seul un dossier présélectionné reçoit un créneau d'audition.", code="not_shortlisted"
        )
    _ensure_undecided(review)
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
        taken = (
            domain.review_model.objects.filter(slot=slot)
            .select_related(domain.dossier_field)
            .first()
        )
        if taken is not None:
            raise DomainError(
                f"Ce créneau est déjà donné à « {getattr(taken, domain.dossier_field)} ».",
                code="slot_taken",
            )
    _slot_release(domain=domain, review=review, now=now)
    review.slot = slot
    review.save(update_fields=["slot", "convoked_at"])
    return review


@transaction.atomic
def hearing_convoke(*, domain: JuryDomain, jury: Jury, actor, now=None) -> int:
    """Convoke every dossier that has a slot and was not convoked to it yet.

    Side effect: each one's recipients get a mail with the slot, the place or link and the
    pre-selection questions, and an .ics of the hearing, from a Celery task once the
    transaction commits. Each convocation is sent once, however many times staff click;
    a dossier whose slot changed is convoked again. Returns the number of convocations.
    """
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
    return len(reviews)


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
    No side effect."""
    now = now or timezone.now()
    review = (
        domain.review_model.objects.select_for_update(of=("self",))
        .select_related("slot__group", domain.dossier_field)
        .get(pk=review.pk)
    )
    if review.slot is None:
        raise InvalidTransition("Ce dossier n'a pas de créneau d'audition.", code="no_slot")
    _ensure_undecided(review)
    refusal = review_may_record_hearing(domain, review, actor)
    if refusal:
        raise DomainError(refusal, code="forbidden")
    if opinion not in Opinion.values:
        raise DomainError("Choisissez un avis favorable ou défavorable.", code="opinion")
    justification = justification.strip()
    if not justification:
        raise DomainError("Justifiez brièvement l'avis du groupe.", code="justification")
    _ensure_length(justification, JUSTIFICATION_MAX, "Justification")

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
        taken = domain.label_for_juror(getattr(same_rank, domain.dossier_field))
        raise DomainError(
            f"Le rang {hearing_rank} est déjà donné à « {taken} » dans ce groupe.",
            code="rank_taken",
        )
    review.opinion = opinion
    review.hearing_rank = hearing_rank
    review.favourite = favourite
    review.justification = justification
    review.heard_at = now
    review.save(update_fields=["opinion", "hearing_rank", "favourite", "justification", "heard_at"])
    return review


# --- Deliberation ------------------------------------------------------------------------


@transaction.atomic
def review_decide(
    *, domain: JuryDomain, jury: Jury, dossier, decision: str, motivation: str, actor, now=None
):
    """Decide on a dossier: selected, waiting list or not selected, with a motivation (required
    unless selected). A decision is final, except the waiting list, which may later become
    selected or not selected.

    Side effects: the dossier's state moves with a history row; its recipients are mailed
    the decision and its motivation once the transaction commits.
    """
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
    _ensure_length(motivation, MOTIVATION_MAX, "Motivation")
    _ensure_dossier_in_jury(domain, jury, dossier)
    review = _review_lock(domain, jury, dossier)
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

    Side effect: a Celery task renders its PDF once the transaction commits. Refused while
    no decision is made.
    """
    from eig.jury.tasks import render_decision_record

    if not domain.import_path:
        raise DomainError("Ce type de dossier n'a pas de relevé de décision.", code="no_path")
    now = now or timezone.now()
    jury = Jury.objects.select_for_update().get(pk=jury.pk)
    if not domain.review_model.objects.filter(jury=jury).exclude(decision="").exists():
        raise DomainError(
            "Aucune décision n'est prise : le relevé serait vide.", code="no_decision"
        )
    last = jury.decision_records.aggregate(last=Max("version"))["last"] or 0
    record = DecisionRecord.objects.create(
        jury=jury, version=last + 1, created_by=actor, created_at=now
    )
    task_dispatch_on_commit(render_decision_record, record_id=record.pk, domain=domain.import_path)
    return record


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
