"""Mail of a version sent for signature, and the reminders of versions waiting for a
signature (each once)."""

from django.utils import timezone

from eig.accounts.models import Role, User
from funding.models import Convention, ConventionVersion
from funding.selectors import (
    convention_signatory_users,
)

State = ConventionVersion.State


# Days after sending (administration) or after the administration's signature (DINUM) at
# which a version still waiting is brought up again.
ADMIN_REMINDER_DAYS = (7, 14, 21, 28)


DINUM_REMINDER_DAYS = (3, 7, 14)


def convention_signatories(convention: Convention) -> list[User]:
    """The administration's named signatories, who receive the text and the reminders (none
    when it named nobody: the convention page tells staff)."""
    return convention_signatory_users(convention)


def convention_version_mail_for_signature(*, version_id: int) -> int:
    """Mail the version's PDF to each signatory agent, once per agent and version (a second
    call skips those already mailed): the mails, PDF attached, are written to the outbox in
    the current transaction. Returns the number of mails written."""
    from eig.notifications.services import reminder_send_once

    version = ConventionVersion.objects.select_related(
        "convention__promotion", "convention__administration"
    ).get(pk=version_id)
    if not version.pdf:
        raise OSError("Le PDF de la convention n'est pas encore produit.")
    with version.pdf.open("rb") as handle:
        pdf = handle.read()
    sent = 0
    for agent in convention_signatories(version.convention):
        sent += reminder_send_once(
            kind="convention_sent",
            obj=version,
            recipient=agent,
            due_on=timezone.localdate(version.sent_at),
            template="convention_sent",
            context={"version": version, "convention": version.convention},
            attachments=[
                (f"{version.convention.reference}-v{version.number}.pdf", pdf, "application/pdf")
            ],
        )
    return sent


def _threshold(days_since: float, thresholds) -> int | None:
    passed = [day for day in thresholds if days_since >= day]
    return max(passed) if passed else None


def convention_send_signature_reminders(*, now=None) -> int:
    """Remind the administration's agents of a version sent and not signed (7, 14, 21 and 28
    days after sending), and staff of a version signed by the administration and not by DINUM
    (3, 7 and 14 days after). Each reminder is sent once. Returns the number of mails."""
    from eig.notifications.services import reminder_send_once

    now = now or timezone.now()
    sent = 0
    waiting = ConventionVersion.objects.filter(
        state__in=[State.SENT, State.SIGNED_ADMIN]
    ).select_related("convention__promotion", "convention__administration")
    staff = None
    for version in waiting:
        if version.state == State.SENT:
            since, thresholds, template = (
                version.sent_at,
                ADMIN_REMINDER_DAYS,
                "convention_signature_reminder",
            )
            recipients = convention_signatories(version.convention)
        else:
            since, thresholds, template = (
                version.signed_admin_at,
                DINUM_REMINDER_DAYS,
                "convention_countersign_reminder",
            )
            if staff is None:
                staff = list(
                    User.objects.filter(roles__contains=[Role.STAFF], is_active=True).order_by("pk")
                )
            recipients = staff
        day = _threshold((now - since).total_seconds() / 86400, thresholds)
        if day is None:
            continue
        for recipient in recipients:
            sent += reminder_send_once(
                kind=f"{template}_d{day}",
                obj=version,
                recipient=recipient,
                due_on=timezone.localdate(since),
                template=template,
                context={"version": version, "convention": version.convention, "days": day},
            )
    return sent
