"""Who books a défi's slot where its owners book: its editors (author and invited
co-editors, `DEFI_JURY.dossier_owners`), not the other members of its administration. The
booking itself is tested on every domain in tests/eig/test_jury_bookings.py."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from eig.exceptions import DomainError
from eig.jury import bookings, hearings
from eig.jury import shortlist as preselection
from eig.jury.models import HearingSlot
from projects.jury import DEFI_JURY
from tests.factories import (
    AgentFactory,
    ClosedProjectCallFactory,
    StaffFactory,
    jury_for_call,
    submitted_defi,
)

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=PARIS)


@pytest.fixture
def booking():
    jury = jury_for_call(ClosedProjectCallFactory())
    staff = StaffFactory()
    defi = submitted_defi(jury.project_call)
    preselection.review_shortlist(domain=DEFI_JURY, jury=jury, dossier=defi, actor=staff)
    group = hearings.jury_group_create(jury=jury, name="Soutenances", members=[])
    start = datetime.datetime(2026, 3, 24, 9, 0, tzinfo=PARIS)
    slot = hearings.hearing_slot_create(
        jury=jury,
        group=group,
        starts_at=start,
        ends_at=start + datetime.timedelta(minutes=40),
        location="DINUM, salle 4.02",
        capacity=2,
        booking=HearingSlot.Booking.OWNER,
    )
    return jury, defi, slot


def test_defi_owners_are_its_author_and_coeditors(booking):
    _jury, defi, _slot = booking
    coeditor = AgentFactory(administration=defi.administration)
    defi.collaborators.add(coeditor)
    AgentFactory(administration=defi.administration)

    assert DEFI_JURY.dossier_owners(defi) == [defi.owner, coeditor]


def test_defi_slot_booked_by_a_coeditor_not_by_a_colleague(booking):
    jury, defi, slot = booking
    coeditor = AgentFactory(administration=defi.administration)
    defi.collaborators.add(coeditor)
    colleague = AgentFactory(administration=defi.administration)

    with pytest.raises(DomainError, match="Seules les personnes qui portent ce dossier"):
        bookings.slot_book(
            domain=DEFI_JURY, jury=jury, dossier=defi, slot=slot, actor=colleague, now=NOW
        )
    review = bookings.slot_book(
        domain=DEFI_JURY, jury=jury, dossier=defi, slot=slot, actor=coeditor, now=NOW
    )

    assert review.slot == slot
