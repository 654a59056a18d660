"""What waits for each person in the conventions, for "À faire" on the personal space
(registered in FundingConfig.ready). One query per role, whatever the number of
conventions."""

import datetime

from django.db.models import Count, Min, OuterRef, Subquery
from django.urls import reverse

from eig.accounts.models import Role, User
from eig.accounts.todos import Todo, Urgency, counted, deadline_text
from eig.programme.models import AdministrationMembership
from funding.models import Convention, ConventionVersion

State = ConventionVersion.State

# Past this delay the administration is reminded for the second time (see the reminders of
# funding.services.reminders): the signature is late.
LATE_AFTER = datetime.timedelta(days=14)


def _current(field_name: str):
    return Subquery(
        ConventionVersion.objects.filter(convention=OuterRef("pk"))
        .order_by("-number")
        .values(field_name)[:1]
    )


def _waiting(conventions, state: str, date_field: str) -> dict:
    return (
        conventions.annotate(current_state=_current("state"), current_since=_current(date_field))
        .filter(current_state=state)
        .aggregate(n=Count("pk"), since=Min("current_since"))
    )


def _urgency(since, now) -> Urgency:
    return Urgency.URGENT if since and now - since > LATE_AFTER else Urgency.NORMAL


def agent_todos(user: User, now: datetime.datetime) -> list[Todo]:
    """Conventions sent to the agent's administration, for its named signatories only (the
    other members read them but do not sign)."""
    if not user.has_role(Role.AGENT) or not user.administration_id:
        return []
    waiting = _waiting(
        # The signatory check rides in the same query as the count.
        Convention.objects.filter(
            administration_id=user.administration_id,
            administration__memberships__user=user,
            administration__memberships__state=AdministrationMembership.State.VERIFIED,
            administration__memberships__is_signatory=True,
        ),
        State.SENT,
        "sent_at",
    )
    if not waiting["n"]:
        return []
    return [
        Todo(
            role=Role.AGENT,
            count=waiting["n"],
            label=counted(waiting["n"], "convention à signer", "conventions à signer"),
            url=reverse("funding:my_conventions"),
            urgency=_urgency(waiting["since"], now),
            detail=f"Envoyée pour signature le {deadline_text(waiting['since'])}."
            if waiting["n"] == 1
            else f"La première envoyée le {deadline_text(waiting['since'])}.",
        )
    ]


def staff_todos(user: User, now: datetime.datetime) -> list[Todo]:
    """Conventions the administration signed and the DINUM countersigns."""
    if not user.is_programme_staff:
        return []
    waiting = _waiting(Convention.objects.all(), State.SIGNED_ADMIN, "signed_admin_at")
    if not waiting["n"]:
        return []
    return [
        Todo(
            role=Role.STAFF,
            count=waiting["n"],
            label=counted(waiting["n"], "convention à contresigner", "conventions à contresigner"),
            url=reverse("funding:budget_index"),
            urgency=Urgency.URGENT
            if now - waiting["since"] > datetime.timedelta(days=7)
            else Urgency.SOON,
            detail=f"Signée par l'administration le {deadline_text(waiting['since'])}"
            + (" (la plus ancienne)." if waiting["n"] > 1 else "."),
        )
    ]
