"""What waits for a candidate, for "À faire" on the personal space (registered in
CandidatesConfig.ready): their drafts to submit before their calls close, wishes to rank
after a pre-selection, an interview to book. Three queries."""

import datetime

from django.db.models import Count, Exists, F, Min, OuterRef, Q
from django.urls import reverse

from candidates.jury import CANDIDATE_JURY
from candidates.models import MIN_WISHES, Application, ApplicationReview, CandidateCall
from eig.accounts.models import Role, User
from eig.accounts.todos import Todo, counted, deadline_text, urgency_for
from eig.jury.models import HearingSlot


def candidate_todos(user: User, now: datetime.datetime) -> list[Todo]:
    if not user.has_role(Role.CANDIDATE):
        return []
    open_drafts = Q(state=Application.State.DRAFT, call__opens_at__lte=now, call__closes_at__gt=now)
    figures = Application.objects.filter(candidate=user).aggregate(
        drafts=Count("pk", filter=open_drafts),
        due=Min("call__closes_at", filter=open_drafts),
        slug=Min("call__slug", filter=open_drafts),
    )
    todos = _wishes_todos(user, now) + _interview_todos(user, now)
    if not figures["drafts"]:
        return todos
    due = figures["due"]
    return todos + [
        Todo(
            role=Role.CANDIDATE,
            count=figures["drafts"],
            label=counted(figures["drafts"], "candidature à déposer", "candidatures à déposer"),
            # One draft leads to it; several, to the calls.
            url=reverse("candidates:application", args=[figures["slug"]])
            if figures["drafts"] == 1
            else reverse("candidates:call_list"),
            urgency=urgency_for(due, now),
            deadline=due,
            detail=f"Avant la clôture de l'appel, le {deadline_text(due)} (heure de Paris).",
        )
    ]


def _wishes_todos(user: User, now: datetime.datetime) -> list[Todo]:
    """Pre-selected for a call that asks the wishes afterwards (promotion 5), with fewer
    than the wishes needed, before their deadline."""
    waiting = (
        Application.objects.filter(
            candidate=user,
            state=Application.State.PRESELECTED,
            call__wishes_timing=CandidateCall.WishesTiming.AFTER_PRESELECTION,
            call__wishes_closes_at__gt=now,
        )
        .annotate(held=Count("wishes", filter=Q(wishes__withdrawn_at__isnull=True)))
        .filter(held__lt=MIN_WISHES)
        .values_list("call__slug", "call__wishes_closes_at")
        .order_by("call__wishes_closes_at")
    )
    return [
        Todo(
            role=Role.CANDIDATE,
            count=1,
            label="Vœux à classer : vous êtes présélectionné·e",
            url=reverse("candidates:application_wishes", args=[slug]),
            urgency=urgency_for(due, now),
            deadline=due,
            detail=f"Avant le {deadline_text(due)} (heure de Paris).",
        )
        for slug, due in waiting
    ]


def _interview_todos(user: User, now: datetime.datetime) -> list[Todo]:
    """Invited to an interview (shortlisted, undecided) without a slot, while the jury
    offers slots that candidates book and that are still open to them (the notice before
    the start, the slot's own deadline)."""
    bookable = HearingSlot.objects.filter(
        jury=OuterRef("jury"),
        booking=HearingSlot.Booking.OWNER,
        starts_at__gt=now + CANDIDATE_JURY.booking_notice,
    ).filter(Q(booking_deadline__isnull=True) | Q(booking_deadline__gt=now))
    invited = (
        ApplicationReview.objects.filter(
            application__candidate=user,
            application__state__in=[Application.State.SUBMITTED, Application.State.PRESELECTED],
            shortlisted_at__isnull=False,
            slot__isnull=True,
            decision="",
        )
        .filter(Exists(bookable))
        .values_list(F("application__call__slug"), flat=True)
        .distinct()
    )
    return [
        Todo(
            role=Role.CANDIDATE,
            count=1,
            label="Entretien à réserver : vous êtes présélectionné·e",
            url=reverse("candidates:application_interview", args=[slug]),
            detail="Choisissez votre créneau parmi ceux que le jury propose.",
        )
        for slug in invited
    ]
