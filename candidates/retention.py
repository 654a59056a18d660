"""How long candidates' data is kept: one clock per purpose, as the CNIL's recruitment
guide asks (settings `CANDIDATE_SELECTION_RETENTION_DAYS`, `CANDIDATE_POOL_RETENTION_DAYS`,
`CANDIDATE_RECONSENT_NOTICE_DAYS`; the defaults are the CNIL's).

- The selection: an application that ends without a place in the talent pool (declined,
  withdrawn, a draft never submitted, or admitted without consenting to the pool) is erased
  three months after it ended (the jury's decision, the withdrawal, the call's closing).
- The talent pool: an admitted application whose candidate consented is kept two years
  after the last contact (the admission, then each renewal of the consent). Thirty days
  before the end, the candidate is asked by mail to renew their consent; renewing resets
  the clock.

Erasing keeps what the programme's statistics need (métier, experience in years, state,
dates, wishes, scores) and nothing that names the person (`services.application_erase_identity`).
A daily task (`tasks.retention_apply`) runs `retention_run`, which does only what is due
and records what it did: a second run the same day finds nothing to do."""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Case, DateTimeField, DurationField, F, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from candidates.models import Application, RetentionRun
from candidates.services import application_erase_identity
from eig.exceptions import DomainError, InvalidTransition
from eig.history.services import record
from eig.notifications.services import email_queue
from eig.permissions import ensure_perm

State = Application.State
Action = Application.Action
# The pool's clock runs for the admitted and the waiting list who consented: both may
# still be offered a mission.
POOL_CLOCK_STATES = (State.ADMITTED, State.WAITING_LIST)


def _days(name: str) -> datetime.timedelta:
    return datetime.timedelta(days=getattr(settings, name))


def _in_pool() -> Q:
    return Q(state__in=POOL_CLOCK_STATES, talent_pool_consent=True)


def with_purge_date(queryset: QuerySet[Application]) -> QuerySet[Application]:
    """`queryset` with `purge_on`, the instant each application's data is due to be erased
    (NULL while no clock runs: submitted, before the jury, or already erased), and
    `purpose`, « sélection » or « vivier ». The one definition of the clocks: the task
    erases what is due, staff read what comes next."""
    selection = Value(_days("CANDIDATE_SELECTION_RETENTION_DAYS"), output_field=DurationField())
    pool = Value(_days("CANDIDATE_POOL_RETENTION_DAYS"), output_field=DurationField())
    ended = Case(
        When(state=State.DRAFT, then=F("call__closes_at")),
        When(state=State.WITHDRAWN, then=F("withdrawn_at")),
        When(state__in=[State.DECLINED, *POOL_CLOCK_STATES], then=F("decided_at")),
        output_field=DateTimeField(),
    )
    return queryset.annotate(
        purge_on=Case(
            When(purged_at__isnull=False, then=None),
            When(_in_pool(), then=Coalesce("pool_contact_at", "decided_at") + pool),
            When(
                state__in=[State.DRAFT, State.WITHDRAWN, State.DECLINED, *POOL_CLOCK_STATES],
                then=ended + selection,
            ),
            default=None,
            output_field=DateTimeField(),
        ),
        purpose=Case(When(_in_pool(), then=Value("vivier")), default=Value("sélection")),
    )


def application_with_purge_date(pk: int) -> Application:
    """One application with `purge_on` and `purpose`, for the candidate's pool page."""
    return with_purge_date(Application.objects.filter(pk=pk)).get()


def applications_purge_upcoming(*, now=None, within_days: int = 30) -> QuerySet[Application]:
    """What will be erased within `within_days`, the soonest first: for staff."""
    now = now or timezone.now()
    return (
        with_purge_date(Application.objects.filter(purged_at__isnull=True))
        .filter(purge_on__lte=now + datetime.timedelta(days=within_days))
        .select_related("call", "candidate")
        .order_by("purge_on", "pk")
    )


def _due(now) -> QuerySet[Application]:
    return with_purge_date(Application.objects.filter(purged_at__isnull=True)).filter(
        purge_on__lte=now
    )


def _reconsent_due(now) -> QuerySet[Application]:
    """In the pool, ending within the notice, not yet asked since the last contact."""
    notice = _days("CANDIDATE_RECONSENT_NOTICE_DAYS")
    return (
        with_purge_date(Application.objects.filter(_in_pool(), purged_at__isnull=True))
        .filter(purge_on__gt=now, purge_on__lte=now + notice, candidate__isnull=False)
        .filter(
            Q(reconsent_asked_at__isnull=True)
            | Q(reconsent_asked_at__lt=Coalesce("pool_contact_at", "decided_at"))
        )
    )


@transaction.atomic
def retention_run(*, now=None) -> RetentionRun:
    """Erase what is due, ask the re-consents that are due, and record the pass.

    Side effects: each erased application loses its identity and files, with a "purged"
    history event naming its purpose; each candidate asked gets one mail (through the
    outbox, once per contact: its key names the contact) and a history event."""
    now = now or timezone.now()
    run = RetentionRun(ran_at=now)
    for application in _due(now).select_for_update(of=("self",)):
        purpose = application.purpose
        application_erase_identity(application)
        application.purged_at = now
        application.save(update_fields=["purged_at"])
        record(
            application,
            action=Action.PURGED,
            actor=None,
            at=now,
            note=f"Durée de conservation échue ({purpose})",
        )
        if purpose == "vivier":
            run.purged_pool += 1
        else:
            run.purged_selection += 1
    for application in (
        _reconsent_due(now).select_for_update(of=("self",)).select_related("candidate", "call")
    ):
        contact = application.pool_contact_at or application.decided_at
        application.reconsent_asked_at = now
        application.save(update_fields=["reconsent_asked_at"])
        email_queue(
            to=[application.candidate.email],
            template="application_reconsent",
            context={
                "application": application,
                "call": application.call,
                "ends_on": application.purge_on,
            },
            idempotency_key=f"application-{application.pk}-reconsent-{contact:%Y%m%d%H%M%S}",
        )
        record(application, action=Action.RECONSENT_ASKED, actor=None, at=now)
        run.reconsent_asked += 1
    run.save()
    return run


@transaction.atomic
def application_reconsent(*, application: Application, actor, now=None) -> Application:
    """The candidate renews their consent to stay in the talent pool: the pool's clock
    starts again. Side effect: a "consent renewed" history event."""
    now = now or timezone.now()
    application = Application.objects.select_for_update().get(pk=application.pk)
    ensure_perm(
        actor,
        "candidates.edit_application",
        application,
        message="Seul·e le candidat ou la candidate renouvelle son consentement.",
    )
    if application.purged_at is not None or application.state not in POOL_CLOCK_STATES:
        raise InvalidTransition(
            "Cette candidature n'est pas dans le vivier des talents.", code="not_in_pool"
        )
    if not application.talent_pool_consent:
        raise DomainError("Vous n'aviez pas consenti à rester dans le vivier.", code="no_consent")
    application.pool_contact_at = now
    application.reconsent_asked_at = None
    application.save(update_fields=["pool_contact_at", "reconsent_asked_at", "updated_at"])
    record(application, action=Action.RECONSENTED, actor=actor, at=now)
    return application
