"""The candidate's interview (`candidates/views/interview.py`): invited once shortlisted,
they book a slot, move it, cancel it until 48 hours before, through the jury engine."""

import datetime
import html
import threading

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from candidates.jury import CANDIDATE_JURY
from candidates.models import Application, ApplicationReview
from eig.exceptions import DomainError
from eig.jury import bookings, hearings
from eig.jury.models import HearingSlot
from eig.jury.shortlist import review_shortlist
from eig.jury.tasks import send_hearing_reminders
from tests.eig.test_jury_bookings import _wait_for_a_lock_wait
from tests.factories import CandidateCallFactory, CandidateFactory, StaffFactory, jury_with_grid

pytestmark = pytest.mark.django_db

OWNER = HearingSlot.Booking.OWNER


def _text(response) -> str:
    return " ".join(html.unescape(response.content.decode()).split())


def _jury():
    jury = jury_with_grid(criteria=2, k=1, domain="candidatures")
    now = timezone.now()
    CandidateCallFactory(
        jury=jury,
        slug=f"aac-{jury.pk}",
        opens_at=now - datetime.timedelta(days=30),
        closes_at=now - datetime.timedelta(days=1),
    )
    return jury


def _application(jury, *, shortlist=True):
    application = Application.objects.create(
        call=jury.candidate_call,
        candidate=CandidateFactory(),
        state=Application.State.SUBMITTED,
        submitted_at=timezone.now() - datetime.timedelta(days=3),
    )
    if shortlist:
        review_shortlist(
            domain=CANDIDATE_JURY, jury=jury, dossier=application, actor=StaffFactory()
        )
    return application


def _slots(jury, *hours, capacity=2):
    """Slots starting `hours` from now (rounded to the minute), open to candidates."""
    group = jury.groups.first() or hearings.jury_group_create(
        jury=jury, name="Entretiens", members=[]
    )
    now = timezone.now().replace(second=0, microsecond=0)
    return [
        hearings.hearing_slot_create(
            jury=jury,
            group=group,
            starts_at=now + datetime.timedelta(hours=h),
            ends_at=now + datetime.timedelta(hours=h, minutes=45),
            video_url="https://webinaire.numerique.gouv.fr/eig-entretien",
            capacity=capacity,
            booking=OWNER,
        )
        for h in hours
    ]


def _url(jury, name="application_interview"):
    return reverse(f"candidates:{name}", args=[jury.candidate_call.slug])


def _post(client, jury, name, data=None):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(_url(jury, name), data or {}, follow=True)


def _slot_of(application):
    return ApplicationReview.objects.get(application=application).slot


@pytest.fixture
def jury():
    return _jury()


def test_interview_journey_book_move_cancel_book(client, jury):
    first, second = _slots(jury, 72, 96)
    application = _application(jury)
    client.force_login(application.candidate)

    detail = _text(client.get(reverse("candidates:application", args=[jury.candidate_call.slug])))
    assert "Choisir mon créneau d’entretien" in detail
    assert "Présélection sur dossier</strong> : présélectionnée le " in detail
    page = _text(client.get(_url(jury)))
    assert "Choisir un créneau" in page
    assert "45 min" in page

    booked = _post(client, jury, "application_interview_book", {"slot": first.pk})
    assert "Votre entretien est réservé" in _text(booked)
    assert _slot_of(application) == first
    assert "Mon créneau" in _text(booked)

    moved = _post(client, jury, "application_interview_book", {"slot": second.pk})
    assert "Votre entretien est déplacé" in _text(moved)
    assert _slot_of(application) == second

    # Cancelling asks first, then cancels on the confirmed POST.
    asked = client.post(_url(jury, "application_interview_cancel"))
    assert "Annuler votre entretien ?" in _text(asked)
    assert _slot_of(application) == second
    cancelled = _post(client, jury, "application_interview_cancel", {"confirm": "1"})
    assert "Votre entretien est annulé" in _text(cancelled)
    assert _slot_of(application) is None

    _post(client, jury, "application_interview_book", {"slot": first.pk})
    assert _slot_of(application) == first
    subjects = [message.subject for message in mail.outbox]
    assert len([s for s in subjects if "Entretien réservé" in s]) == 2
    assert len([s for s in subjects if "Entretien déplacé" in s]) == 1


def test_interview_ics_downloads_the_booked_slot(client, jury):
    (slot,) = _slots(jury, 72)
    application = _application(jury)
    client.force_login(application.candidate)
    assert client.get(_url(jury, "application_interview_ics")).status_code == 404

    _post(client, jury, "application_interview_book", {"slot": slot.pk})
    response = client.get(_url(jury, "application_interview_ics"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert b"BEGIN:VEVENT" in response.content


def test_interview_within_48_hours_is_neither_offered_nor_booked_nor_cancelled(client, jury):
    soon, later = _slots(jury, 47, 49)
    application = _application(jury)
    client.force_login(application.candidate)

    page = _text(client.get(_url(jury)))
    assert "45 min" in page  # the slot 49 hours away
    assert page.count("Réserver le créneau du") == 1

    refused = _text(_post(client, jury, "application_interview_book", {"slot": soon.pk}))
    assert "jusqu'à 48 heures avant son début : celui-ci ne se réserve plus depuis le" in refused
    assert _slot_of(application) is None

    # Booked three days ago, the slot now 47 hours away no longer moves nor goes.
    bookings.slot_book(
        domain=CANDIDATE_JURY,
        jury=jury,
        dossier=application,
        slot=soon,
        actor=application.candidate,
        now=timezone.now() - datetime.timedelta(days=3),
    )
    page = _text(client.get(_url(jury)))
    assert "Ce créneau ne se déplace plus ni ne s’annule" in page
    assert "Annuler mon entretien" not in page
    refused = _text(_post(client, jury, "application_interview_cancel", {"confirm": "1"}))
    assert "celui-ci ne s'annule plus depuis le" in refused
    refused = _text(_post(client, jury, "application_interview_book", {"slot": later.pk}))
    assert "celui-ci ne se déplace plus depuis le" in refused
    assert _slot_of(application) == soon


def test_interview_full_slot_is_a_french_message(client, jury):
    (slot,) = _slots(jury, 72, capacity=1)
    first, second = _application(jury), _application(jury)
    client.force_login(second.candidate)
    bookings.slot_book(
        domain=CANDIDATE_JURY, jury=jury, dossier=first, slot=slot, actor=first.candidate
    )

    response = _post(client, jury, "application_interview_book", {"slot": slot.pk})

    assert response.status_code == 200
    assert "Ce créneau est complet : choisissez-en un autre." in _text(response)
    assert _slot_of(second) is None


def test_interview_slot_of_another_jury_or_forged_is_refused(client, jury):
    other = _jury()
    (elsewhere,) = _slots(other, 72)
    application = _application(jury)
    client.force_login(application.candidate)

    response = _post(client, jury, "application_interview_book", {"slot": elsewhere.pk})
    assert "Ce créneau n'appartient pas à ce jury." in _text(response)
    for forged in ("999999", "abc", ""):
        response = client.post(_url(jury, "application_interview_book"), {"slot": forged})
        assert response.status_code == 404
    assert _slot_of(application) is None


def test_interview_not_invited_says_where_the_application_stands(client, jury):
    _slots(jury, 72)
    application = _application(jury, shortlist=False)
    client.force_login(application.candidate)

    page = _text(client.get(_url(jury)))
    detail = _text(client.get(reverse("candidates:application", args=[jury.candidate_call.slug])))
    response = _post(client, jury, "application_interview_book", {"slot": jury.slots.get().pk})

    assert "Votre candidature est « Déposée » : elle n’est pas présélectionnée" in page
    assert "Réserver" not in page
    assert "Choisir mon créneau" not in detail
    assert "Seul un dossier présélectionné réserve un créneau." in _text(response)


def test_interview_of_another_candidate_is_not_found(client, jury):
    (slot,) = _slots(jury, 72)
    application = _application(jury)
    other_jury = _jury()
    intruder = _application(other_jury).candidate
    client.force_login(intruder)

    assert client.get(_url(jury)).status_code == 404
    assert client.post(_url(jury, "application_interview_book"), {"slot": slot.pk}).status_code == (
        404
    )
    cancel = client.post(_url(jury, "application_interview_cancel"), {"confirm": "1"})
    assert cancel.status_code == 404
    assert _slot_of(application) is None


@pytest.mark.parametrize("count", [2, 10])
def test_interview_page_queries_do_not_grow_with_slots(
    client, jury, count, django_assert_num_queries
):
    slots = _slots(jury, *range(72, 72 + count))
    application = _application(jury)
    bookings.slot_book(
        domain=CANDIDATE_JURY,
        jury=jury,
        dossier=application,
        slot=slots[0],
        actor=application.candidate,
    )
    client.force_login(application.candidate)
    client.get(_url(jury))  # sessions and caches warm

    with django_assert_num_queries(10):
        response = client.get(_url(jury))

    assert _text(response).count("Choisir ce créneau") == count - 1


def test_interview_reminder_sent_once_when_the_task_runs_twice(jury):
    (slot,) = _slots(jury, 20)
    application = _application(jury)
    bookings.slot_book(
        domain=CANDIDATE_JURY,
        jury=jury,
        dossier=application,
        slot=slot,
        actor=application.candidate,
        now=timezone.now() - datetime.timedelta(days=3),
    )
    mail.outbox.clear()

    with TestCase.captureOnCommitCallbacks(execute=True):
        assert send_hearing_reminders.apply().get() == 1
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert send_hearing_reminders.apply().get() == 0

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [application.candidate.email]
    assert "Rappel : votre entretien de demain" in mail.outbox[0].subject


@pytest.mark.django_db(transaction=True)
def test_two_candidates_racing_for_the_last_place_cannot_both_get_it():
    jury = _jury()
    (slot,) = _slots(jury, 72, capacity=1)
    first, second = _application(jury), _application(jury)
    holding, release = threading.Event(), threading.Event()
    outcome = {}

    def book(application):
        return bookings.slot_book(
            domain=CANDIDATE_JURY,
            jury=jury,
            dossier=application,
            slot=slot,
            actor=application.candidate,
        )

    def first_candidate():
        try:
            with transaction.atomic():
                book(first)
                holding.set()
                release.wait(10)
            outcome["first"] = "booked"
        finally:
            connection.close()

    def second_candidate():
        try:
            book(second)
            outcome["second"] = "booked"
        except DomainError as refused:
            outcome["second"] = refused.code
        finally:
            connection.close()

    threads = [threading.Thread(target=first_candidate), threading.Thread(target=second_candidate)]
    threads[0].start()
    assert holding.wait(10)
    threads[1].start()
    waited = _wait_for_a_lock_wait()
    release.set()
    for thread in threads:
        thread.join(20)

    assert waited
    assert outcome == {"first": "booked", "second": "slot_full"}
    assert [_slot_of(a) for a in (first, second)] == [slot, None]


def test_an_interview_to_book_waits_in_the_candidates_todos(client, jury):
    application = _application(jury)
    client.force_login(application.candidate)
    dashboard = reverse("accounts:dashboard")
    # No slot that candidates book yet: nothing they can do.
    assert "Entretien à réserver" not in _text(client.get(dashboard))

    first, _second = _slots(jury, 72, 96)
    page = _text(client.get(dashboard))
    assert "Entretien à réserver : vous êtes présélectionné·e" in page
    assert _url(jury) in page

    bookings.slot_book(
        domain=CANDIDATE_JURY,
        jury=jury,
        dossier=application,
        slot=first,
        actor=application.candidate,
    )
    assert "Entretien à réserver" not in _text(client.get(dashboard))


def test_no_interview_to_book_once_the_slots_are_too_close(client, jury):
    application = _application(jury)
    _slots(jury, 24)  # within the 48 hours' notice
    client.force_login(application.candidate)
    assert "Entretien à réserver" not in _text(client.get(reverse("accounts:dashboard")))
