"""State moves of an entry, each checked and recorded."""

import datetime

from django.db import transaction
from django.utils import timezone

from eig.exceptions import DeadlinePassed, InvalidTransition
from eig.history.models import Event
from eig.history.services import record
from tests.jury_domain.models import Entry

State = Entry.State

# Target state -> the states it may be reached from, on behalf of the jury.
JURY_MOVES = {
    State.SHORTLISTED: {State.SUBMITTED},
    State.SUBMITTED: {State.SHORTLISTED},
    State.SELECTED: {State.SUBMITTED, State.SHORTLISTED, State.WAITING_LIST},
    State.WAITING_LIST: {State.SUBMITTED, State.SHORTLISTED},
    State.NOT_SELECTED: {State.SUBMITTED, State.SHORTLISTED, State.WAITING_LIST},
}


@transaction.atomic
def entry_jury_move(
    *, dossier: Entry, to_state: str, actor, note: str = "", now: datetime.datetime | None = None
) -> Event:
    """Move an entry through selection. Refused while its call is open (the candidate may
    still change it) and from a state the move does not start from. Side effect: an
    history event (`eig.history`)."""
    now = now or timezone.now()
    entry = Entry.objects.select_for_update().select_related("call").get(pk=dossier.pk)
    if now < entry.call.closes_at:
        raise DeadlinePassed(
            f"L'appel « {entry.call} » n'est pas clos : la sélection commence à sa clôture.",
            code="call_open",
        )
    if entry.state not in JURY_MOVES.get(to_state, ()):
        raise InvalidTransition(
            f"Une candidature à l'état « {entry.get_state_display()} » ne peut pas passer à "
            f"l'état « {dict(State.choices).get(to_state, to_state)} ».",
            code="transition",
        )
    previous = entry.state
    entry.state = dossier.state = to_state
    entry.save(update_fields=["state", "updated_at"])
    return record(
        entry,
        action=Entry.Action.JURY,
        from_state=previous,
        to_state=to_state,
        actor=actor,
        note=note,
        at=now,
    )
