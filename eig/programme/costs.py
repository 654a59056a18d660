"""What an EIG costs and what the programme pays, from a promotion's rules.

Pure functions on plain values, so that any page (the défi form's simulation, a convention,
the budget follow-up) computes the same amounts without touching the database:
`rules_for_promotion` in `selectors.py` reads the rules once, then everything here is
arithmetic. Each stated amount is rounded by `round_money` and the next one is computed from
it, so the printed figures add up.

    net paid       = net monthly salary × work time × (1 + variable part)
    gross          = net paid ÷ (1 − employee contribution rate)
    employer/month = gross × (1 + employer contribution rate)
    total          = employer/month × contract months
    co-financing   = the promotion's rule applied to the above, never more than the total
"""

from dataclasses import dataclass, field
from decimal import Decimal

from eig.programme.money import format_euros, format_percent, format_quantity, round_money

FULL_TIME = Decimal("1")
PART_TIME = Decimal("0.8")
WORK_TIMES = {FULL_TIME: "Temps plein", PART_TIME: "Temps partiel à 4/5"}

# Kinds of co-financing rule, as stored in FundingRule.kind.
SHARE, MONTHS, FLAT, FULL, NONE = "part", "mois", "forfait", "integral", "aucun"


@dataclass(frozen=True)
class Band:
    label: str
    min_years: int
    net_monthly: Decimal
    variable_rate: Decimal = Decimal("0")
    pk: int | None = None


@dataclass(frozen=True)
class Rules:
    """A promotion's salary grid, contract frame and co-financing rule, as plain values."""

    promotion: str
    bands: tuple[Band, ...]
    employee_rate: Decimal
    employer_rate: Decimal
    contract_months: Decimal
    kind: str
    share: Decimal | None = None
    months: Decimal | None = None
    flat_amount: Decimal | None = None
    allows_part_time: bool = False
    kind_label: str = ""

    def band_for_years(self, years: int) -> Band:
        """The band of someone with `years` complete years of experience."""
        eligible = [band for band in self.bands if band.min_years <= years]
        if not eligible:
            raise ValueError("La grille salariale n'a pas de tranche pour cette expérience.")
        return max(eligible, key=lambda band: band.min_years)

    def band_by_pk(self, pk) -> Band | None:
        return next((band for band in self.bands if band.pk == pk), None)

    @property
    def highest_band(self) -> Band:
        return max(self.bands, key=lambda band: band.min_years)

    def formula(self) -> list[str]:
        """The computation in words, shown under every simulation and in the convention."""
        lines = [
            "Salaire net versé = salaire net mensuel de la tranche × quotité de travail "
            "× (1 + part variable, comptée au maximum).",
            f"Salaire brut = net versé ÷ (1 − {format_percent(self.employee_rate)} "
            "de cotisations salariales).",
            f"Coût employeur mensuel = brut × (1 + {format_percent(self.employer_rate)} "
            "de cotisations patronales).",
            "Coût total employeur = coût mensuel × "
            f"{format_quantity(self.contract_months)} mois de contrat.",
        ]
        lines.append(f"Co-financement : {self.cofinancing_sentence()}")
        lines.append("Chaque montant est arrondi au centime ; le suivant part du montant arrondi.")
        return lines

    def cofinancing_sentence(self) -> str:
        if self.kind == SHARE:
            return f"{format_percent(self.share)} du coût total employeur."
        if self.kind == MONTHS:
            return f"coût employeur de {format_quantity(self.months)} mois par EIG."
        if self.kind == FLAT:
            return (
                f"forfait de {format_euros(self.flat_amount)} par EIG, dans la limite de son coût."
            )
        if self.kind == FULL:
            return "la DINUM prend en charge l'intégralité du coût."
        return "aucun ; l'administration finance seule le recrutement."


@dataclass(frozen=True)
class PositionCost:
    band: Band
    work_time: Decimal
    net_monthly: Decimal
    gross_monthly: Decimal
    employer_monthly: Decimal
    months: Decimal
    total: Decimal
    cofinancing: Decimal

    @property
    def remainder(self) -> Decimal:
        """What the administration pays itself."""
        return self.total - self.cofinancing

    @property
    def work_time_label(self) -> str:
        return WORK_TIMES.get(self.work_time, format_percent(self.work_time))


@dataclass(frozen=True)
class Simulation:
    rules: Rules
    positions: tuple[PositionCost, ...] = field(default_factory=tuple)

    @property
    def total(self) -> Decimal:
        return sum((p.total for p in self.positions), Decimal("0.00"))

    @property
    def cofinancing(self) -> Decimal:
        return sum((p.cofinancing for p in self.positions), Decimal("0.00"))

    @property
    def remainder(self) -> Decimal:
        return self.total - self.cofinancing


def position_cost(
    rules: Rules, band: Band, *, work_time: Decimal = FULL_TIME, months: Decimal | None = None
) -> PositionCost:
    """The cost of one EIG in `band`, at `work_time` (1 or 0,8), for `months` (the contract's
    duration by default), and the programme's share of it."""
    if work_time != FULL_TIME and not rules.allows_part_time:
        raise ValueError("Le cadre contractuel de la promotion n'admet que le temps plein.")
    months = rules.contract_months if months is None else Decimal(months)
    net = round_money(band.net_monthly * work_time * (1 + band.variable_rate))
    gross = round_money(net / (1 - rules.employee_rate))
    employer_monthly = round_money(gross * (1 + rules.employer_rate))
    total = round_money(employer_monthly * months)
    return PositionCost(
        band=band,
        work_time=work_time,
        net_monthly=net,
        gross_monthly=gross,
        employer_monthly=employer_monthly,
        months=months,
        total=total,
        cofinancing=min(_cofinancing(rules, employer_monthly, months, total), total),
    )


def _cofinancing(rules: Rules, employer_monthly, months, total) -> Decimal:
    if rules.kind == SHARE:
        return round_money(total * rules.share)
    if rules.kind == MONTHS:
        return round_money(employer_monthly * min(rules.months, months))
    if rules.kind == FLAT:
        return round_money(rules.flat_amount)
    if rules.kind == FULL:
        return total
    return Decimal("0.00")


def simulate(rules: Rules, positions) -> Simulation:
    """Costs of several positions, each given as `(band, work_time)`."""
    return Simulation(
        rules=rules,
        positions=tuple(
            position_cost(rules, band, work_time=work_time) for band, work_time in positions
        ),
    )
