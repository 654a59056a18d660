"""Amending a convention: bands, work times, lines removed, signatories. A draft is
rewritten in place; a version sent makes a new version (an avenant once one was in force).
Each change is in the version's history."""

from django.db import transaction

from eig.accounts.models import User
from eig.exceptions import DomainError, InvalidTransition
from eig.history.services import record
from eig.programme.models import WorkTime
from funding.models import Convention, ConventionVersion
from funding.selectors import (
    convention_current_version,
)
from funding.services.versions import (
    content_amounts,
    convention_content,
    envelope_check,
    promotion_lock,
    promotion_rules,
    staff_only,
    version_queue_render,
    version_record,
)
from projects.models import Defi

State = ConventionVersion.State


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
    staff_only(actor)
    promotion = promotion_lock(convention.promotion)
    convention = Convention.objects.select_for_update().get(pk=convention.pk)
    current = convention_current_version(convention)
    rules, _ = promotion_rules(promotion)
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
    amounts = content_amounts(content)
    unchanged = all(getattr(current, name) == value for name, value in amounts.items()) and (
        content["defis"] == current.content.get("defis")
    )
    if current.state == State.DRAFT:
        if unchanged and not signatories:
            return current
        envelope_check(promotion, convention, amounts["cofinancing"])
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
        version_queue_render(current)
        return current
    if unchanged:
        return current
    if current.state == State.SUPERSEDED:
        raise InvalidTransition("Cette convention n'a plus de version active.")
    if not reason.strip():
        raise DomainError(
            "Indiquez le motif de la modification : il figure dans l'avenant.", code="reason"
        )
    envelope_check(promotion, convention, amounts["cofinancing"])
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
        **content_amounts(content),
    )
    version_record(version, from_state="", actor=actor, note=reason)
    if previous.state != State.IN_FORCE:
        # Not in force yet: the new text replaces it in the signature circuit.
        from_state = previous.state
        previous.state = State.SUPERSEDED
        previous.save(update_fields=["state"])
        version_record(
            previous,
            from_state=from_state,
            actor=actor,
            note=f"Remplacée par la version {version.number}",
        )
    version_queue_render(version)
    return version
