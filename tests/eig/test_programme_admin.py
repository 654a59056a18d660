from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse

from eig.programme.models import ContractFrame, FundingRule, Promotion, SalaryBand
from funding.models import Convention
from funding.services.preparation import convention_prepare
from tests.factories import (
    AgentFactory,
    PromotionFactory,
    StaffFactory,
    funded_promotion,
    ministry,
    selected_defi,
)

pytestmark = pytest.mark.django_db

ACTION = "apply_funding_preset"
# The user, the paginator's count and the changelist's total, the promotions joined to their
# rule, and the site's DSFR settings twice (context processor and template tag).
QUERIES_CHANGELIST = 6


@pytest.fixture
def staff(client):
    user = StaffFactory()
    client.force_login(user)
    return user


def _change_url(promotion):
    return reverse("admin:programme_promotion_change", args=[promotion.pk])


def _page(response) -> str:
    return unescape(response.content.decode())


def _band(index, label, min_years, net, variable="0"):
    prefix = f"salary_bands-{index}"
    return {
        f"{prefix}-id": "",
        f"{prefix}-promotion": "",
        f"{prefix}-label": label,
        f"{prefix}-min_years": str(min_years),
        f"{prefix}-net_monthly": net,
        f"{prefix}-variable_rate": variable,
    }


def _form(promotion, *, bands, rule=None):
    """The change form of a promotion without rules, as staff fill it: the grid `bands`, a
    10-month CDD and a 70 % rule, with `rule` overriding fields of the rule."""
    data = {
        "name": promotion.name,
        "code": promotion.code,
        "number": str(promotion.number),
        "year": str(promotion.year),
        "mission_start": "",
        "mission_end": "",
        "budget_envelope": "",
        "description": "",
        "salary_bands-TOTAL_FORMS": str(len(bands)),
        "salary_bands-INITIAL_FORMS": "0",
        "salary_bands-MIN_NUM_FORMS": "0",
        "salary_bands-MAX_NUM_FORMS": "1000",
        "contract_frame-TOTAL_FORMS": "1",
        "contract_frame-INITIAL_FORMS": "0",
        "contract_frame-MIN_NUM_FORMS": "0",
        "contract_frame-MAX_NUM_FORMS": "1",
        "contract_frame-0-id": "",
        "contract_frame-0-promotion": "",
        "contract_frame-0-kind": "cdd",
        "contract_frame-0-employer": "accueil",
        "contract_frame-0-duration_months": "10",
        "contract_frame-0-start_date": "2026-09-01",
        "contract_frame-0-end_date": "2027-06-30",
        "funding_rule-TOTAL_FORMS": "1",
        "funding_rule-INITIAL_FORMS": "0",
        "funding_rule-MIN_NUM_FORMS": "0",
        "funding_rule-MAX_NUM_FORMS": "1",
        "funding_rule-0-id": "",
        "funding_rule-0-promotion": "",
        "funding_rule-0-employee_rate": "0.21",
        "funding_rule-0-employer_rate": "0.37",
        "funding_rule-0-kind": "part",
        "funding_rule-0-share": "0.70",
        "funding_rule-0-months": "",
        "funding_rule-0-flat_amount": "",
        "funding_rule-0-convention_kind": "budgetaire",
        "funding_rule-0-source_programme": "352",
        "funding_rule-0-payment_terms": "Versement unique au second semestre.",
        "funding_rule-0-source": "",
    }
    for band in bands:
        data.update(band)
    data.update({f"funding_rule-0-{name}": value for name, value in (rule or {}).items()})
    return data


def test_promotion_admin_change_page_shows_the_inlines_and_the_formula(client, staff):
    promotion = funded_promotion("7")

    response = client.get(_change_url(promotion))

    assert response.status_code == 200
    page = _page(response)
    for prefix in ["salary_bands", "contract_frame", "funding_rule"]:
        assert f'name="{prefix}-TOTAL_FORMS"' in page
    assert "la DINUM prend en charge l'intégralité du coût." in page
    # P7, seuil 1 at full time: 4 250 × 1,06 = 4 505,00 → 5 702,53 → 7 812,47 → 93 749,64.
    assert "4\u202f505,00\u00a0€" in page
    assert "7\u202f812,47\u00a0€" in page
    assert "93\u202f749,64\u00a0€" in page
    # Its frame allows 4/5: a row per band and work time.
    assert page.count("Temps partiel à 4/5</td>") == 2


def test_promotion_admin_formula_waits_for_complete_rules(client, staff):
    promotion = PromotionFactory()

    response = client.get(_change_url(promotion))

    assert response.status_code == 200
    assert "La formule et les exemples s'affichent une fois enregistrés" in _page(response)


def test_promotion_admin_add_page_opens(client, staff):
    response = client.get(reverse("admin:programme_promotion_add"))

    assert response.status_code == 200


def test_promotion_admin_saves_a_valid_grid_frame_and_rule(client, staff):
    promotion = PromotionFactory()
    bands = [
        _band(0, "Jusqu'à 5 ans d'expérience inclus", 0, "3500.00"),
        _band(1, "Au-delà de 5 ans d'expérience", 6, "4000.00"),
    ]

    response = client.post(_change_url(promotion), _form(promotion, bands=bands))

    assert response.status_code == 302, _page(response)[:3000]
    assert list(promotion.salary_bands.values_list("min_years", "net_monthly")) == [
        (0, Decimal("3500.00")),
        (6, Decimal("4000.00")),
    ]
    frame = ContractFrame.objects.get(promotion=promotion)
    assert (frame.kind, frame.duration_months) == ("cdd", Decimal("10.0"))
    rule = FundingRule.objects.get(promotion=promotion)
    assert (rule.kind, rule.share) == ("part", Decimal("0.7000"))


def test_promotion_admin_refuses_a_grid_without_a_band_at_zero(client, staff):
    promotion = PromotionFactory()
    bands = [_band(0, "Confirmés", 2, "4000.00")]

    response = client.post(_change_url(promotion), _form(promotion, bands=bands))

    assert response.status_code == 200
    assert "La grille salariale doit comporter une tranche qui part de 0 an d'expérience." in _page(
        response
    )
    assert not SalaryBand.objects.filter(promotion=promotion).exists()
    assert not FundingRule.objects.filter(promotion=promotion).exists()


def test_promotion_admin_refuses_two_bands_at_the_same_threshold(client, staff):
    promotion = PromotionFactory()
    bands = [_band(0, "Tous", 0, "4000.00"), _band(1, "Aussi tous", 0, "4500.00")]

    response = client.post(_change_url(promotion), _form(promotion, bands=bands))

    assert response.status_code == 200
    assert not SalaryBand.objects.filter(promotion=promotion).exists()


def test_promotion_admin_refuses_a_share_rule_without_its_share(client, staff):
    promotion = PromotionFactory()
    bands = [_band(0, "Tous les EIG", 0, "4000.00")]

    response = client.post(
        _change_url(promotion), _form(promotion, bands=bands, rule={"share": ""})
    )

    assert response.status_code == 200
    assert "Indiquez la part prise en charge (0,70 pour 70 %)." in _page(response)
    assert not FundingRule.objects.filter(promotion=promotion).exists()


@pytest.mark.parametrize(
    ("kind", "field", "message"),
    [
        ("mois", "months", "Indiquez le nombre de mois financés."),
        ("forfait", "flat_amount", "Indiquez le forfait par EIG."),
    ],
)
def test_promotion_admin_requires_the_parameter_of_the_rule(client, staff, kind, field, message):
    promotion = PromotionFactory()
    bands = [_band(0, "Tous les EIG", 0, "4000.00")]

    response = client.post(
        _change_url(promotion),
        _form(promotion, bands=bands, rule={"kind": kind, "share": "", field: ""}),
    )

    assert response.status_code == 200
    assert message in _page(response)


def test_promotion_admin_empties_the_parameters_of_other_rules(client, staff):
    promotion = PromotionFactory()
    bands = [_band(0, "Tous les EIG", 0, "4000.00")]

    response = client.post(
        _change_url(promotion),
        _form(
            promotion,
            bands=bands,
            rule={"kind": "forfait", "share": "0.70", "months": "4", "flat_amount": "20000"},
        ),
    )

    assert response.status_code == 302, _page(response)[:3000]
    rule = FundingRule.objects.get(promotion=promotion)
    assert (rule.kind, rule.share, rule.months, rule.flat_amount) == (
        "forfait",
        None,
        None,
        Decimal("20000.00"),
    )


def _apply(client, promotions, **extra):
    return client.post(
        reverse("admin:programme_promotion_changelist"),
        {"action": ACTION, "_selected_action": [p.pk for p in promotions], **extra},
    )


def test_promotion_admin_preset_action_asks_which_rules(client, staff):
    promotion = PromotionFactory()

    response = _apply(client, [promotion])

    assert response.status_code == 200
    page = _page(response)
    assert "Promotion 6 (2022) : forfait de 20 000 € par EIG (programme 352)" in page
    assert f'name="_selected_action" value="{promotion.pk}"' in page
    assert not FundingRule.objects.filter(promotion=promotion).exists()


def test_promotion_admin_preset_action_applies_the_rules_of_p6(client, staff):
    promotion = PromotionFactory()

    response = _apply(client, [promotion], apply="Appliquer ces règles", preset="6")

    assert response.status_code == 302
    rule = FundingRule.objects.get(promotion=promotion)
    assert (rule.kind, rule.flat_amount, rule.convention_kind) == (
        "forfait",
        Decimal("20000.00"),
        "budgetaire",
    )
    assert list(promotion.salary_bands.values_list("min_years", "net_monthly")) == [
        (0, Decimal("3500.00")),
        (6, Decimal("4000.00")),
    ]
    assert promotion.contract_frame.duration_months == Decimal("10.0")
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == [
        f"{promotion} : règles appliquées (Promotion 6 (2022) : forfait de 20 000 € par EIG "
        "(programme 352)). Vérifiez les taux de cotisations, qui sont des hypothèses."
    ]


def test_promotion_admin_preset_action_refuses_an_unknown_preset(client, staff):
    promotion = PromotionFactory()

    response = _apply(client, [promotion], apply="Appliquer ces règles", preset="9")

    assert response.status_code == 200
    assert "Choisissez les règles d'une promotion de la liste." in _page(response)
    assert not FundingRule.objects.filter(promotion=promotion).exists()


def test_promotion_admin_preset_action_shows_the_refusal_once_conventions_exist(client, staff):
    promotion = funded_promotion("6")
    signatory = ministry()
    selected_defi(promotion, signatory)
    convention_prepare(promotion=promotion, administration=signatory, actor=staff)
    other = PromotionFactory()

    response = _apply(client, [promotion, other], apply="Appliquer ces règles", preset="5")

    assert response.status_code == 302
    response = client.get(response.url)
    page = _page(response)
    assert (
        f"{promotion} : Des conventions existent déjà pour cette promotion : modifiez ses "
        "règles une à une dans l'administration, et les conventions par avenant."
    ) in page
    assert Convention.objects.filter(promotion=promotion).count() == 1
    assert FundingRule.objects.get(promotion=promotion).kind == "forfait"
    # The other promotion of the selection still gets the rules.
    assert FundingRule.objects.get(promotion=other).kind == "mois"


def test_promotion_admin_is_refused_to_non_staff(client):
    client.force_login(AgentFactory())
    url = reverse("admin:programme_promotion_changelist")

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('admin:login')}?next={url}"


@pytest.mark.parametrize("rows", [1, 3])
def test_promotion_admin_changelist_query_count(client, staff, django_assert_num_queries, rows):
    for index in range(rows):
        funded_promotion(str(3 + index))
    assert Promotion.objects.count() == rows

    with django_assert_num_queries(QUERIES_CHANGELIST):
        response = client.get(reverse("admin:programme_promotion_changelist"))

    assert response.status_code == 200
    assert "Part du coût total employeur" in _page(response)


def _saved_form(promotion):
    """The change form of a promotion as the page shows it, with its saved rows."""
    data = {
        "name": promotion.name,
        "code": promotion.code,
        "number": str(promotion.number),
        "year": str(promotion.year),
        "salary_bands-TOTAL_FORMS": str(promotion.salary_bands.count()),
        "salary_bands-INITIAL_FORMS": str(promotion.salary_bands.count()),
        "contract_frame-TOTAL_FORMS": "1",
        "contract_frame-INITIAL_FORMS": "1",
        "funding_rule-TOTAL_FORMS": "1",
        "funding_rule-INITIAL_FORMS": "1",
    }
    for index, band in enumerate(promotion.salary_bands.order_by("min_years")):
        data.update(
            {
                f"salary_bands-{index}-id": str(band.pk),
                f"salary_bands-{index}-promotion": str(promotion.pk),
                f"salary_bands-{index}-label": band.label,
                f"salary_bands-{index}-min_years": str(band.min_years),
                f"salary_bands-{index}-net_monthly": str(band.net_monthly),
                f"salary_bands-{index}-variable_rate": str(band.variable_rate),
            }
        )
    frame, rule = promotion.contract_frame, promotion.funding_rule
    for prefix, instance, names in [
        ("contract_frame-0", frame, ["kind", "employer", "duration_months"]),
        (
            "funding_rule-0",
            rule,
            ["employee_rate", "employer_rate", "kind", "convention_kind", "source_programme"],
        ),
    ]:
        data[f"{prefix}-id"] = str(instance.pk)
        data[f"{prefix}-promotion"] = str(promotion.pk)
        data.update({f"{prefix}-{name}": str(getattr(instance, name)) for name in names})
    data["funding_rule-0-flat_amount"] = str(rule.flat_amount or "")
    return data


def test_promotion_admin_edits_a_saved_band(client, staff):
    promotion = funded_promotion("6")
    data = _saved_form(promotion)
    data["salary_bands-1-net_monthly"] = "4100.00"

    response = client.post(_change_url(promotion), data)

    assert response.status_code == 302, _page(response)[:3000]
    assert list(promotion.salary_bands.values_list("min_years", "net_monthly")) == [
        (0, Decimal("3500.00")),
        (6, Decimal("4100.00")),
    ]


def test_promotion_admin_refuses_to_delete_a_band_a_convention_uses(client, staff):
    promotion = funded_promotion("6")
    signatory = ministry()
    selected_defi(promotion, signatory)
    convention_prepare(promotion=promotion, administration=signatory, actor=staff)
    data = _saved_form(promotion)
    # Lines start in the highest band: removing it would leave them without a salary.
    data["salary_bands-1-DELETE"] = "on"

    response = client.post(_change_url(promotion), data)

    assert response.status_code == 200
    assert "provoquerait la suppression des objets liés et protégés suivants" in _page(response)
    assert promotion.salary_bands.count() == 2
