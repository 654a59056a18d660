import datetime
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.core.mail.backends import locmem
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils import timezone
from kombu import pools

from eig.celery import app as celery_app
from eig.notifications.models import OutboxMessage, Reminder
from eig.notifications.services import email_queue, outbox_sweep
from projects.tasks import send_draft_reminders
from tests.factories import DefiFactory, ProjectCallFactory
from tests.services import redis_reachable, redis_url, require


def _drop_connection_pools():
    # Even eager calls open the app's producer pool on the configured broker: drop every
    # pool (kombu keeps a registry of them) so that the next call uses the broker set now.
    pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def redis_worker():
    url = redis_url()
    require(redis_reachable(url), f"Redis injoignable à {url}")
    previous = (celery_app.conf.broker_url, celery_app.conf.task_always_eager)
    celery_app.conf.broker_url = url
    celery_app.conf.task_always_eager = False
    _drop_connection_pools()
    with celery_app.connection_for_write() as connection:
        connection.default_channel.client.flushdb()
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = previous
    _drop_connection_pools()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_on_redis_sends_draft_reminders(redis_worker):
    call = ProjectCallFactory(closes_at=timezone.now() + datetime.timedelta(days=3))
    defi = DefiFactory(call=call)

    send_draft_reminders.delay()

    # The reminder task writes the mail to the outbox; a second task, queued on commit,
    # sends it.
    _wait_for(lambda: OutboxMessage.objects.filter(state="sent").exists())
    reminder = Reminder.objects.get()
    assert (reminder.kind, reminder.object_id, reminder.recipient) == (
        "defi_draft_j7",
        defi.pk,
        defi.owner,
    )
    assert [m.to for m in mail.outbox] == [[defi.owner.email]]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_renders_a_convention_and_mails_it(redis_worker):
    # The worker renders the PDF queued on commit, then mails it once sent: the two
    # tasks of a convention go through Redis like in production.
    from funding.models import ConventionVersion
    from funding.services import preparation, signatures
    from tests.factories import (
        SignatoryAgentFactory,
        StaffFactory,
        funded_promotion,
        ministry,
        name_signatories,
        selected_defi,
    )

    promotion = funded_promotion("6")
    signatory = ministry()
    defi = selected_defi(
        promotion, signatory, owner=SignatoryAgentFactory(administration=signatory)
    )
    staff = StaffFactory()
    convention = preparation.convention_prepare(
        promotion=promotion, administration=signatory, actor=staff
    )
    name_signatories(convention, staff)
    version = _wait_for(
        lambda: ConventionVersion.objects.filter(
            convention=convention, rendered_at__isnull=False
        ).first()
    )
    assert version.pdf.read(5) == b"%PDF-"

    SignatoryAgentFactory(administration=signatory)
    signatures.convention_version_send(version=version, actor=staff)

    _wait_for(lambda: len(mail.outbox) == 2 or None)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [defi.owner.email, *(u.email for u in signatory.members.exclude(pk=defi.owner_id))]
    )
    assert all(m.attachments[0][2] == "application/pdf" for m in mail.outbox)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_sends_the_outbox_and_the_sweep_catches_up(redis_worker):
    defi = DefiFactory()

    with transaction.atomic():
        queued = email_queue(
            to=[defi.owner.email],
            template="defi_submitted",
            context={"defi": defi, "call": defi.call},
        )

    message = _wait_for(lambda: OutboxMessage.objects.filter(pk=queued.pk, state="sent").first())
    assert (message.attempts, [m.to for m in mail.outbox]) == (1, [[defi.owner.email]])

    # A mail written while its task was lost (here: never queued) goes out with the sweep.
    lost = OutboxMessage.objects.create(
        recipients=[defi.owner.email], subject="Perdu", body="Retrouvé\n"
    )
    assert outbox_sweep(now=timezone.now() + datetime.timedelta(minutes=5)) == 1
    _wait_for(lambda: OutboxMessage.objects.filter(pk=lost.pk, state="sent").exists())
    assert [m.subject for m in mail.outbox][-1] == "Perdu"


class FlakyBackend(BaseEmailBackend):
    """An SMTP server that drops the first connection, then takes the mails (locmem)."""

    calls = 0

    def send_messages(self, messages):
        FlakyBackend.calls += 1
        if FlakyBackend.calls == 1:
            raise ConnectionResetError("connexion SMTP perdue")
        return locmem.EmailBackend().send_messages(messages)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_retries_a_mail_after_an_smtp_error(redis_worker, settings, monkeypatch):
    settings.EMAIL_BACKEND = "tests.eig.test_celery_worker.FlakyBackend"
    monkeypatch.setattr("eig.notifications.services.RETRY_BASE_SECONDS", 1)
    FlakyBackend.calls = 0
    defi = DefiFactory()

    queued = email_queue(
        to=[defi.owner.email], template="defi_submitted", context={"defi": defi, "call": defi.call}
    )

    message = _wait_for(lambda: OutboxMessage.objects.filter(pk=queued.pk, state="sent").first())
    assert (message.attempts, FlakyBackend.calls, len(mail.outbox)) == (2, 2, 1)


def _wait_for(probe, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.1)
    pytest.fail("Le worker n'a pas traité la tâche à temps.")
