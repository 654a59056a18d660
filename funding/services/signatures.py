"""The signature circuit of a version: draft → sent → signed by the administration →
signed by DINUM → in force, each step a history event."""

import hashlib

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from eig.accounts.models import User
from eig.exceptions import DomainError, InvalidTransition
from eig.files import validate_pdf
from eig.permissions import ensure_perm
from funding.models import ConventionVersion
from funding.selectors import (
    convention_missing_signatories,
)
from funding.services.reminders import convention_version_mail_for_signature
from funding.services.versions import (
    staff_only,
    version_record,
)

State = ConventionVersion.State


SIGNED_PDF_MAX_BYTES = 15 * 1024 * 1024


# A convention runs to a dozen pages with its annexes; a signature page or two more.
SIGNED_PDF_MAX_PAGES = 60


def _lock_version(version: ConventionVersion) -> ConventionVersion:
    return (
        ConventionVersion.objects.select_for_update(of=("self",))
        .select_related("convention__promotion", "convention__administration")
        .get(pk=version.pk)
    )


def _move(version, *, expected: str, to: str, actor: User, note: str = "", **fields):
    _check_state(version, expected=expected)
    for name, value in fields.items():
        setattr(version, name, value)
    version.state = to
    version.save(update_fields=["state", *fields])
    version_record(version, from_state=expected, actor=actor, note=note)
    return version


def _check_state(version, *, expected: str) -> None:
    if version.state != expected:
        raise InvalidTransition(
            f"Cette version ({version.title}) est « {version.get_state_display()} » : "
            "cette étape ne s'applique pas."
        )
    if (
        version.number
        != version.convention.versions.order_by("-number").values_list("number", flat=True).first()
    ):
        raise InvalidTransition("Une version plus récente de la convention existe.")


@transaction.atomic
def convention_version_send(
    *, version: ConventionVersion, actor: User, now=None
) -> ConventionVersion:
    """Draft → sent: the PDF goes to the signatory administration's named signatories.
    Refused while the PDF is not rendered yet, and while the text does not name both
    signatories (it would read "représentée par ,"). Side effect: a mail with the PDF to each
    signatory, written to the outbox in this transaction and sent after commit."""
    staff_only(actor)
    version = _lock_version(version)
    if version.state == State.DRAFT and not (version.rendered_at and version.pdf):
        raise DomainError(
            "Le PDF de cette version est en cours de production : réessayez dans un instant.",
            code="pdf_pending",
        )
    missing = convention_missing_signatories(version.content)
    if version.state == State.DRAFT and missing:
        raise DomainError(
            "Indiquez " + " et ".join(missing) + " (fonction et nom) avant l'envoi : la "
            "convention les nomme, et leur nom doit figurer dans le PDF envoyé.",
            code="signatories_missing",
        )
    version = _move(
        version, expected=State.DRAFT, to=State.SENT, actor=actor, sent_at=now or timezone.now()
    )
    convention_version_mail_for_signature(version_id=version.pk)
    return version


@transaction.atomic
def convention_version_sign_admin(
    *, version: ConventionVersion, actor: User, upload, now=None
) -> ConventionVersion:
    """Sent → signed by the administration, with the signed PDF: uploaded by a named
    signatory of the administration (a verified member), or by staff who received it by
    mail."""
    version = _lock_version(version)
    convention = version.convention
    ensure_perm(
        actor,
        "funding.sign_convention",
        convention,
        message="Seuls les agents signataires de l'administration "
        f"({convention.administration}) déposent la convention signée.",
        code="not_signatory",
    )
    try:
        validate_pdf(upload, max_bytes=SIGNED_PDF_MAX_BYTES, max_pages=SIGNED_PDF_MAX_PAGES)
    except ValidationError as error:
        raise DomainError(" ".join(error.messages), code=error.code or "pdf") from error
    upload.seek(0)
    content = upload.read()
    upload.seek(0)
    _check_state(version, expected=State.SENT)
    version.signed_pdf.save(
        f"{convention.reference}-v{version.number}-signee.pdf", upload, save=False
    )
    return _move(
        version,
        expected=State.SENT,
        to=State.SIGNED_ADMIN,
        actor=actor,
        signed_pdf=version.signed_pdf,
        signed_checksum=hashlib.sha256(content).hexdigest(),
        signed_admin_at=now or timezone.now(),
    )


@transaction.atomic
def convention_version_sign_dinum(*, version: ConventionVersion, actor: User, now=None):
    """Signed by the administration → signed by DINUM (staff)."""
    staff_only(actor)
    version = _lock_version(version)
    return _move(
        version,
        expected=State.SIGNED_ADMIN,
        to=State.SIGNED_DINUM,
        actor=actor,
        signed_dinum_at=now or timezone.now(),
    )


@transaction.atomic
def convention_version_enter_into_force(*, version: ConventionVersion, actor: User, on):
    """Signed by both → in force from `on` (for a budgetary convention, when the transfer
    decree is published). An avenant in force supersedes the version it amends."""
    staff_only(actor)
    version = _lock_version(version)
    version = _move(
        version, expected=State.SIGNED_DINUM, to=State.IN_FORCE, actor=actor, in_force_on=on
    )
    for previous in version.convention.versions.filter(state=State.IN_FORCE).exclude(pk=version.pk):
        previous.state = State.SUPERSEDED
        previous.save(update_fields=["state"])
        version_record(
            previous,
            from_state=State.IN_FORCE,
            actor=actor,
            note=f"Remplacée par l'{version.title}",
        )
    return version
