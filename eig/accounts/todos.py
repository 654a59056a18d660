"""What waits for a person, shown first on their personal space ("À faire").

The core knows no défi, evaluation or convention: each app registers a provider
(`register_todos` in its AppConfig.ready) that returns the person's to-dos in its domain,
as `personal_data.py` does for the export. A provider looks at the roles first and runs its
few queries only for the roles it serves, so the page's query count depends on the roles,
never on the number of défis, evaluations or conventions.
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import models
from django.utils import formats, timezone

from eig.accounts.models import Role, User


class Urgency(models.IntegerChoices):
    # Ordered: the dashboard lists the most urgent first.
    OVERDUE = 0, "En retard"
    URGENT = 1, "Urgent"
    SOON = 2, "Cette semaine"
    NORMAL = 3, "À faire"


@dataclass(frozen=True)
class Todo:
    """One line of "À faire": `label` already carries the count, agreed in number
    ("1 convention à signer", "3 dossiers à évaluer")."""

    role: str
    count: int
    label: str
    url: str
    urgency: Urgency = Urgency.NORMAL
    deadline: datetime.datetime | None = None
    detail: str = ""

    @property
    def urgency_label(self) -> str:
        return Urgency(self.urgency).label


Provider = Callable[[User, datetime.datetime], Iterable[Todo]]

_PROVIDERS: dict[str, Provider] = {}


def register_todos(name: str, provider: Provider) -> None:
    _PROVIDERS[name] = provider


def counted(count: int, singular: str, plural: str) -> str:
    """ "1 dossier", "3 dossiers": French takes the singular for 0 and 1."""
    return f"{count} {singular if count < 2 else plural}"


def urgency_for(deadline: datetime.datetime | None, now: datetime.datetime) -> Urgency:
    """How pressing a task is from its deadline: past, within 2 days, within 7 days."""
    if deadline is None:
        return Urgency.NORMAL
    left = deadline - now
    if left <= datetime.timedelta(0):
        return Urgency.OVERDUE
    if left <= datetime.timedelta(days=2):
        return Urgency.URGENT
    if left <= datetime.timedelta(days=7):
        return Urgency.SOON
    return Urgency.NORMAL


def deadline_text(deadline: datetime.datetime) -> str:
    return formats.date_format(timezone.localtime(deadline), "j F Y à H\\hi")


def user_todos(user: User, now: datetime.datetime | None = None) -> list[Todo]:
    """Every to-do of `user` in every app, most urgent first, then nearest deadline."""
    now = now or timezone.now()
    todos = [
        todo
        for _name, provider in sorted(_PROVIDERS.items())
        for todo in provider(user, now)
        if todo.count
    ]
    far = datetime.datetime.max.replace(tzinfo=datetime.UTC)
    return sorted(todos, key=lambda t: (t.urgency, t.deadline or far, t.label))


def todos_by_role(todos: list[Todo]) -> list[dict]:
    """The to-dos grouped under each role, in the order of `Role`, for the dashboard."""
    groups = []
    for role in Role:
        mine = [todo for todo in todos if todo.role == role]
        if mine:
            groups.append({"role": role, "label": ROLE_HEADINGS[role], "todos": mine})
    return groups


ROLE_HEADINGS = {
    Role.AGENT: "Pour vos défis et votre administration",
    Role.CANDIDATE: "Pour votre candidature",
    Role.JUROR: "Pour le jury",
    Role.COACH: "Pour l'accompagnement",
    Role.STAFF: "Pour l'équipe du programme",
}
