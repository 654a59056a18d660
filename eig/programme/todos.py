"""What waits for each person in the memberships of administrations, for "À faire" on the
personal space (registered in ProgrammeConfig.ready): a request to examine waits for the
administration's verified members, and for staff when nobody of the administration can
decide. One query per role, whatever the number of requests."""

import datetime

from django.db.models import Count, Exists, Min, OuterRef
from django.urls import reverse

from eig.accounts.models import Role, User
from eig.accounts.todos import Todo, Urgency, counted, deadline_text
from eig.programme.models import AdministrationMembership as Membership

# A request unanswered for a week is late: the person cannot work on the platform meanwhile.
LATE_AFTER = datetime.timedelta(days=7)


def _urgency(since, now) -> Urgency:
    return Urgency.URGENT if since and now - since > LATE_AFTER else Urgency.NORMAL


def agent_todos(user: User, now: datetime.datetime) -> list[Todo]:
    """For a verified member: the requests to join their administration, which they decide.
    For an agent not verified yet: their own request, or the step of making one."""
    if not user.has_role(Role.AGENT):
        return []
    if not user.administration_id:
        return [_own_request(user)]
    waiting = Membership.objects.filter(
        administration_id=user.administration_id, state=Membership.State.REQUESTED
    ).aggregate(n=Count("pk"), since=Min("requested_at"))
    if not waiting["n"]:
        return []
    return [
        Todo(
            role=Role.AGENT,
            count=waiting["n"],
            label=counted(
                waiting["n"],
                "demande de rattachement à examiner",
                "demandes de rattachement à examiner",
            ),
            url=reverse("programme:administration_members", args=[user.administration_id]),
            urgency=_urgency(waiting["since"], now),
            detail=f"Reçue le {deadline_text(waiting['since'])}."
            if waiting["n"] == 1
            else f"La première reçue le {deadline_text(waiting['since'])}.",
        )
    ]


def _own_request(user: User) -> Todo:
    pending = (
        Membership.objects.filter(user=user, state=Membership.State.REQUESTED)
        .select_related("administration")
        .first()
    )
    url = reverse("programme:administration_choose")
    if pending is None:
        return Todo(
            role=Role.AGENT,
            count=1,
            label="Indiquez votre administration",
            url=url,
            detail="Rattachez votre compte à votre administration pour déposer un défi.",
        )
    return Todo(
        role=Role.AGENT,
        count=1,
        # The name in brackets: "à Ministère de la Culture" would lack its article.
        label=f"Demande de rattachement en attente de validation ({pending.administration})",
        url=url,
        detail=f"Demandé le {deadline_text(pending.requested_at)} : un agent vérifié de "
        "l'administration ou l'équipe du programme va l'examiner.",
    )


def staff_todos(user: User, now: datetime.datetime) -> list[Todo]:
    """Requests to join an administration that has no verified member to decide: only staff
    can."""
    if not user.is_programme_staff:
        return []
    has_member = Membership.objects.filter(
        administration_id=OuterRef("administration_id"), state=Membership.State.VERIFIED
    )
    waiting = (
        Membership.objects.filter(state=Membership.State.REQUESTED)
        .filter(~Exists(has_member))
        .aggregate(n=Count("pk"), since=Min("requested_at"))
    )
    if not waiting["n"]:
        return []
    return [
        Todo(
            role=Role.STAFF,
            count=waiting["n"],
            label=counted(
                waiting["n"],
                "demande de rattachement sans agent pour l'examiner",
                "demandes de rattachement sans agent pour les examiner",
            ),
            url=reverse("admin:programme_administrationmembership_changelist")
            + f"?state__exact={Membership.State.REQUESTED}",
            urgency=_urgency(waiting["since"], now),
            detail="L'administration n'a encore aucun agent vérifié : l'équipe décide.",
        )
    ]
