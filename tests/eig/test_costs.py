"""The cost of an EIG and the programme's share, under the real rules of promotions 3 to 7.

Expected amounts are computed by hand with the default hypotheses (21 % of employee
contributions, 37 % of employer contributions), each step rounded to the cent before the
next, as `costs.py` documents:

    4 000,00 ÷ 0,79 = 5 063,2911… → 5 063,29 × 1,37 = 6 936,7073 → 6 936,71 × 10 = 69 367,10
    3 500,00 ÷ 0,79 = 4 430,3797… → 4 430,38 × 1,37 = 6 069,6206 → 6 069,62 × 10 = 60 696,20
"""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eig.programme.costs import (
    FLAT,
    FULL,
    FULL_TIME,
    MONTHS,
    NONE,
    PART_TIME,
    SHARE,
    Band,
    Rules,
    position_cost,
    simulate,
)
from eig.programme.money import round_money
from eig.programme.selectors import cofinancing_recipient, rules_for_promotion
from tests.factories import (
    AdministrationFactory,
    PromotionFactory,
    funded_promotion,
    ministry,
    operator_of,
)

D = Decimal
NBSP = "\u00a0"

BAND_4000 = Band(label="Tous les EIG", min_years=0, net_monthly=D("4000.00"))
BAND_3500 = Band(label="Jusqu'à 5 ans", min_years=0, net_monthly=D("3500.00"))
BAND_4000_SENIOR = Band(label="Au-delà de 5 ans", min_years=6, net_monthly=D("4000.00"))


def _rules(kind, *, bands=(BAND_4000,), contract_months="10", **kwargs) -> Rules:
    """Pure rules with the default hypotheses, as staff would configure them."""
    kwargs.setdefault("employee_rate", D("0.21"))
    kwargs.setdefault("employer_rate", D("0.37"))
    return Rules(
        promotion="Promotion test",
        bands=tuple(bands),
        contract_months=D(contract_months),
        kind=kind,
        **kwargs,
    )


def _amounts(cost):
    return (
        cost.net_monthly,
        cost.gross_monthly,
        cost.employer_monthly,
        cost.total,
        cost.cofinancing,
    )


@pytest.fixture
def rules_of():
    """The rules of a promotion under preset `key`, read back from the database."""

    def build(key):
        return rules_for_promotion(funded_promotion(key))

    return build


# --- Real rules, from the presets ----------------------------------------------------------


@pytest.mark.django_db
def test_position_cost_p3_pays_70_percent_of_the_total(rules_of):
    rules = rules_of("3")

    cost = position_cost(rules, rules.band_for_years(0))

    # 69 367,10 × 0,70 = 48 556,97
    assert _amounts(cost) == (
        D("4000.00"),
        D("5063.29"),
        D("6936.71"),
        D("69367.10"),
        D("48556.97"),
    )
    assert cost.months == D("10")
    assert cost.remainder == D("20810.13")


@pytest.mark.django_db
def test_position_cost_p4_pays_four_months_of_employer_cost(rules_of):
    rules = rules_of("4")

    cost = position_cost(rules, rules.band_for_years(12))

    # 6 936,71 × 4 = 27 746,84
    assert _amounts(cost) == (
        D("4000.00"),
        D("5063.29"),
        D("6936.71"),
        D("69367.10"),
        D("27746.84"),
    )


@pytest.mark.django_db
def test_position_cost_p5_pays_three_months_in_both_bands(rules_of):
    rules = rules_of("5")
    junior, senior = rules.bands

    # 6 069,62 × 3 = 18 208,86 ; 6 936,71 × 3 = 20 810,13
    assert _amounts(position_cost(rules, junior)) == (
        D("3500.00"),
        D("4430.38"),
        D("6069.62"),
        D("60696.20"),
        D("18208.86"),
    )
    assert _amounts(position_cost(rules, senior)) == (
        D("4000.00"),
        D("5063.29"),
        D("6936.71"),
        D("69367.10"),
        D("20810.13"),
    )


@pytest.mark.django_db
def test_position_cost_p6_pays_the_flat_amount_in_both_bands(rules_of):
    rules = rules_of("6")
    junior, senior = rules.bands

    assert _amounts(position_cost(rules, junior)) == (
        D("3500.00"),
        D("4430.38"),
        D("6069.62"),
        D("60696.20"),
        D("20000.00"),
    )
    assert _amounts(position_cost(rules, senior)) == (
        D("4000.00"),
        D("5063.29"),
        D("6936.71"),
        D("69367.10"),
        D("20000.00"),
    )


@pytest.mark.django_db
def test_position_cost_p6_flat_amount_never_exceeds_a_short_contract(rules_of):
    rules = rules_of("6")

    # An EIG who leaves after 3 months: 6 069,62 × 3 = 18 208,86, below the 20 000 € flat.
    cost = position_cost(rules, rules.band_for_years(2), months=D("3"))

    assert (cost.total, cost.cofinancing, cost.remainder) == (
        D("18208.86"),
        D("18208.86"),
        D("0.00"),
    )


@pytest.mark.django_db
def test_position_cost_p7_full_time_in_both_bands_with_the_variable_part(rules_of):
    rules = rules_of("7")
    first, second = rules.bands

    # 4 250 × 1,06 = 4 505,00 ÷ 0,79 = 5 702,5316 → 5 702,53 × 1,37 = 7 812,4661 → 7 812,47
    # × 12 = 93 749,64, all paid by DINUM.
    assert _amounts(position_cost(rules, first)) == (
        D("4505.00"),
        D("5702.53"),
        D("7812.47"),
        D("93749.64"),
        D("93749.64"),
    )
    # 5 000 × 1,10 = 5 500,00 ÷ 0,79 = 6 962,0253 → 6 962,03 × 1,37 = 9 537,9811 → 9 537,98
    # × 12 = 114 455,76.
    assert _amounts(position_cost(rules, second)) == (
        D("5500.00"),
        D("6962.03"),
        D("9537.98"),
        D("114455.76"),
        D("114455.76"),
    )


@pytest.mark.django_db
def test_position_cost_p7_part_time_in_both_bands(rules_of):
    rules = rules_of("7")
    first, second = rules.bands

    # 4 250 × 0,8 × 1,06 = 3 604,00 ÷ 0,79 = 4 562,0253 → 4 562,03 × 1,37 = 6 249,9811
    # → 6 249,98 × 12 = 74 999,76.
    part_first = position_cost(rules, first, work_time=PART_TIME)
    assert _amounts(part_first) == (
        D("3604.00"),
        D("4562.03"),
        D("6249.98"),
        D("74999.76"),
        D("74999.76"),
    )
    assert part_first.work_time_label == "Temps partiel à 4/5"
    # 5 000 × 0,8 × 1,10 = 4 400,00 ÷ 0,79 = 5 569,6203 → 5 569,62 × 1,37 = 7 630,3794
    # → 7 630,38 × 12 = 91 564,56.
    assert _amounts(position_cost(rules, second, work_time=PART_TIME)) == (
        D("4400.00"),
        D("5569.62"),
        D("7630.38"),
        D("91564.56"),
        D("91564.56"),
    )


@pytest.mark.django_db
def test_rules_for_promotion_reads_the_preset(rules_of):
    rules = rules_of("7")

    assert (rules.kind, rules.contract_months, rules.allows_part_time) == (
        FULL,
        D("12.0"),
        True,
    )
    assert [(band.min_years, band.net_monthly, band.variable_rate) for band in rules.bands] == [
        (0, D("4250.00"), D("0.0600")),
        (10, D("5000.00"), D("0.1000")),
    ]
    assert (rules.employee_rate, rules.employer_rate) == (D("0.2100"), D("0.3700"))


@pytest.mark.django_db
def test_rules_for_promotion_is_none_until_configured():
    assert rules_for_promotion(PromotionFactory()) is None


@pytest.mark.django_db
def test_rules_for_promotion_is_none_without_a_grid():
    promotion = funded_promotion("4")
    promotion.salary_bands.all().delete()

    assert rules_for_promotion(promotion) is None


@pytest.mark.django_db
def test_rules_formula_of_p6_states_rates_duration_and_rule(rules_of):
    assert rules_of("6").formula() == [
        "Salaire net versé = salaire net mensuel de la tranche × quotité de travail "
        "× (1 + part variable, comptée au maximum).",
        f"Salaire brut = net versé ÷ (1 − 21{NBSP}% de cotisations salariales).",
        f"Coût employeur mensuel = brut × (1 + 37{NBSP}% de cotisations patronales).",
        "Coût total employeur = coût mensuel × 10 mois de contrat.",
        f"Co-financement : forfait de 20\u202f000,00{NBSP}€ par EIG, dans la limite de son coût.",
        "Chaque montant est arrondi au centime ; le suivant part du montant arrondi.",
    ]


def test_rules_cofinancing_sentence_for_each_kind():
    assert _rules(SHARE, share=D("0.7")).cofinancing_sentence() == (
        f"70{NBSP}% du coût total employeur."
    )
    assert _rules(MONTHS, months=D("5.5")).cofinancing_sentence() == (
        "coût employeur de 5,5 mois par EIG."
    )
    assert _rules(FULL).cofinancing_sentence() == (
        "la DINUM prend en charge l'intégralité du coût."
    )
    assert _rules(NONE).cofinancing_sentence() == (
        "aucun ; l'administration finance seule le recrutement."
    )


# --- Pure rules, by hand -------------------------------------------------------------------


def test_position_cost_of_hand_built_p3_rules():
    cost = position_cost(_rules(SHARE, share=D("0.70")), BAND_4000)

    assert _amounts(cost) == (
        D("4000.00"),
        D("5063.29"),
        D("6936.71"),
        D("69367.10"),
        D("48556.97"),
    )


def test_position_cost_of_hand_built_p5_rules_in_both_bands():
    rules = _rules(MONTHS, months=D("3"), bands=(BAND_3500, BAND_4000_SENIOR))

    assert [position_cost(rules, band).cofinancing for band in rules.bands] == [
        D("18208.86"),
        D("20810.13"),
    ]


def test_band_for_years_p5_boundary_is_after_five_years():
    rules = _rules(MONTHS, months=D("3"), bands=(BAND_3500, BAND_4000_SENIOR))

    assert rules.band_for_years(0) == BAND_3500
    assert rules.band_for_years(5) == BAND_3500
    assert rules.band_for_years(6) == BAND_4000_SENIOR
    assert rules.band_for_years(30) == BAND_4000_SENIOR


@pytest.mark.django_db
def test_band_for_years_p7_boundary_is_at_ten_years(rules_of):
    rules = rules_of("7")

    assert rules.band_for_years(9).label == "Seuil 1 : moins de 10 ans d'expérience"
    assert rules.band_for_years(10).label == "Seuil 2 : 10 ans d'expérience et plus"


def test_band_for_years_refuses_experience_below_the_grid():
    rules = _rules(NONE, bands=(BAND_4000_SENIOR,))

    with pytest.raises(ValueError, match="La grille salariale n'a pas de tranche"):
        rules.band_for_years(3)


def test_highest_band_and_band_by_pk():
    low = Band(label="Seuil 1", min_years=0, net_monthly=D("4250"), pk=11)
    high = Band(label="Seuil 2", min_years=10, net_monthly=D("5000"), pk=12)
    rules = _rules(FULL, bands=(high, low))

    assert rules.highest_band == high
    assert rules.band_by_pk(11) == low
    assert rules.band_by_pk(99) is None


def test_position_cost_refuses_part_time_where_the_frame_forbids_it():
    rules = _rules(FLAT, flat_amount=D("20000"), allows_part_time=False)

    with pytest.raises(ValueError, match="n'admet que le temps plein"):
        position_cost(rules, BAND_4000, work_time=PART_TIME)


def test_position_cost_without_cofinancing_is_zero():
    cost = position_cost(_rules(NONE), BAND_4000)

    assert (cost.total, cost.cofinancing, cost.remainder) == (
        D("69367.10"),
        D("0.00"),
        D("69367.10"),
    )


def test_position_cost_months_rule_is_capped_at_the_contract_months():
    rules = _rules(MONTHS, months=D("12"), contract_months="10")

    cost = position_cost(rules, BAND_4000)

    assert (cost.total, cost.cofinancing) == (D("69367.10"), D("69367.10"))


def test_position_cost_months_rule_is_capped_at_a_shorter_stay():
    rules = _rules(MONTHS, months=D("4"))

    cost = position_cost(rules, BAND_4000, months=D("2"))

    # 6 936,71 × 2 = 13 873,42, not 4 months.
    assert (cost.total, cost.cofinancing) == (D("13873.42"), D("13873.42"))


def test_simulate_totals_are_the_sums_of_the_lines():
    rules = _rules(MONTHS, months=D("3"), bands=(BAND_3500, BAND_4000_SENIOR))

    simulation = simulate(
        rules, [(BAND_3500, FULL_TIME), (BAND_4000_SENIOR, FULL_TIME), (BAND_3500, FULL_TIME)]
    )

    # 60 696,20 × 2 + 69 367,10 ; 18 208,86 × 2 + 20 810,13
    assert (simulation.total, simulation.cofinancing, simulation.remainder) == (
        D("190759.50"),
        D("57227.85"),
        D("133531.65"),
    )
    assert simulation.total == sum(p.total for p in simulation.positions)
    assert simulation.cofinancing == sum(p.cofinancing for p in simulation.positions)


def test_simulate_without_positions_is_zero():
    simulation = simulate(_rules(FULL), [])

    assert (simulation.total, simulation.cofinancing, simulation.remainder) == (
        D("0.00"),
        D("0.00"),
        D("0.00"),
    )


# --- Rounding ------------------------------------------------------------------------------


def test_position_cost_rounds_half_up_at_each_step():
    # 1 000,02 ÷ (1 − 0,20) = 1 250,025 exactly: half up gives 1 250,03 (half even, 1 250,02).
    rules = _rules(SHARE, share=D("0.5"), employee_rate=D("0.20"), employer_rate=D("0"))

    cost = position_cost(rules, Band("Test", 0, D("1000.02")), months=D("1"))

    # 1 250,03 × 0,5 = 625,015 → 625,02.
    assert (cost.gross_monthly, cost.total, cost.cofinancing) == (
        D("1250.03"),
        D("1250.03"),
        D("625.02"),
    )


def test_position_cost_computes_each_amount_from_the_rounded_one_before():
    cost = position_cost(_rules(NONE), BAND_4000)

    # Rounded only at the end, 4 000 ÷ 0,79 × 1,37 × 10 = 69 367,0886… would state 69 367,09;
    # the convention shows 6 936,71 a month, and 6 936,71 × 10 = 69 367,10 is what a reader
    # who redoes the sum finds.
    assert round_money(D("4000") / D("0.79") * D("1.37") * 10) == D("69367.09")
    assert cost.employer_monthly * 10 == cost.total == D("69367.10")


# --- Property -------------------------------------------------------------------------------

RATES = {"allow_nan": False, "allow_infinity": False, "places": 4}


@st.composite
def rules_and_band(draw):
    kind = draw(st.sampled_from([SHARE, MONTHS, FLAT, FULL, NONE]))
    rules = Rules(
        promotion="Promotion test",
        bands=(),
        employee_rate=draw(st.decimals(min_value=0, max_value=D("0.9"), **RATES)),
        employer_rate=draw(st.decimals(min_value=0, max_value=2, **RATES)),
        contract_months=draw(
            st.decimals(min_value=1, max_value=36, places=1, allow_nan=False, allow_infinity=False)
        ),
        kind=kind,
        share=draw(st.decimals(min_value=0, max_value=1, **RATES)),
        months=draw(
            st.decimals(
                min_value=D("0.5"), max_value=36, places=1, allow_nan=False, allow_infinity=False
            )
        ),
        flat_amount=draw(
            st.decimals(
                min_value=D("0.01"),
                max_value=200_000,
                places=2,
                allow_nan=False,
                allow_infinity=False,
            )
        ),
        allows_part_time=True,
    )
    band = Band(
        label="Tranche",
        min_years=0,
        net_monthly=draw(
            st.decimals(
                min_value=D("0.01"),
                max_value=20_000,
                places=2,
                allow_nan=False,
                allow_infinity=False,
            )
        ),
        variable_rate=draw(st.decimals(min_value=0, max_value=1, **RATES)),
    )
    return rules, band, draw(st.sampled_from([FULL_TIME, PART_TIME]))


@given(rules_and_band())
def test_position_cost_amounts_are_consistent_for_any_rules(case):
    rules, band, work_time = case

    cost = position_cost(rules, band, work_time=work_time)

    assert D("0") <= cost.cofinancing <= cost.total
    assert cost.total == round_money(cost.employer_monthly * rules.contract_months)
    amounts = _amounts(cost) + (cost.remainder,)
    assert [amount.as_tuple().exponent for amount in amounts] == [-2] * 6


# --- Who receives the co-financing ----------------------------------------------------------


@pytest.mark.django_db
def test_cofinancing_recipient_is_a_ministry_with_a_programme_itself():
    signatory = ministry(budget_programme="129")

    assert cofinancing_recipient(signatory) == signatory


@pytest.mark.django_db
def test_cofinancing_recipient_of_an_operator_is_its_ministry():
    parent = ministry(budget_programme="134")
    operator = operator_of(parent)

    assert cofinancing_recipient(operator) == parent


@pytest.mark.django_db
def test_cofinancing_recipient_of_an_operator_whose_ministry_has_no_programme_is_none():
    parent = ministry(budget_programme="")
    operator = operator_of(parent)

    assert cofinancing_recipient(operator) is None


@pytest.mark.django_db
def test_cofinancing_recipient_of_an_administration_without_parent_is_none():
    town_hall = AdministrationFactory(kind="collectivite", parent=None)

    assert cofinancing_recipient(town_hall) is None


@pytest.mark.django_db
def test_cofinancing_recipient_of_an_operator_with_its_own_programme_is_itself():
    operator = operator_of(ministry(), budget_programme="723")

    assert cofinancing_recipient(operator) == operator
