"""Slots with a capacity: filled by staff (`hearings.review_assign_slot`) or booked by the
people who carry a dossier (`eig.jury.bookings`), with the selectors of occupancy and of
bookable slots, on every domain (`kit`: défis, then the test-only anonymous entries).

Every call passes `now`: slots and deadlines are fixed instants in Paris time."""

import dataclasses
import datetime
import threading
import time
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from eig.exceptions import DeadlinePassed, DomainError, InvalidTransition
from eig.history.selectors import history_for
from eig.jury import bookings, hearings, selectors
from eig.jury import shortlist as preselection
from eig.jury.models import HearingSlot, ReviewAction
from tests.factories import CandidateFactory, JuryMemberFactory, StaffFactory

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
OWNER = HearingSlot.Booking.OWNER


def paris(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=PARIS)


NOW = paris(2026, 3, 10, 12, 0)
INTERVIEW_DAY = paris(2026, 3, 24, 9, 0)


@pytest.fixture
def jury(kit):
    return kit.jury(closed=True, jurors=2)


@pytest.fixture
def staff():
    return StaffFactory()


@pytest.fixture
def group(jury):
    return hearings.jury_group_create(jury=jury, name="Entretiens", members=[])


def make_slot(jury, group, *, start=INTERVIEW_DAY, capacity=2, booking=OWNER, deadline=None):
    return hearings.hearing_slot_create(
        jury=jury,
        group=group,
        starts_at=start,
        ends_at=start + datetime.timedelta(minutes=30),
        video_url="https://webinaire.numerique.gouv.fr/eig-entretien",
        capacity=capacity,
        booking=booking,
        booking_deadline=deadline,
    )


def shortlisted(kit, jury, staff):
    dossier = kit.dossier(jury)
    preselection.review_shortlist(domain=kit.domain, jury=jury, dossier=dossier, actor=staff)
    return dossier


def delivered():
    """Run the mails queued on commit (the outbox's sending) when the block ends."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def book(kit, jury, dossier, slot, *, actor=None, now=NOW):
    with delivered():
        return bookings.slot_book(
            domain=kit.domain,
            jury=jury,
            dossier=dossier,
            slot=slot,
            actor=actor or dossier.owner,
            now=now,
        )


def cancel(kit, jury, dossier, *, actor=None, now=NOW):
    with delivered():
        return bookings.slot_booking_cancel(
            domain=kit.domain, jury=jury, dossier=dossier, actor=actor or dossier.owner, now=now
        )


def booking_events(kit, dossier):
    review = kit.review(dossier)
    return [
        (event.action, event.data, event.actor)
        for event in history_for(review).filter(action__startswith="slot_book")
    ]


def slot_ref(slot):
    # As read back from the database: in UTC.
    return {"id": slot.pk, "starts_at": slot.starts_at.astimezone(datetime.UTC).isoformat()}


def calendars(message):
    return {
        name: Calendar.from_ical(content).walk("VEVENT")[0]
        for name, content, _mimetype in message.attachments
    }


# --- Slots with a capacity ------------------------------------------------------------------


@pytest.mark.parametrize(
    "capacity, booking, deadline, message",
    [
        (0, OWNER, None, "capacité d'un créneau va de 1 à 50"),
        (51, OWNER, None, "capacité d'un créneau va de 1 à 50"),
        (1, HearingSlot.Booking.STAFF, paris(2026, 3, 20, 18, 0), "Seul un créneau réservé"),
        (1, OWNER, paris(2026, 3, 24, 9, 1), "doit précéder le début"),
    ],
)
def test_hearing_slot_create_refuses_bad_capacity_or_deadline(
    jury, group, capacity, booking, deadline, message
):
    with pytest.raises(DomainError, match=message):
        make_slot(jury, group, capacity=capacity, booking=booking, deadline=deadline)

    assert not HearingSlot.objects.filter(jury=jury).exists()


def test_hearing_slot_create_takes_a_deadline_up_to_the_start(jury, group):
    # As the check constraint has it: booking may stay open until the slot starts.
    slot = make_slot(jury, group, capacity=3, deadline=INTERVIEW_DAY)

    assert (slot.capacity, slot.booking, slot.booking_deadline) == (3, OWNER, INTERVIEW_DAY)


def test_hearings_page_opens_a_slot_that_owners_then_book(kit, jury, group, staff, client):
    client.force_login(staff)
    hearings_url = reverse("jury:selection_hearings", args=[jury.pk])

    response = client.post(
        hearings_url,
        {
            "action": "slot_create",
            "creneau-group": group.pk,
            "creneau-starts_at": "2026-03-24T09:00",
            "creneau-ends_at": "2026-03-24T10:30",
            "creneau-video_url": "https://webinaire.numerique.gouv.fr/eig-entretien",
            "creneau-capacity": "3",
            "creneau-booking": "owner",
            "creneau-booking_deadline": "2026-03-20T18:00",
        },
    )

    assert response.status_code == 302
    slot = HearingSlot.objects.get(jury=jury)
    assert (slot.capacity, slot.booking, slot.booking_deadline) == (
        3,
        OWNER,
        paris(2026, 3, 20, 18, 0),
    )
    dossier = shortlisted(kit, jury, staff)
    assert book(kit, jury, dossier, slot).slot == slot
    page = client.get(hearings_url).content.decode()
    assert "<td>1 sur 3</td>" in page
    assert "jusqu'au 20 mars 2026 à 18h00" in page


@pytest.mark.parametrize(
    "posted, message",
    [
        ({"creneau-capacity": "0"}, "La capacité est un nombre entier de 1 à 50."),
        ({"creneau-capacity": "51"}, "La capacité est un nombre entier de 1 à 50."),
        ({"creneau-capacity": "abc"}, "La capacité est un nombre entier de 1 à 50."),
        (
            {"creneau-booking_deadline": "2026-03-24T09:30"},
            "La date limite de réservation doit précéder le début du créneau.",
        ),
        (
            {"creneau-booking": "staff"},
            "Seul un créneau réservé par les porteurs a une date limite de réservation",
        ),
    ],
)
def test_hearings_page_refuses_a_bad_slot_and_keeps_the_input(
    kit, jury, group, staff, client, posted, message
):
    client.force_login(staff)
    data = {
        "action": "slot_create",
        "creneau-group": group.pk,
        "creneau-starts_at": "2026-03-24T09:00",
        "creneau-ends_at": "2026-03-24T10:30",
        "creneau-location": "Salle des entretiens",
        "creneau-capacity": "3",
        "creneau-booking": "owner",
        "creneau-booking_deadline": "2026-03-20T18:00",
        **posted,
    }

    response = client.post(reverse("jury:selection_hearings", args=[jury.pk]), data)

    assert response.status_code == 400
    assert message in response.content.decode()
    form = response.context["slot_form"]
    assert [form[name].value() for name in ("location", "capacity", "booking_deadline")] == [
        data["creneau-location"],
        data["creneau-capacity"],
        data["creneau-booking_deadline"],
    ]
    assert not HearingSlot.objects.filter(jury=jury).exists()


def test_review_assign_slot_fills_a_slot_up_to_its_capacity(kit, jury, group, staff):
    slot = make_slot(jury, group, capacity=2, booking=HearingSlot.Booking.STAFF)
    first, second, third = (shortlisted(kit, jury, staff) for _ in range(3))
    for dossier in (first, second):
        hearings.review_assign_slot(
            domain=kit.domain, jury=jury, dossier=dossier, slot=slot, actor=staff
        )

    with pytest.raises(DomainError, match="Ce créneau est complet : il accueille déjà 2") as full:
        hearings.review_assign_slot(
            domain=kit.domain, jury=jury, dossier=third, slot=slot, actor=staff
        )

    assert full.value.code == "slot_full"
    assert [kit.review(d).slot_id for d in (first, second, third)] == [slot.pk, slot.pk, None]


def test_review_assign_slot_refuses_a_slot_that_owners_book(kit, jury, group, staff):
    slot = make_slot(jury, group)
    dossier = shortlisted(kit, jury, staff)

    with pytest.raises(DomainError, match="réservé par les porteurs des dossiers eux-mêmes"):
        hearings.review_assign_slot(
            domain=kit.domain, jury=jury, dossier=dossier, slot=slot, actor=staff
        )

    assert kit.review(dossier).slot is None


def test_hearing_slot_delete_releases_every_dossier_it_holds(kit, jury, group, staff):
    slot = make_slot(jury, group, capacity=3)
    dossiers = [shortlisted(kit, jury, staff) for _ in range(2)]
    for dossier in dossiers:
        book(kit, jury, dossier, slot)
    mail.outbox.clear()

    with delivered():
        hearings.hearing_slot_delete(domain=kit.domain, slot=slot, actor=staff, now=NOW)

    assert [kit.review(d).slot for d in dossiers] == [None, None]
    # Booked means convoked: each one is told that its interview is cancelled.
    assert len(mail.outbox) == 2
    assert not HearingSlot.objects.filter(pk=slot.pk).exists()


# --- Booking by the dossier's owners ----------------------------------------------------------


def test_slot_book_confirms_with_an_ics_and_writes_history(kit, jury, group, staff):
    slot = make_slot(jury, group, deadline=paris(2026, 3, 20, 18, 0))
    dossier = shortlisted(kit, jury, staff)

    review = book(kit, jury, dossier, slot)

    assert (review.slot, review.convoked_at) == (slot, NOW)
    assert booking_events(kit, dossier) == [
        (ReviewAction.SLOT_BOOKED, {"from_slot": None, "to_slot": slot_ref(slot)}, dossier.owner)
    ]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert kit.owner_email(dossier) in message.to
    assert "réservé" in message.subject
    assert "le mardi 24 mars 2026, de 09h00 à 09h30 (heure de Paris)" in message.body
    assert "jusqu’au vendredi 20 mars 2026 à 18h00 (heure de Paris)" in message.body
    event = calendars(message)["audition.ics"]
    assert event.decoded("dtstart").astimezone(PARIS) == INTERVIEW_DAY
    assert str(event["status"]) == "CONFIRMED"
    assert str(event["uid"]).startswith(f"audition-{slot.pk}-{kit.domain.dossier_field}-")


def test_slot_book_without_notify_books_and_mails_nobody(kit, jury, group, staff):
    # The demo's bookings, made for invented people.
    slot = make_slot(jury, group)
    dossier = shortlisted(kit, jury, staff)

    with delivered():
        review = bookings.slot_book(
            domain=kit.domain,
            jury=jury,
            dossier=dossier,
            slot=slot,
            actor=dossier.owner,
            now=NOW,
            notify=False,
        )

    assert (review.slot, review.convoked_at) == (slot, NOW)
    assert [event[0] for event in booking_events(kit, dossier)] == [ReviewAction.SLOT_BOOKED]
    assert mail.outbox == []


def test_slot_book_another_slot_moves_the_booking(kit, jury, group, staff):
    first = make_slot(jury, group)
    second = make_slot(jury, group, start=paris(2026, 3, 24, 10, 0))
    dossier = shortlisted(kit, jury, staff)
    book(kit, jury, dossier, first)
    mail.outbox.clear()

    review = book(kit, jury, dossier, second)

    assert review.slot == second
    assert [s.booked for s in selectors.slot_occupancy(kit.domain, jury)] == [0, 1]
    assert booking_events(kit, dossier)[-1] == (
        ReviewAction.SLOT_BOOKING_MOVED,
        {"from_slot": slot_ref(first), "to_slot": slot_ref(second)},
        dossier.owner,
    )
    assert len(mail.outbox) == 1
    assert "déplacé" in mail.outbox[0].subject
    events = calendars(mail.outbox[0])
    assert events["audition.ics"].decoded("dtstart").astimezone(PARIS) == paris(2026, 3, 24, 10)
    cancelled = events["audition-annulee.ics"]
    assert str(cancelled["status"]) == "CANCELLED"
    assert str(cancelled["uid"]).startswith(f"audition-{first.pk}-")


def test_slot_book_the_same_slot_again_changes_nothing(kit, jury, group, staff):
    slot = make_slot(jury, group)
    dossier = shortlisted(kit, jury, staff)
    book(kit, jury, dossier, slot)

    book(kit, jury, dossier, slot)

    assert len(booking_events(kit, dossier)) == 1
    assert len(mail.outbox) == 1


def test_slot_booking_cancel_frees_the_place_and_tells_the_owner(kit, jury, group, staff):
    slot = make_slot(jury, group, capacity=1)
    dossier = shortlisted(kit, jury, staff)
    book(kit, jury, dossier, slot)
    mail.outbox.clear()

    review = cancel(kit, jury, dossier)

    assert (review.slot, review.convoked_at) == (None, None)
    assert booking_events(kit, dossier)[-1] == (
        ReviewAction.SLOT_BOOKING_CANCELLED,
        {"from_slot": slot_ref(slot), "to_slot": None},
        dossier.owner,
    )
    assert "Réservation annulée" in mail.outbox[0].subject
    event = calendars(mail.outbox[0])["audition-annulee.ics"]
    assert str(event["status"]) == "CANCELLED"
    # The place is free again for another dossier.
    other = shortlisted(kit, jury, staff)
    assert book(kit, jury, other, slot).slot == slot


def test_slot_booking_cancel_without_booking_does_nothing(kit, jury, staff):
    dossier = shortlisted(kit, jury, staff)

    cancel(kit, jury, dossier)

    assert booking_events(kit, dossier) == []
    assert mail.outbox == []


def test_slot_book_refused_to_anyone_but_the_owners(kit, jury, group, staff):
    slot = make_slot(jury, group)
    dossier = shortlisted(kit, jury, staff)
    juror = JuryMemberFactory(jury=jury).user

    for outsider in (staff, juror, CandidateFactory()):
        with pytest.raises(DomainError, match="Seules les personnes qui portent ce dossier"):
            book(kit, jury, dossier, slot, actor=outsider)
        with pytest.raises(DomainError, match="Seules les personnes qui portent ce dossier"):
            cancel(kit, jury, dossier, actor=outsider)

    assert kit.review(dossier).slot is None
    assert mail.outbox == []


def test_slot_book_refused_unless_shortlisted_and_undecided(kit, jury, group, staff):
    slot = make_slot(jury, group)
    submitted = kit.dossier(jury)

    with pytest.raises(InvalidTransition, match="Seul un dossier présélectionné"):
        book(kit, jury, submitted, slot)

    decided = shortlisted(kit, jury, staff)
    kit.domain.review_model.objects.filter(pk=kit.review(decided).pk).update(decision="selected")
    with pytest.raises(InvalidTransition, match="décision est prise"):
        book(kit, jury, decided, slot)


def test_slot_book_refused_on_a_full_slot(kit, jury, group, staff):
    slot = make_slot(jury, group, capacity=1)
    first, second = shortlisted(kit, jury, staff), shortlisted(kit, jury, staff)
    book(kit, jury, first, slot)

    with pytest.raises(DomainError, match="Ce créneau est complet") as full:
        book(kit, jury, second, slot)

    assert full.value.code == "slot_full"
    assert kit.review(second).slot is None


def test_slot_book_refused_on_a_slot_that_staff_give(kit, jury, group, staff):
    slot = make_slot(jury, group, booking=HearingSlot.Booking.STAFF)
    dossier = shortlisted(kit, jury, staff)

    with pytest.raises(DomainError, match="attribué par l'équipe du programme"):
        book(kit, jury, dossier, slot)


def test_slot_book_refused_on_a_slot_of_another_jury(kit, jury, group, staff):
    other_jury = kit.jury(closed=True)
    other_group = hearings.jury_group_create(jury=other_jury, name="Ailleurs", members=[])
    slot = make_slot(other_jury, other_group)
    dossier = shortlisted(kit, jury, staff)

    with pytest.raises(DomainError, match="n'appartient pas à ce jury"):
        book(kit, jury, dossier, slot)


def test_slot_book_deadline_is_enforced_in_paris_time(kit, jury, group, staff):
    # 18:00 in Paris on 20 March 2026 is 17:00 UTC (winter time).
    deadline = paris(2026, 3, 20, 18, 0)
    slot = make_slot(jury, group, deadline=deadline)
    later = make_slot(jury, group, start=paris(2026, 3, 24, 10, 0))
    dossier = shortlisted(kit, jury, staff)
    just_before = datetime.datetime(2026, 3, 20, 16, 59, tzinfo=datetime.UTC)

    book(kit, jury, dossier, slot, now=just_before)

    for refused in (
        lambda: book(kit, jury, shortlisted(kit, jury, staff), slot, now=deadline),
        # Past the deadline of the slot it holds, the booking neither moves nor goes.
        lambda: book(kit, jury, dossier, later, now=deadline),
        lambda: cancel(kit, jury, dossier, now=deadline),
    ):
        with pytest.raises(DeadlinePassed, match="ont fermé le 20/03/2026 à 18:00 \\(heure de"):
            refused()
    assert kit.review(dossier).slot == slot


def test_slot_book_refused_once_the_slot_started(kit, jury, group, staff):
    slot = make_slot(jury, group)
    dossier = shortlisted(kit, jury, staff)

    with pytest.raises(DeadlinePassed, match="Ce créneau est passé"):
        book(kit, jury, dossier, slot, now=INTERVIEW_DAY)


@pytest.mark.django_db(transaction=True)
def test_slot_book_two_owners_racing_for_the_last_place_cannot_both_get_it(kit):
    jury = kit.jury(closed=True)
    staff = StaffFactory()
    group = hearings.jury_group_create(jury=jury, name="Entretiens", members=[])
    slot = make_slot(jury, group, capacity=1)
    first, second = shortlisted(kit, jury, staff), shortlisted(kit, jury, staff)
    holding, release = threading.Event(), threading.Event()
    outcome = {}

    def first_owner():
        try:
            with transaction.atomic():
                book(kit, jury, first, slot)
                holding.set()
                release.wait(10)  # commit only once the other owner waits on the lock
            outcome["first"] = "booked"
        finally:
            connection.close()

    def second_owner():
        try:
            book(kit, jury, second, slot)
            outcome["second"] = "booked"
        except DomainError as refused:
            outcome["second"] = refused.code
        finally:
            connection.close()

    threads = [threading.Thread(target=first_owner), threading.Thread(target=second_owner)]
    threads[0].start()
    assert holding.wait(10)
    threads[1].start()
    waited = _wait_for_a_lock_wait()
    release.set()
    for thread in threads:
        thread.join(20)

    assert waited
    assert outcome == {"first": "booked", "second": "slot_full"}
    assert [kit.review(d).slot_id for d in (first, second)] == [slot.pk, None]


def _wait_for_a_lock_wait(timeout: float = 10) -> bool:
    """Whether another connection is seen waiting on a row lock within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.05)
    return False


# --- Selectors ------------------------------------------------------------------------------


def test_slot_occupancy_counts_each_slot_in_one_query(
    kit, jury, group, staff, django_assert_num_queries
):
    hearing = make_slot(jury, group, capacity=1, booking=HearingSlot.Booking.STAFF)
    interview = make_slot(jury, group, start=paris(2026, 3, 24, 10, 0), capacity=3)
    given = shortlisted(kit, jury, staff)
    hearings.review_assign_slot(
        domain=kit.domain, jury=jury, dossier=given, slot=hearing, actor=staff
    )
    for _ in range(2):
        book(kit, jury, shortlisted(kit, jury, staff), interview)

    with django_assert_num_queries(1):
        rows = [
            (slot.pk, slot.group.name, slot.booked, slot.capacity, slot.free)
            for slot in selectors.slot_occupancy(kit.domain, jury)
        ]

    assert rows == [
        (hearing.pk, "Entretiens", 1, 1, 0),
        (interview.pk, "Entretiens", 2, 3, 1),
    ]


@pytest.mark.parametrize("booked_elsewhere", [1, 3])
def test_slot_list_bookable_shows_free_open_slots_and_the_dossiers_own(
    kit, jury, group, staff, django_assert_num_queries, booked_elsewhere
):
    full = make_slot(jury, group, capacity=booked_elsewhere)
    free = make_slot(jury, group, start=paris(2026, 3, 24, 10, 0), capacity=5)
    closed = make_slot(
        jury, group, start=paris(2026, 3, 24, 11, 0), deadline=paris(2026, 3, 9, 18, 0)
    )
    past = make_slot(jury, group, start=paris(2026, 3, 1, 9, 0))
    make_slot(jury, group, start=paris(2026, 3, 24, 12, 0), booking=HearingSlot.Booking.STAFF)
    for _ in range(booked_elsewhere):
        book(kit, jury, shortlisted(kit, jury, staff), full, now=paris(2026, 2, 1, 9, 0))
    dossier = shortlisted(kit, jury, staff)
    book(kit, jury, dossier, past, now=paris(2026, 2, 1, 9, 0))

    with django_assert_num_queries(1):
        rows = [
            (slot.pk, slot.booked, slot.free, slot.is_mine, slot.is_open)
            for slot in selectors.slot_list_bookable(kit.domain, jury, dossier, now=NOW)
        ]

    assert closed.pk not in [row[0] for row in rows]
    assert rows == [
        (past.pk, 1, 1, True, False),
        (free.pk, 0, 5, False, True),
    ]


def test_slot_list_bookable_for_a_dossier_of_another_jury_is_its_own(kit, jury, group, staff):
    make_slot(jury, group)
    other_jury = kit.jury(closed=True)
    other = shortlisted(kit, other_jury, staff)

    assert list(selectors.slot_list_bookable(kit.domain, other_jury, other, now=NOW)) == []


# --- A notice before the start (the candidates' 48 hours) ----------------------------------


def with_notice(kit, hours=48):
    return dataclasses.replace(kit.domain, booking_notice=datetime.timedelta(hours=hours))


def test_slot_book_notice_closes_booking_moving_and_cancelling_in_paris_time(
    kit, jury, group, staff
):
    domain = with_notice(kit)
    slot = make_slot(jury, group)
    later = make_slot(jury, group, start=paris(2026, 3, 24, 10, 0))
    dossier = shortlisted(kit, jury, staff)
    # 48 hours before 9:00 on 24 March: 9:00 on 22 March in Paris, 8:00 UTC.
    closing = datetime.datetime(2026, 3, 22, 8, 0, tzinfo=datetime.UTC)
    just_before = closing - datetime.timedelta(minutes=1)

    def booking(dossier, slot, now):
        with delivered():
            return bookings.slot_book(
                domain=domain, jury=jury, dossier=dossier, slot=slot, actor=dossier.owner, now=now
            )

    assert booking(dossier, slot, just_before).slot == slot
    refused = [
        lambda: booking(shortlisted(kit, jury, staff), slot, closing),
        lambda: booking(dossier, later, closing),
        lambda: bookings.slot_booking_cancel(
            domain=domain, jury=jury, dossier=dossier, actor=dossier.owner, now=closing
        ),
    ]
    for verb, attempt in zip(
        ("ne se réserve", "ne se déplace", "ne s'annule"), refused, strict=True
    ):
        with pytest.raises(DeadlinePassed) as closed:
            attempt()
        assert closed.value.message == (
            "Un créneau se réserve, se déplace ou s'annule jusqu'à 48 heures avant son début : "
            f"celui-ci {verb} plus depuis le 22/03/2026 à 09:00 (heure de Paris)."
        )
        assert closed.value.code == "booking_closed"
    assert kit.review(dossier).slot == slot
    # The confirmation says until when the booking may change: the notice, not the start.
    assert "jusqu’au dimanche 22 mars 2026 à 09h00 (heure de Paris)" in mail.outbox[0].body


def test_slot_book_notice_or_deadline_whichever_comes_first(kit, jury, group, staff):
    domain = with_notice(kit)
    slot = make_slot(jury, group, deadline=paris(2026, 3, 20, 18, 0))
    dossier = shortlisted(kit, jury, staff)

    with pytest.raises(DeadlinePassed, match="ont fermé le 20/03/2026 à 18:00"):
        bookings.slot_book(
            domain=domain,
            jury=jury,
            dossier=dossier,
            slot=slot,
            actor=dossier.owner,
            now=paris(2026, 3, 21, 9, 0),
        )


def test_slot_list_bookable_leaves_out_slots_within_the_notice_but_the_one_held(
    kit, jury, group, staff, django_assert_num_queries
):
    domain = with_notice(kit)
    held = make_slot(jury, group, start=paris(2026, 3, 12, 9, 0))
    make_slot(jury, group, start=paris(2026, 3, 12, 10, 0))  # within 48 hours: not offered
    free = make_slot(jury, group, start=paris(2026, 3, 12, 12, 1))
    dossier = shortlisted(kit, jury, staff)
    book(kit, jury, dossier, held, now=paris(2026, 3, 1, 9, 0))

    with django_assert_num_queries(1):
        rows = [
            (slot.pk, slot.is_mine, slot.is_open, slot.closes_at)
            for slot in selectors.slot_list_bookable(domain, jury, dossier, now=NOW)
        ]

    assert rows == [
        (held.pk, True, False, paris(2026, 3, 10, 9, 0)),
        (free.pk, False, True, paris(2026, 3, 10, 12, 1)),
    ]


# --- The day-before reminder --------------------------------------------------------------


def remind(kit, now):
    with delivered():
        return hearings.hearing_send_reminders(domain=kit.domain, now=now)


def test_hearing_send_reminders_reminds_a_booked_dossier_once_within_24_hours(
    kit, jury, group, staff
):
    slot = make_slot(jury, group)
    dossier = shortlisted(kit, jury, staff)
    book(kit, jury, dossier, slot)
    mail.outbox.clear()

    # 24 hours and a minute before: not yet; then once, whatever the number of ticks.
    assert remind(kit, INTERVIEW_DAY - datetime.timedelta(hours=24, minutes=1)) == 0
    assert remind(kit, INTERVIEW_DAY - datetime.timedelta(hours=23)) == 1
    assert remind(kit, INTERVIEW_DAY - datetime.timedelta(hours=1)) == 0
    assert remind(kit, INTERVIEW_DAY) == 0

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [dossier.owner.email]
    assert "] Rappel : " in message.subject
    assert "le mardi 24 mars 2026, de 09h00 à 09h30 (heure de Paris)" in message.body
    assert list(calendars(message)) == ["audition.ics"]


def test_hearing_send_reminders_reminds_convoked_dossiers_not_those_only_given_a_slot(
    kit, jury, group, staff
):
    slot = make_slot(jury, group, capacity=2, booking=HearingSlot.Booking.STAFF)
    convoked, waiting = shortlisted(kit, jury, staff), shortlisted(kit, jury, staff)
    for dossier in (convoked, waiting):
        hearings.review_assign_slot(
            domain=kit.domain, jury=jury, dossier=dossier, slot=slot, actor=staff
        )
    kit.domain.review_model.objects.filter(pk=kit.review(convoked).pk).update(convoked_at=NOW)
    mail.outbox.clear()

    assert remind(kit, INTERVIEW_DAY - datetime.timedelta(hours=2)) == 1

    assert [message.to for message in mail.outbox] == [[convoked.owner.email]]


def test_send_hearing_reminders_task_run_twice_sends_one_reminder(kit, jury, group, staff):
    from eig.jury.tasks import send_hearing_reminders

    now = timezone.now()
    slot = make_slot(jury, group, start=now + datetime.timedelta(hours=20))
    dossier = shortlisted(kit, jury, staff)
    book(kit, jury, dossier, slot, now=now)
    mail.outbox.clear()

    with delivered():
        first = send_hearing_reminders.apply().get()
    with delivered():
        second = send_hearing_reminders.apply().get()

    assert (first, second) == (1, 0)
    assert len(mail.outbox) == 1
