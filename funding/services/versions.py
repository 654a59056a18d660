"""What preparing, amending and signing a convention share: a version's content and
amounts computed under the promotion's rules, the envelope check, the history event of a
move and the PDF render (a Celery task after commit)."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from eig.accounts.models import User
from eig.dispatch import task_dispatch, task_dispatch_on_commit
from eig.exceptions import DomainError
from eig.history.services import record
from eig.permissions import ensure_perm
from eig.programme.costs import Rules, position_cost
from eig.programme.french import guess_article
from eig.programme.models import FundingRule, Promotion
from eig.programme.money import format_euros
from eig.programme.selectors import rules_for_promotion
from funding.models import Convention, ConventionVersion
from funding.selectors import (
    promotion_committed,
)

State = ConventionVersion.State


def promotion_rules(promotion: Promotion) -> tuple[Rules, FundingRule]:
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
    rules, rule = promotion_rules(promotion)
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


def content_amounts(content: dict) -> dict:
    return {
        "eig_count": content["eig_count"],
        "total_cost": Decimal(content["total_cost"]),
        "cofinancing": Decimal(content["cofinancing"]),
    }


def envelope_check(promotion: Promotion, convention: Convention, cofinancing: Decimal) -> None:
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


def version_record(
    version: ConventionVersion, *, from_state: str, actor: User | None, note: str = ""
):
    """A move of the version's state, named by the state it reaches."""
    record(
        version,
        action=version.state,
        from_state=from_state,
        to_state=version.state,
        actor=actor,
        note=note,
    )


def version_queue_render(version: ConventionVersion) -> None:
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


def promotion_lock(promotion: Promotion) -> Promotion:
    return Promotion.objects.select_for_update().get(pk=promotion.pk)


def staff_only(actor: User, perm: str = "funding.manage_convention") -> None:
    """The steps of the convention circuit that are the programme team's."""
    ensure_perm(
        actor, perm, message="Cette étape revient à l'équipe du programme.", code="staff_only"
    )
