"""Conventions: preparing them from the selected défis, amending them, moving them through
signature. Every change of state writes a history event (`eig.history`); PDFs and mail leave through
Celery tasks once the transaction commits."""

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import capfirst

from eig.accounts.models import Role, User
from eig.dispatch import task_dispatch, task_dispatch_on_commit
from eig.exceptions import DomainError, InvalidTransition
from eig.files import validate_pdf
from eig.history.services import record
from eig.programme.costs import Rules, position_cost
from eig.programme.french import guess_article, the_name
from eig.programme.models import Administration, FundingRule, Promotion, SalaryBand, WorkTime
from eig.programme.money import format_euros
from eig.programme.selectors import rules_for_promotion
from funding.models import Convention, ConventionLine, ConventionVersion
from funding.selectors import (
    convention_current_version,
    convention_missing_signatories,
    convention_signatory_users,
    promotion_committed,
    promotion_convention_plan,
    user_can_sign_for,
)
from projects.models import Defi

State = ConventionVersion.State
SIGNED_PDF_MAX_BYTES = 15 * 1024 * 1024
# A convention runs to a dozen pages with its annexes; a signature page or two more.
SIGNED_PDF_MAX_PAGES = 60


# --- Computing a version's content -----------------------------------------------------------


def _rules(promotion: Promotion) -> tuple[Rules, FundingRule]:
    rules = rules_for_promotion(promotion)
    if rules is None:
        raise DomainError(
            f"Les règles de financement de la {promotion} ne sont pas configurées : "
            "grille salariale, cadre contractuel et règle de co-financement.",
            code="rules_missing",
        )
    return rules, promotion.funding_rule


def convention_content(convention: Convention) -> dict:
    """What a version of `convention` says, computed from its lines under the promotion's
    rules: parties, frame, rule, each EIG's amounts, totals. Amounts are strings of
    Decimals (JSON), already rounded."""
    promotion = convention.promotion
    rules, rule = _rules(promotion)
    frame = promotion.contract_frame
    lines = convention.lines.select_related("defi__administration", "salary_band").order_by(
        "defi__title", "defi_id", "rank"
    )
    defis: dict[int, dict] = {}
    for line in lines:
        band = rules.band_by_pk(line.salary_band_id)
        if band is None:
            raise DomainError(
                f"La tranche « {line.salary_band} » n'appartient plus à la grille de la "
                f"{promotion} : choisissez-en une autre pour l'EIG {line.rank} du défi "
                f"« {line.defi} ».",
                code="band_outside_grid",
            )
        work_time = Decimal(line.work_time) / 100
        cost = position_cost(rules, band, work_time=work_time)
        entry = defis.setdefault(
            line.defi_id,
            {
                "title": str(line.defi),
                "host": line.defi.administration.name,
                "host_article": line.defi.administration.article
                or guess_article(line.defi.administration.name),
                "lines": [],
                "total": Decimal("0.00"),
                "cofinancing": Decimal("0.00"),
            },
        )
        entry["lines"].append(
            {
                "rank": line.rank,
                "specialty": line.get_specialty_display(),
                "band": band.label,
                "work_time": cost.work_time_label,
                "net_monthly": str(cost.net_monthly),
                "gross_monthly": str(cost.gross_monthly),
                "employer_monthly": str(cost.employer_monthly),
                "months": str(cost.months),
                "total": str(cost.total),
                "cofinancing": str(cost.cofinancing),
            }
        )
        entry["total"] += cost.total
        entry["cofinancing"] += cost.cofinancing
    total = sum((d["total"] for d in defis.values()), Decimal("0.00"))
    cofinancing = sum((d["cofinancing"] for d in defis.values()), Decimal("0.00"))
    for entry in defis.values():
        entry["total"], entry["cofinancing"] = str(entry["total"]), str(entry["cofinancing"])
    administration = convention.administration
    return {
        "reference": convention.reference,
        "kind": convention.kind,
        "kind_label": convention.get_kind_display(),
        "promotion": {"name": promotion.name, "year": promotion.year, "code": promotion.code},
        "administration": {
            "name": administration.name,
            # The article its name takes in the text (« entre la DINUM et le ministère… »).
            "article": administration.article or guess_article(administration.name),
            "town": administration.town,
            "budget_programme": convention.budget_programme,
        },
        "signatory": convention.signatory,
        "dinum_signatory": convention.dinum_signatory,
        "frame": {
            "kind": frame.get_kind_display(),
            "employer": frame.get_employer_display(),
            "employer_is_dinum": frame.employer == frame.Employer.DINUM,
            "duration_months": str(frame.duration_months),
            "renewable": frame.renewable,
            "allows_part_time": frame.allows_part_time,
            "start_date": frame.start_date.isoformat() if frame.start_date else None,
            "end_date": frame.end_date.isoformat() if frame.end_date else None,
        },
        "rule": {
            "kind": rule.kind,
            "kind_label": rule.get_kind_display(),
            "sentence": rules.cofinancing_sentence(),
            "flat_amount": str(rule.flat_amount) if rule.flat_amount is not None else None,
            "share": str(rule.share) if rule.share is not None else None,
            "months": str(rule.months) if rule.months is not None else None,
            "source_programme": rule.source_programme,
            "payment_terms": rule.payment_terms,
        },
        "bands": [
            {
                "label": b.label,
                "net_monthly": str(b.net_monthly),
                "variable_rate": str(b.variable_rate),
            }
            for b in rules.bands
        ],
        "formula": rules.formula(),
        "defis": list(defis.values()),
        "eig_count": sum(len(d["lines"]) for d in defis.values()),
        "total_cost": str(total),
        "cofinancing": str(cofinancing),
        "remainder": str(total - cofinancing),
    }


def _amounts(content: dict) -> dict:
    return {
        "eig_count": content["eig_count"],
        "total_cost": Decimal(content["total_cost"]),
        "cofinancing": Decimal(content["cofinancing"]),
    }


def _envelope_check(promotion: Promotion, convention: Convention, cofinancing: Decimal) -> None:
    """Refuse what would take the promotion's commitments past its envelope. The caller
    holds the promotion's row lock, so that two conventions cannot both squeeze in."""
    if promotion.budget_envelope is None:
        return
    committed = promotion_committed(promotion, exclude=convention) + cofinancing
    if committed > promotion.budget_envelope:
        raise DomainError(
            f"Enveloppe dépassée : cette convention porterait les engagements de la "
            f"{promotion} à {format_euros(committed)} pour une enveloppe de "
            f"{format_euros(promotion.budget_envelope)}, soit "
            f"{format_euros(committed - promotion.budget_envelope)} de trop. Réduisez les "
            "montants ou relevez l'enveloppe de la promotion.",
            code="envelope_exceeded",
        )


def _record(version: ConventionVersion, *, from_state: str, actor: User | None, note: str = ""):
    """A move of the version's state, named by the state it reaches."""
    record(
        version,
        action=version.state,
        from_state=from_state,
        to_state=version.state,
        actor=actor,
        note=note,
    )


def _queue_render(version: ConventionVersion) -> None:
    from funding.tasks import render_convention_version

    task_dispatch_on_commit(render_convention_version, version_id=version.pk)


def convention_versions_requeue_unrendered(*, now=None) -> int:
    """Beat: queue again the render of versions still without their PDF
    `PDF_RENDER_REQUEUE_AFTER` seconds after they were written (the broker was down, or a
    worker died in the middle), so that none stays "en cours de production". Rendering is
    idempotent: a render already on its way does nothing the second time. A draft rewritten
    in place keeps its creation date and is queued at the next sweep; that costs one render
    that finds the work done. Returns how many were queued."""
    from funding.tasks import render_convention_version

    now = now or timezone.now()
    stale = ConventionVersion.objects.filter(
        rendered_at__isnull=True,
        created_at__lte=now - timedelta(seconds=settings.PDF_RENDER_REQUEUE_AFTER),
    ).values_list("pk", flat=True)
    return sum(task_dispatch(render_convention_version, version_id=pk) for pk in stale)


def _lock_promotion(promotion: Promotion) -> Promotion:
    return Promotion.objects.select_for_update().get(pk=promotion.pk)


# --- Preparing ----------------------------------------------------------------------------


def _default_band(rules: Rules, position) -> SalaryBand | int:
    """The band a line starts with: the one the agent assumed for the position, or the
    highest (a prudent commitment, lowered once the EIG is hired)."""
    if position.salary_band_id and rules.band_by_pk(position.salary_band_id):
        return position.salary_band_id
    return rules.highest_band.pk


@transaction.atomic
def convention_prepare(
    *, promotion: Promotion, administration: Administration, actor: User
) -> Convention:
    """Create the convention of `administration` for `promotion`: one line per position of
    each selected défi it signs for, and version 1 in draft.

    Side effects: ConventionEvent "" → draft; the PDF is rendered by a Celery task after
    commit. Refused when the rules are missing, when the administration signs for no
    selected défi, when it already has a convention, or past the envelope."""
    promotion = _lock_promotion(promotion)
    rules, rule = _rules(promotion)
    if Convention.objects.filter(promotion=promotion, administration=administration).exists():
        raise DomainError(
            f"{capfirst(the_name(administration))} a déjà une convention pour la {promotion}.",
            code="exists",
        )
    plan = promotion_convention_plan(promotion, convention_kind=rule.convention_kind)
    defis = plan.by_signatory.get(administration)
    if not defis:
        raise DomainError(
            f"{capfirst(the_name(administration))} ne signe pour aucun défi retenu de la "
            f"{promotion}.",
            code="no_defi",
        )
    count = Convention.objects.filter(promotion=promotion).count()
    convention = Convention.objects.create(
        promotion=promotion,
        administration=administration,
        kind=rule.convention_kind,
        reference=f"EIG{promotion.code.upper()}-{promotion.year}-{count + 1:03d}",
        budget_programme=administration.budget_programme,
        created_by=actor,
    )
    _new_lines(convention, defis, rules)
    content = convention_content(convention)
    _envelope_check(promotion, convention, Decimal(content["cofinancing"]))
    version = ConventionVersion.objects.create(
        convention=convention, number=1, content=content, created_by=actor, **_amounts(content)
    )
    _record(version, from_state="", actor=actor)
    _queue_render(version)
    return convention


def _new_lines(convention: Convention, defis, rules: Rules) -> list[ConventionLine]:
    return ConventionLine.objects.bulk_create(
        ConventionLine(
            convention=convention,
            defi=defi,
            position=position,
            rank=position.rank,
            specialty=position.specialty,
            salary_band_id=_default_band(rules, position),
            work_time=position.work_time if rules.allows_part_time else WorkTime.FULL,
        )
        for defi in defis
        for position in defi.positions.all()
    )


@transaction.atomic
def convention_add_defis(*, convention: Convention, actor: User) -> ConventionVersion | None:
    """Add to `convention` the selected défis it signs for and does not cover yet (P7 held a
    jury every two months: a ministry's second défi joins its convention). None when there
    is none to add. Goes through `convention_update`: a draft is rewritten, a sent text gets
    a new version, a text in force an avenant; the envelope is checked."""
    promotion = _lock_promotion(convention.promotion)
    rules, rule = _rules(promotion)
    plan = promotion_convention_plan(promotion, convention_kind=rule.convention_kind)
    covered = set(convention.lines.values_list("defi_id", flat=True))
    defis = [d for d in plan.by_signatory.get(convention.administration, []) if d.pk not in covered]
    if not defis:
        return None
    _new_lines(convention, defis, rules)
    titles = ", ".join(f"« {defi} »" for defi in defis)
    return convention_update(
        convention=convention,
        actor=actor,
        reason=f"Ajout du défi {titles}, retenu après la préparation de la convention."
        if len(defis) == 1
        else f"Ajout des défis {titles}, retenus après la préparation de la convention.",
    )


@dataclass
class PrepareReport:
    created: list[Convention] = field(default_factory=list)
    amended: list[ConventionVersion] = field(default_factory=list)
    refused: list[tuple[Administration, str]] = field(default_factory=list)
    ineligible: list[Defi] = field(default_factory=list)
    self_funded: list[Defi] = field(default_factory=list)


def conventions_prepare_for_promotion(*, promotion: Promotion, actor: User) -> PrepareReport:
    """Prepare the missing conventions of a promotion, one per signatory administration,
    and add the défis selected since to the conventions that exist. Each one stands or falls
    alone (an exceeded envelope refuses only the ones past it)."""
    _, rule = _rules(promotion)
    plan = promotion_convention_plan(promotion, convention_kind=rule.convention_kind)
    report = PrepareReport(ineligible=plan.ineligible, self_funded=plan.self_funded)
    existing = {
        convention.administration_id: convention
        for convention in Convention.objects.filter(promotion=promotion).select_related("promotion")
    }
    for administration in sorted(plan.by_signatory, key=lambda a: a.name.lower()):
        try:
            if administration.pk in existing:
                version = convention_add_defis(convention=existing[administration.pk], actor=actor)
                if version is not None:
                    report.amended.append(version)
            else:
                report.created.append(
                    convention_prepare(
                        promotion=promotion, administration=administration, actor=actor
                    )
                )
        except DomainError as error:
            report.refused.append((administration, error.message))
    return report


# --- Amending ------------------------------------------------------------------------------


@transaction.atomic
def convention_update(
    *,
    convention: Convention,
    actor: User,
    lines: dict[int, dict] | None = None,
    signatory: str | None = None,
    dinum_signatory: str | None = None,
    reason: str = "",
) -> ConventionVersion:
    """Change the EIGs' bands or work times, or remove an EIG (`lines` maps a line's id to
    `{"salary_band": id, "work_time": 100|80, "remove": bool}`; each défi keeps one EIG at
    least) and the signatories, then recompute.

    A draft version is rewritten in place. Once a version has been sent, a change of amounts
    makes a new version and keeps the old one: the new one is an avenant if an earlier
    version was in force, and a version not yet in force is superseded. A change of
    signatories only is allowed on a draft. Side effects: events, a PDF render."""
    promotion = _lock_promotion(convention.promotion)
    convention = Convention.objects.select_for_update().get(pk=convention.pk)
    current = convention_current_version(convention)
    rules, _ = _rules(promotion)
    defis_before = set(convention.lines.values_list("defi_id", flat=True))
    for line_id, values in (lines or {}).items():
        line = convention.lines.filter(pk=line_id).first()
        if line is None:
            raise DomainError("Cette ligne n'appartient pas à la convention.", code="line")
        if values.get("remove"):
            # A position not filled, or an EIG gone before being hired: the line goes, and
            # the new amounts say so (in an avenant once the text is in force).
            record(
                current,
                action=ConventionVersion.Action.LINE_REMOVED,
                actor=actor,
                note=f"EIG {line.rank} du défi « {line.defi} »"
                + (f" : {reason}" if reason else ""),
                data={"defi": line.defi_id, "rank": line.rank, "line": line.pk},
            )
            line.delete()
            continue
        band = rules.band_by_pk(int(values["salary_band"]))
        if band is None:
            raise DomainError(
                "Choisissez une tranche de la grille de la promotion.", code="band_outside_grid"
            )
        work_time = int(values.get("work_time", WorkTime.FULL))
        if work_time != WorkTime.FULL and not rules.allows_part_time:
            raise DomainError(
                "Le cadre contractuel de la promotion n'admet que le temps plein.",
                code="part_time",
            )
        line.salary_band_id, line.work_time = band.pk, work_time
        line.save(update_fields=["salary_band", "work_time"])
    signatories = {
        name: value
        for name, value in (("signatory", signatory), ("dinum_signatory", dinum_signatory))
        if value is not None and value != getattr(convention, name)
    }
    if signatories:
        if current.state != State.DRAFT:
            raise DomainError(
                "Les signataires se modifient tant que la version est en brouillon ; "
                "après l'envoi, passez par un avenant.",
                code="signatory_locked",
            )
        record(
            current,
            action=ConventionVersion.Action.SIGNATORIES_CHANGED,
            actor=actor,
            data={
                name: {"avant": getattr(convention, name), "après": value}
                for name, value in signatories.items()
            },
        )
        for name, value in signatories.items():
            setattr(convention, name, value)
        convention.save(update_fields=list(signatories))

    emptied = Defi.objects.filter(
        pk__in=defis_before - set(convention.lines.values_list("defi_id", flat=True))
    ).order_by("title")
    if emptied:
        raise DomainError(
            "Chaque défi de la convention garde au moins un EIG : "
            + ", ".join(f"« {defi} »" for defi in emptied)
            + " n'en aurait plus.",
            code="defi_emptied",
        )
    content = convention_content(convention)
    amounts = _amounts(content)
    unchanged = all(getattr(current, name) == value for name, value in amounts.items()) and (
        content["defis"] == current.content.get("defis")
    )
    if current.state == State.DRAFT:
        if unchanged and not signatories:
            return current
        _envelope_check(promotion, convention, amounts["cofinancing"])
        if not unchanged:
            record(
                current,
                action=ConventionVersion.Action.REWRITTEN,
                actor=actor,
                note=reason,
                data={
                    name: {"avant": str(getattr(current, name)), "après": str(value)}
                    for name, value in amounts.items()
                    if getattr(current, name) != value
                },
            )
        for name, value in amounts.items():
            setattr(current, name, value)
        current.content = {**content, "amendment": current.content.get("amendment")}
        current.reason = reason or current.reason
        # The old file stays until the new render replaces it; the empty date says it is stale.
        current.rendered_at = None
        current.save(
            update_fields=[
                "eig_count",
                "total_cost",
                "cofinancing",
                "content",
                "reason",
                "rendered_at",
            ]
        )
        _queue_render(current)
        return current
    if unchanged:
        return current
    if current.state == State.SUPERSEDED:
        raise InvalidTransition("Cette convention n'a plus de version active.")
    if not reason.strip():
        raise DomainError(
            "Indiquez le motif de la modification : il figure dans l'avenant.", code="reason"
        )
    _envelope_check(promotion, convention, amounts["cofinancing"])
    return _version_create(convention, current, content, actor=actor, reason=reason)


def _version_create(convention, previous, content, *, actor, reason) -> ConventionVersion:
    was_in_force = convention.versions.filter(in_force_on__isnull=False).exists()
    amendment = None
    if was_in_force:
        last = convention.versions.exclude(amendment=None).order_by("-amendment").first()
        amendment = (last.amendment if last else 0) + 1
    content = {
        **content,
        "amendment": {
            "number": amendment,
            "previous_title": previous.title,
            "previous_total_cost": str(previous.total_cost),
            "previous_cofinancing": str(previous.cofinancing),
            "reason": reason,
        }
        if amendment
        else None,
    }
    version = ConventionVersion.objects.create(
        convention=convention,
        number=previous.number + 1,
        amendment=amendment,
        reason=reason,
        content=content,
        created_by=actor,
        **_amounts(content),
    )
    _record(version, from_state="", actor=actor, note=reason)
    if previous.state != State.IN_FORCE:
        # Not in force yet: the new text replaces it in the signature circuit.
        from_state = previous.state
        previous.state = State.SUPERSEDED
        previous.save(update_fields=["state"])
        _record(
            previous,
            from_state=from_state,
            actor=actor,
            note=f"Remplacée par la version {version.number}",
        )
    _queue_render(version)
    return version


# --- Signature -----------------------------------------------------------------------------


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
    _record(version, from_state=expected, actor=actor, note=note)
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
    _staff_only(actor)
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
    if not (user_can_sign_for(actor, convention) or actor.is_programme_staff):
        raise DomainError(
            "Seuls les agents signataires de l'administration "
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
    _staff_only(actor)
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
    _staff_only(actor)
    version = _lock_version(version)
    version = _move(
        version, expected=State.SIGNED_DINUM, to=State.IN_FORCE, actor=actor, in_force_on=on
    )
    for previous in version.convention.versions.filter(state=State.IN_FORCE).exclude(pk=version.pk):
        previous.state = State.SUPERSEDED
        previous.save(update_fields=["state"])
        _record(
            previous,
            from_state=State.IN_FORCE,
            actor=actor,
            note=f"Remplacée par l'{version.title}",
        )
    return version


def _staff_only(actor: User) -> None:
    if not actor.is_programme_staff:
        raise DomainError("Cette étape revient à l'équipe du programme.", code="staff_only")


# --- Mail and reminders ------------------------------------------------------------------

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
