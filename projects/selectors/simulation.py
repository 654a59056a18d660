"""The financial simulation of a défi: what its EIGs would cost and what the programme
would pay, under its promotion's rules."""

from dataclasses import dataclass
from decimal import Decimal

from eig.programme.costs import (
    FLAT,
    FULL,
    FULL_TIME,
    MONTHS,
    SHARE,
    PositionCost,
    Rules,
    Simulation,
    position_cost,
)
from eig.programme.models import Administration, Specialty, WorkTime
from eig.programme.money import format_quantity
from eig.programme.selectors import cofinancing_recipient, rules_for_promotion
from projects.models import (
    Defi,
)

State = Defi.State


@dataclass(frozen=True)
class SimulationLine:
    """One EIG of the simulation: its rank, its métier and whether its experience is the
    high hypothesis (the agent has not said which band they aim for)."""

    rank: int
    specialty: str
    cost: PositionCost
    assumed: bool = False


@dataclass(frozen=True)
class DefiSimulation(Simulation):
    """A défi's simulation: the amounts of `costs.Simulation`, with each line's métier and
    who would receive DINUM's credits."""

    lines: tuple[SimulationLine, ...] = ()
    recipient: Administration | None = None
    requests_cofinancing: bool = True

    @property
    def transfers_credits(self) -> bool:
        """Whether DINUM pays its share by transferring credits to a budget programme (P3–P6);
        under P7 it hires the EIGs itself, and some rules pay nothing."""
        return self.rules.kind in (SHARE, MONTHS, FLAT)

    @property
    def paid_in_full(self) -> bool:
        return self.rules.kind == FULL

    @property
    def assumes_highest_band(self) -> bool:
        return any(line.assumed for line in self.lines)

    @property
    def has_notes(self) -> bool:
        """Whether the panel has anything to say under the table."""
        return (
            self.assumes_highest_band
            or self.transfers_credits
            or self.paid_in_full
            or not self.requests_cofinancing
        )

    @property
    def months_label(self) -> str:
        return format_quantity(self.rules.contract_months)


def defi_simulation(
    defi: Defi, positions: list[tuple] | None = None, *, rules: Rules | None = None
) -> DefiSimulation | None:
    """What the défi's EIGs would cost and what the programme would pay, under its
    promotion's rules; None while the programme has not published them.

    `positions` are the saved ones by default (prefetched by get_defi_for_user), or unsaved
    ones as `(band pk or None, work time in percent, specialty)`. A position whose band is
    unknown is simulated in the highest band, marked as the high hypothesis; a work time
    the contract frame does not allow counts as full time. `rules` spares the three queries
    of rules_for_promotion when the caller has read them; reading the administration's
    ministry may cost one more. The count does not depend on the number of positions."""
    if rules is None:
        rules = rules_for_promotion(defi.call.promotion)
        if rules is None:
            return None
    if positions is None:
        positions = [(p.salary_band_id, p.work_time, p.specialty) for p in defi.positions.all()]
    lines = []
    for rank, (band_pk, work_time, specialty) in enumerate(positions, start=1):
        band = rules.band_by_pk(band_pk) if band_pk is not None else None
        rate = Decimal(work_time) / 100 if work_time in WorkTime.values else FULL_TIME
        if not rules.allows_part_time:
            rate = FULL_TIME
        lines.append(
            SimulationLine(
                rank=rank,
                specialty=dict(Specialty.choices).get(specialty, specialty),
                cost=position_cost(rules, band or rules.highest_band, work_time=rate),
                assumed=band is None,
            )
        )
    return DefiSimulation(
        rules=rules,
        positions=tuple(line.cost for line in lines),
        lines=tuple(lines),
        recipient=cofinancing_recipient(defi.administration),
        requests_cofinancing=defi.requests_cofinancing,
    )
