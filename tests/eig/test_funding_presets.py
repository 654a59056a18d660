from decimal import Decimal

import pytest
from django.core.management import call_command

from eig.exceptions import DomainError
from eig.programme.models import FundingRule, Promotion, SalaryBand
from eig.programme.presets import funding_preset_choices, promotion_apply_funding_preset
from funding.services.preparation import convention_prepare
from projects.management.commands.load_reference import default_reference_dir
from tests.factories import StaffFactory, funded_promotion, ministry, selected_defi
from tests.services import require

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def reference_dir():
    folder = default_reference_dir()
    require(folder.is_dir(), f"données de référence absentes ({folder})")
    return folder


def _rule(code):
    rule = FundingRule.objects.get(promotion__code=code)
    return (rule.kind, rule.share, rule.months, rule.flat_amount, rule.convention_kind)


def _bands(code):
    promotion = Promotion.objects.get(code=code)
    return list(promotion.salary_bands.values_list("min_years", "net_monthly", "variable_rate"))


def _frame(code):
    frame = Promotion.objects.get(code=code).contract_frame
    return (frame.kind, frame.employer, frame.duration_months, frame.renewable)


def test_load_reference_gives_promotions_3_to_7_their_funding_rules(reference_dir):
    call_command("load_reference", path=reference_dir)

    # reference/eig/programme_rules.json, "cofinancing" and "salary_grid".
    assert _rule("3") == ("part", D("0.7000"), None, None, "budgetaire")
    assert _rule("4") == ("mois", None, D("4.0"), None, "budgetaire")
    assert _rule("5") == ("mois", None, D("3.0"), None, "budgetaire")
    assert _rule("6") == ("forfait", None, None, D("20000.00"), "budgetaire")
    assert _rule("7") == ("integral", None, None, None, "partenariat")
    for code in ["3", "4"]:
        assert _bands(code) == [(0, D("4000.00"), D("0.0000"))]
    for code in ["5", "6"]:
        assert _bands(code) == [(0, D("3500.00"), D("0.0000")), (6, D("4000.00"), D("0.0000"))]
    assert _bands("7") == [(0, D("4250.00"), D("0.0600")), (10, D("5000.00"), D("0.1000"))]
    for code in ["3", "4", "5", "6"]:
        assert _frame(code) == ("cdd", "accueil", D("10.0"), False)
    assert _frame("7") == ("projet", "dinum", D("12.0"), True)
    assert Promotion.objects.get(code="7").contract_frame.allows_part_time is True
    # Promotions 1 and 2 were financed by the PIA outside any per-EIG rule: no preset.
    assert list(
        Promotion.objects.filter(funding_rule__isnull=False)
        .order_by("code")
        .values_list("code", flat=True)
    ) == ["3", "4", "5", "6", "7"]


def test_load_reference_keeps_a_staff_edit_of_a_rate(reference_dir):
    call_command("load_reference", path=reference_dir)
    FundingRule.objects.filter(promotion__code="4").update(employer_rate=D("0.42"))

    call_command("load_reference", path=reference_dir)

    assert FundingRule.objects.get(promotion__code="4").employer_rate == D("0.4200")
    assert FundingRule.objects.get(promotion__code="5").employer_rate == D("0.3700")


def test_funding_preset_choices_name_promotions_3_to_7():
    assert [key for key, _ in funding_preset_choices()] == ["3", "4", "5", "6", "7"]


def test_apply_funding_preset_refuses_an_unknown_preset():
    promotion = funded_promotion("6")

    with pytest.raises(DomainError) as raised:
        promotion_apply_funding_preset(promotion=promotion, key="9")

    assert raised.value.message == "Règles inconnues : 9."


def test_apply_funding_preset_is_refused_once_a_convention_exists():
    promotion = funded_promotion("6")
    signatory = ministry()
    selected_defi(promotion, signatory)
    convention_prepare(promotion=promotion, administration=signatory, actor=StaffFactory())

    with pytest.raises(DomainError) as raised:
        promotion_apply_funding_preset(promotion=promotion, key="5")

    assert raised.value.code == "preset_after_conventions"
    assert _rule(promotion.code) == ("forfait", None, None, D("20000.00"), "budgetaire")


def test_apply_funding_preset_replaces_the_rule_and_empties_the_other_parameters():
    promotion = funded_promotion("3")

    promotion_apply_funding_preset(promotion=promotion, key="6")

    assert _rule(promotion.code) == ("forfait", None, None, D("20000.00"), "budgetaire")


def test_apply_funding_preset_resets_the_rates_to_the_hypotheses():
    promotion = funded_promotion("5")
    FundingRule.objects.filter(promotion=promotion).update(employee_rate=D("0.22"))

    promotion_apply_funding_preset(promotion=promotion, key="5")

    assert FundingRule.objects.get(promotion=promotion).employee_rate == D("0.2100")


def test_apply_funding_preset_keeps_the_bands_whose_threshold_stays():
    promotion = funded_promotion("5")
    junior, senior = promotion.salary_bands.order_by("min_years")
    position = selected_defi(promotion, ministry()).positions.get(rank=1)
    position.salary_band = senior
    position.save(update_fields=["salary_band"])

    # P6 has the same thresholds (0 and 6 years): both rows stay, the position keeps its band.
    promotion_apply_funding_preset(promotion=promotion, key="6")

    assert list(promotion.salary_bands.order_by("min_years").values_list("pk", flat=True)) == [
        junior.pk,
        senior.pk,
    ]
    position.refresh_from_db()
    assert position.salary_band_id == senior.pk

    # P7 starts its second band at 10 years: the 6-year row goes, and the position with it.
    promotion_apply_funding_preset(promotion=promotion, key="7")

    bands = list(promotion.salary_bands.order_by("min_years"))
    assert [(band.min_years, band.net_monthly) for band in bands] == [
        (0, D("4250.00")),
        (10, D("5000.00")),
    ]
    assert bands[0].pk == junior.pk
    assert not SalaryBand.objects.filter(pk=senior.pk).exists()
    position.refresh_from_db()
    assert position.salary_band_id is None
