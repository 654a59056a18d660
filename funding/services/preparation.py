"""Preparing conventions from the selected défis: one per promotion and signatory
administration, version 1 written with its content; défis selected later join a draft or
make a new version."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils.text import capfirst

from eig.accounts.models import User
from eig.exceptions import DomainError
from eig.programme.costs import Rules
from eig.programme.french import the_name
from eig.programme.models import Administration, Promotion, SalaryBand, WorkTime
from funding.models import Convention, ConventionLine, ConventionVersion
from funding.selectors import (
    promotion_convention_plan,
)
from funding.services.amendments import convention_update
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

    Side effects: a history event "" → draft; the PDF is rendered by a Celery task after
    commit. Refused when the rules are missing, when the administration signs for no
    selected défi, when it already has a convention, or past the envelope."""
    staff_only(actor, "funding.prepare_conventions")
    promotion = promotion_lock(promotion)
    rules, rule = promotion_rules(promotion)
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
    envelope_check(promotion, convention, Decimal(content["cofinancing"]))
    version = ConventionVersion.objects.create(
        convention=convention,
        number=1,
        content=content,
        created_by=actor,
        **content_amounts(content),
    )
    version_record(version, from_state="", actor=actor)
    version_queue_render(version)
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
    promotion = promotion_lock(convention.promotion)
    rules, rule = promotion_rules(promotion)
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
    staff_only(actor, "funding.prepare_conventions")
    _, rule = promotion_rules(promotion)
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
