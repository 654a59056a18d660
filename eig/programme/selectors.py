"""Reads of the programme's rules, shaped for the pure computations of `costs.py`."""

from eig.programme.costs import Band, Rules
from eig.programme.models import Administration, FundingRule, Promotion


def rules_for_promotion(promotion: Promotion) -> Rules | None:
    """The promotion's rules as plain values, or None while staff have not configured its
    salary grid, contract frame and co-financing rule. Three queries."""
    rule = FundingRule.objects.filter(promotion=promotion).first()
    frame = getattr(promotion, "contract_frame", None) if rule else None
    if rule is None or frame is None:
        return None
    bands = tuple(
        Band(
            pk=band.pk,
            label=band.label,
            min_years=band.min_years,
            net_monthly=band.net_monthly,
            variable_rate=band.variable_rate,
        )
        for band in promotion.salary_bands.order_by("min_years")
    )
    if not bands:
        return None
    return Rules(
        promotion=promotion.name,
        bands=bands,
        employee_rate=rule.employee_rate,
        employer_rate=rule.employer_rate,
        contract_months=frame.duration_months,
        kind=rule.kind,
        kind_label=rule.get_kind_display(),
        share=rule.share,
        months=rule.months,
        flat_amount=rule.flat_amount,
        allows_part_time=frame.allows_part_time,
    )


def cofinancing_recipient(administration: Administration) -> Administration | None:
    """Who receives DINUM's credits for a défi of `administration` (the porteur administratif).

    Only an administration with a budget programme receives them directly; an operator or a
    decentralised service goes through its ministry, if that one has a programme. None when
    neither has one: the défi is then self-funded, or partners with a ministry first."""
    if administration.receives_cofinancing_directly:
        return administration
    parent = administration.parent
    if parent is not None and parent.receives_cofinancing_directly:
        return parent
    return None
