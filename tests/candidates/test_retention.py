"""The retention clocks of candidates' data: erase what is due, ask re-consent, once."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from candidates import services
from candidates.models import Application, RetentionRun
from candidates.retention import applications_purge_upcoming, retention_run
from eig.exceptions import InvalidTransition
from eig.history.selectors import history_for
from tests.candidates.test_applications import _complete, _positions
from tests.factories import CandidateCallFactory, CandidateFactory, StaffFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _submitted(call, **candidate):
    positions = _positions(call, prefix=f"Défi {call.pk}-{Application.objects.count()}")
    person = CandidateFactory(**candidate)
    application = services.application_start(call=call, candidate=person)
    _complete(application, person, positions)
    services.application_submit(application=application, actor=person)
    return Application.objects.get(pk=application.pk)


def _decide(application, state, *, at, consent=True):
    Application.objects.filter(pk=application.pk).update(talent_pool_consent=consent)
    # The call closed before the jury decided.
    type(application.call).objects.filter(pk=application.call_id).update(
        closes_at=at - DAY, opens_at=at - 30 * DAY
    )
    services.application_jury_move(dossier=application, to_state=state, actor=None, now=at)
    return Application.objects.get(pk=application.pk)


def test_a_declined_application_is_erased_three_months_after_the_decision():
    call = CandidateCallFactory()
    application = _submitted(call)
    decided = timezone.now() - 92 * DAY + datetime.timedelta(hours=1)
    application = _decide(application, Application.State.DECLINED, at=decided)

    assert retention_run(now=decided + 92 * DAY - datetime.timedelta(hours=2)).purged_selection == 0
    run = retention_run(now=decided + 92 * DAY + DAY)
    assert run.purged_selection == 1
    application.refresh_from_db()
    assert application.candidate_id is None and application.motivation == ""
    assert application.purged_at is not None and not application.cv
    assert application.state == Application.State.DECLINED  # kept for the statistics
    assert history_for(application).last().action == Application.Action.PURGED
    # Idempotent: a second pass finds nothing more to do, and records that.
    again = retention_run(now=decided + 92 * DAY + 2 * DAY)
    assert (again.purged_selection, again.purged_pool) == (0, 0)
    assert RetentionRun.objects.count() == 3


def test_the_pool_asks_for_consent_a_month_before_two_years_and_renewing_resets_the_clock(
    client, django_capture_on_commit_callbacks
):
    call = CandidateCallFactory()
    application = _submitted(call)
    admitted = timezone.now() - 2 * DAY
    application = _decide(application, Application.State.ADMITTED, at=admitted)
    assert application.pool_contact_at == admitted

    # Before the notice: nothing; within it: one mail, once.
    assert retention_run(now=admitted + 699 * DAY).reconsent_asked == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert retention_run(now=admitted + 701 * DAY).reconsent_asked == 1
        assert retention_run(now=admitted + 702 * DAY).reconsent_asked == 0
    assert len(mail.outbox) == 1 and "vivier" in mail.outbox[0].subject
    assert reverse("candidates:pool_reconsent", args=[call.slug]) in mail.outbox[0].body

    # The candidate renews: two more years from now.
    client.force_login(application.candidate)
    page = client.get(reverse("candidates:pool_reconsent", args=[call.slug])).content.decode()
    assert "Rester dans le vivier" in page
    client.post(reverse("candidates:pool_reconsent", args=[call.slug]))
    application.refresh_from_db()
    assert application.pool_contact_at > admitted
    assert application.reconsent_asked_at is None
    assert retention_run(now=admitted + 731 * DAY).purged_pool == 0
    assert Application.Action.RECONSENTED in [event.action for event in history_for(application)]


def test_without_renewal_the_pool_erases_after_two_years():
    call = CandidateCallFactory()
    application = _submitted(call)
    admitted = timezone.now() - 800 * DAY
    _decide(application, Application.State.ADMITTED, at=admitted)
    run = retention_run()
    assert (run.purged_pool, run.purged_selection) == (1, 0)


def test_admitted_without_consent_follows_the_selections_clock():
    call = CandidateCallFactory()
    application = _submitted(call)
    decided = timezone.now() - 100 * DAY
    _decide(application, Application.State.ADMITTED, at=decided, consent=False)
    assert retention_run().purged_selection == 1


def test_applications_still_before_the_jury_are_kept():
    call = CandidateCallFactory()
    application = _submitted(call)
    assert retention_run(now=timezone.now() + 3000 * DAY).purged_selection == 0
    application.refresh_from_db()
    assert application.candidate_id is not None


def test_only_a_candidate_in_the_pool_renews():
    call = CandidateCallFactory()
    application = _submitted(call)
    from candidates.retention import application_reconsent

    with pytest.raises(InvalidTransition):
        application_reconsent(application=application, actor=application.candidate)


def test_staff_see_what_will_be_erased_next(client):
    call = CandidateCallFactory()
    first, second = _submitted(call), _submitted(call)
    soon = _decide(first, Application.State.DECLINED, at=timezone.now() - 80 * DAY)
    later = _decide(second, Application.State.DECLINED, at=timezone.now() - DAY)
    upcoming = list(applications_purge_upcoming(within_days=30))
    assert [application.pk for application in upcoming] == [soon.pk]
    client.force_login(StaffFactory())
    listing = client.get(
        reverse("admin:candidates_application_changelist"), {"effacement": "30"}
    ).content.decode()
    assert str(soon) in listing and str(later) not in listing
    assert "(sélection)" in listing
    assert client.get(reverse("admin:candidates_retentionrun_changelist")).status_code == 200


def test_the_daily_task_runs_the_pass_and_says_what_it_did():
    from candidates.tasks import retention_apply

    call = CandidateCallFactory()
    _decide(_submitted(call), Application.State.DECLINED, at=timezone.now() - 100 * DAY)
    assert retention_apply.delay().get() == {
        "purged_selection": 1,
        "purged_pool": 0,
        "reconsent_asked": 0,
    }
    assert retention_apply.delay().get()["purged_selection"] == 0
