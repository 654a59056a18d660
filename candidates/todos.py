"""What waits for a candidate, for "À faire" on the personal space (registered in
CandidatesConfig.ready): their drafts to submit before their calls close. One query."""

import datetime

from django.db.models import Count, Min, Q
from django.urls import reverse

from candidates.models import Application
from eig.accounts.models import Role, User
from eig.accounts.todos import Todo, counted, deadline_text, urgency_for


def candidate_todos(user: User, now: datetime.datetime) -> list[Todo]:
    if not user.has_role(Role.CANDIDATE):
        return []
    open_drafts = Q(state=Application.State.DRAFT, call__opens_at__lte=now, call__closes_at__gt=now)
    figures = Application.objects.filter(candidate=user).aggregate(
        drafts=Count("pk", filter=open_drafts),
        due=Min("call__closes_at", filter=open_drafts),
        slug=Min("call__slug", filter=open_drafts),
    )
    if not figures["drafts"]:
        return []
    due = figures["due"]
    return [
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
