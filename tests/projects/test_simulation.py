"""The financial simulation of a défi's positions: the selector's amounts under real
promotion rules, the positions step that stores its hypotheses, the fragment the live
recompute fetches, and the pages that show it.

Amounts computed by hand with the default rates (salarial 21 %, patronal 37 %):
P6 band 1: 3 500 → gross 4 430,38 → employer 6 069,62 → 10 months 60 696,20;
P6 band 2: 4 000 → 5 063,29 → 6 936,71 → 69 367,10; flat co-financing 20 000 each.
P7 band 1 at 4/5: 4 250 × 0,8 × 1,06 = 3 604,00 → 3 604 ÷ 0,79 = 4 562,03
→ × 1,37 = 6 249,98 → × 12 = 74 999,76, all paid by DINUM.
"""

import html
from decimal import Decimal

import pytest
from django.urls import reverse

from eig.exceptions import DomainError
from eig.programme.models import FundingRule, SalaryBand, WorkTime
from eig.programme.money import format_euros
from eig.programme.selectors import rules_for_promotion
from projects import services
from projects.forms import band_choice_label
from projects.models import DefiPosition
from projects.selectors.defis import get_defi_for_user
from projects.selectors.simulation import defi_simulation
from tests.factories import (
    AdministrationFactory,
    AgentFactory,
    DefiFactory,
    ProjectCallFactory,
    PromotionFactory,
    StaffFactory,
    funded_promotion,
    ministry,
    operator_of,
)

pytestmark = pytest.mark.django_db

D = Decimal
SPECIALTIES = ["developpement", "data_science", "design"]


def _text(response):
    return html.unescape(response.content.decode())


def _defi(preset="6", positions=(), *, administration=None, **kwargs):
    """A draft défi in an open call of a promotion under preset `preset` (None: no rules),
    with `positions` given as (band index in the grid or None, work time)."""
    promotion = funded_promotion(preset) if preset else PromotionFactory()
    owner = AgentFactory(administration=administration or ministry())
    defi = DefiFactory(call=ProjectCallFactory(promotion=promotion), owner=owner, **kwargs)
    bands = list(promotion.salary_bands.order_by("min_years"))
    for rank, (band, work_time) in enumerate(positions, start=1):
        DefiPosition.objects.create(
            defi=defi,
            rank=rank,
            specialty=SPECIALTIES[rank - 1],
            missions="Construire le service.",
            salary_band=None if band is None else bands[band],
            work_time=work_time,
        )
    return defi


def _bands(defi):
    return list(defi.call.promotion.salary_bands.order_by("min_years"))


def _positions_post(*positions, **extra):
    """The positions step's POST: each position is (specialty, band pk or "", work time or
    None to leave the field out)."""
    data = {
        "profils-TOTAL_FORMS": "3",
        "profils-INITIAL_FORMS": "0",
        "profils-MIN_NUM_FORMS": "3",
        "profils-MAX_NUM_FORMS": "3",
    }
    for index in range(3):
        specialty, band, work_time = positions[index] if index < len(positions) else ("", "", None)
        data[f"profils-{index}-specialty"] = specialty
        data[f"profils-{index}-missions"] = "Construire le service." if specialty else ""
        data[f"profils-{index}-skills"] = ""
        data[f"profils-{index}-salary_band"] = band
        if work_time is not None:
            data[f"profils-{index}-work_time"] = work_time
    data.update(extra)
    return data


# --- The selector ----------------------------------------------------------------------------


def test_simulation_p6_two_bands_amounts():
    defi = _defi("6", [(0, 100), (1, 100)])

    simulation = defi_simulation(defi)

    first, second = simulation.lines
    assert [first.rank, first.specialty, first.assumed] == [1, "Développement", False]
    assert [first.cost.net_monthly, first.cost.gross_monthly, first.cost.employer_monthly] == [
        D("3500.00"),
        D("4430.38"),
        D("6069.62"),
    ]
    assert [first.cost.total, first.cost.cofinancing, first.cost.remainder] == [
        D("60696.20"),
        D("20000.00"),
        D("40696.20"),
    ]
    assert [second.cost.total, second.cost.cofinancing, second.cost.remainder] == [
        D("69367.10"),
        D("20000.00"),
        D("49367.10"),
    ]
    assert [simulation.total, simulation.cofinancing, simulation.remainder] == [
        D("130063.30"),
        D("40000.00"),
        D("90063.30"),
    ]
    assert simulation.months_label == "10"
    assert simulation.transfers_credits


def test_simulation_p7_part_time_amounts():
    defi = _defi("7", [(0, 80)])

    line = defi_simulation(defi).lines[0]

    assert line.cost.work_time == D("0.8")
    assert [
        line.cost.net_monthly,
        line.cost.gross_monthly,
        line.cost.employer_monthly,
        line.cost.total,
        line.cost.cofinancing,
        line.cost.remainder,
    ] == [D("3604.00"), D("4562.03"), D("6249.98"), D("74999.76"), D("74999.76"), D("0.00")]
    assert line.cost.work_time_label == "Temps partiel à 4/5"


def test_simulation_unknown_band_takes_highest_band_as_hypothesis():
    defi = _defi("6", [(None, 100)])

    saved = defi_simulation(defi)
    unsaved = defi_simulation(defi, [(987654, 100, "design"), (_bands(defi)[0].pk, 100, "design")])

    assert saved.lines[0].assumed
    assert saved.lines[0].cost.band.net_monthly == D("4000.00")
    assert saved.lines[0].cost.total == D("69367.10")
    assert saved.assumes_highest_band
    assert [line.assumed for line in unsaved.lines] == [True, False]
    assert [line.cost.total for line in unsaved.lines] == [D("69367.10"), D("60696.20")]


def test_simulation_part_time_counts_full_time_where_frame_forbids_it():
    defi = _defi("6", [(0, 100)])

    simulation = defi_simulation(defi, [(_bands(defi)[0].pk, 80, "design"), (None, "x", "design")])

    assert [line.cost.work_time for line in simulation.lines] == [D("1"), D("1")]
    assert simulation.lines[0].cost.total == D("60696.20")


def test_simulation_none_without_rules():
    defi = _defi(None)

    assert defi_simulation(defi) is None


def test_simulation_selector_query_count_constant(django_assert_num_queries):
    saved = _defi("6", [(0, 100), (1, 100), (None, 100)])
    defi = get_defi_for_user(saved.owner, saved.pk)  # the défi as every page loads it

    # rules_for_promotion: funding rule, contract frame, salary bands; the administration is
    # a ministry with its own programme, so its parent is not read.
    with django_assert_num_queries(3):
        simulation = defi_simulation(defi)

    assert len(simulation.lines) == 3


# --- The pages ------------------------------------------------------------------------------


def test_defi_detail_shows_simulation_rule_and_formula(client):
    defi = _defi("6", [(0, 100), (1, 100)])
    client.force_login(defi.owner)

    content = _text(client.get(reverse("projects:defi_detail", args=[defi.pk])))

    for amount in ["60696.20", "69367.10", "20000.00", "40696.20", "49367.10", "90063.30"]:
        assert format_euros(D(amount)) in content
    assert "Coût total employeur (10 mois)" in content
    assert "Comment ce montant est calculé" in content
    assert "forfait de 20\u202f000,00\u00a0€ par EIG, dans la limite de son coût." in content
    assert "Salaire brut = net versé ÷ (1 − 21\u00a0% de cotisations salariales)." in content
    assert 'aria-live="polite"' in content
    assert (
        f"seraient versés à l’administration elle-même ({defi.administration}), "
        "sur son programme 129"
    ) in content


def test_simulation_names_the_ministry_that_receives_credits(client):
    parent = ministry(name="Ministère de la Culture", budget_programme="175")
    defi = _defi("6", [(0, 100)], administration=operator_of(parent, name="Musée national"))
    client.force_login(defi.owner)

    content = _text(client.get(reverse("projects:defi_detail", args=[defi.pk])))

    assert (
        "que l’administration (Musée national) n’a pas : les crédits de la DINUM seraient versés "
        "à son ministère (Ministère de la Culture, programme 175)."
    ) in content


def test_simulation_without_budget_programme_says_self_funding(client):
    administration = AdministrationFactory(kind="operateur", name="Agence sans programme")
    defi = _defi("6", [(0, 100)], administration=administration)
    client.force_login(defi.owner)

    content = _text(client.get(reverse("projects:defi_detail", args=[defi.pk])))

    assert "Ni l’Agence sans programme ni son ministère de rattachement n’en ont" in content
    assert "autofinancement ou un partenariat avec un ministère" in content


def test_simulation_notes_defi_without_cofinancing_request(client):
    defi = _defi("6", [(0, 100)], requests_cofinancing=False)
    client.force_login(defi.owner)

    content = _text(client.get(reverse("projects:defi_preview", args=[defi.pk])))

    assert "Le défi indique ne pas demander le co-financement de la DINUM" in content
    assert format_euros(D("60696.20")) in content


def test_simulation_p7_says_no_credit_transfer(client):
    defi = _defi("7", [(0, 80)])
    client.force_login(defi.owner)

    content = _text(client.get(reverse("projects:defi_detail", args=[defi.pk])))

    assert "aucun crédit n’est transféré à l’administration" in content
    assert "programme budgétaire" not in content
    assert format_euros(D("74999.76")) in content
    assert "Coût total employeur (12 mois)" in content


def test_simulation_rule_without_cofinancing_leaves_everything_to_the_administration(client):
    defi = _defi("6", [(0, 100)])
    FundingRule.objects.filter(promotion=defi.call.promotion).update(
        kind=FundingRule.Kind.NONE, flat_amount=None
    )
    client.force_login(StaffFactory())

    response = client.get(reverse("projects:defi_detail", args=[defi.pk]))

    simulation = response.context["simulation"]
    assert [simulation.cofinancing, simulation.remainder] == [D("0.00"), D("60696.20")]
    content = _text(response)
    assert "aucun ; l'administration finance seule le recrutement." in content
    assert "programme budgétaire" not in content


def test_simulation_without_rules_says_not_published(client):
    defi = _defi(None, [])
    client.force_login(defi.owner)

    for view, args in [
        ("defi_detail", [defi.pk]),
        ("defi_preview", [defi.pk]),
        ("defi_section", [defi.pk, "profils"]),
    ]:
        response = client.get(reverse(f"projects:{view}", args=args))
        assert response.status_code == 200
        assert "Le programme n’a pas encore publié ses règles de financement" in _text(response)
    section = _text(client.get(reverse("projects:defi_section", args=[defi.pk, "profils"])))
    assert "salary_band" not in section
    assert "work_time" not in section


def test_positions_step_lists_bands_with_net_salary():
    defi = _defi("6")

    labels = [band_choice_label(b) for b in rules_for_promotion(defi.call.promotion).bands]

    assert labels == [
        "Jusqu'à 5 ans d'expérience inclus — 3\u202f500\u00a0€ nets/mois",
        "Au-delà de 5 ans d'expérience — 4\u202f000\u00a0€ nets/mois",
    ]


def test_positions_step_shows_band_choices_and_part_time_only_where_allowed(client):
    p6 = _defi("6")
    p7 = _defi("7")

    client.force_login(p6.owner)
    p6_page = _text(client.get(reverse("projects:defi_section", args=[p6.pk, "profils"])))
    client.force_login(p7.owner)
    p7_page = _text(client.get(reverse("projects:defi_section", args=[p7.pk, "profils"])))

    assert "Expérience visée" in p6_page
    assert "Je ne sais pas encore (hypothèse haute)" in p6_page
    assert "Jusqu'à 5 ans d'expérience inclus — 3\u202f500\u00a0€ nets/mois" in p6_page
    assert "Quotité de travail" not in p6_page
    assert 'name="profils-0-work_time"' not in p6_page
    assert "Quotité de travail" in p7_page
    assert (
        "Seuil 1 : moins de 10 ans d'expérience — 4\u202f250\u00a0€ nets/mois + 6\u00a0% de part"
        in (p7_page)
    )
    assert "js/simulation.js" in p6_page
    assert f'data-simulation-url="{reverse("projects:defi_simulation", args=[p6.pk])}"' in p6_page


# --- Saving the positions step ---------------------------------------------------------------


def test_positions_step_stores_band_and_work_time(client):
    defi = _defi("7")
    first, second = _bands(defi)
    client.force_login(defi.owner)

    response = client.post(
        reverse("projects:defi_section", args=[defi.pk, "profils"]),
        _positions_post(("developpement", str(first.pk), "80"), ("design", "", "100"), save="1"),
    )

    assert response.status_code == 302
    assert list(defi.positions.values_list("rank", "specialty", "salary_band", "work_time")) == [
        (1, "developpement", first.pk, WorkTime.PART),
        (2, "design", None, WorkTime.FULL),
    ]
    page = _text(client.get(response.url))
    assert format_euros(D("74999.76")) in page  # EIG 1 at 4/5, recomputed on saving


def test_positions_step_refuses_band_of_another_promotion(client):
    defi = _defi("6")
    other = _bands(_defi("5"))[0]
    client.force_login(defi.owner)

    response = client.post(
        reverse("projects:defi_section", args=[defi.pk, "profils"]),
        _positions_post(("developpement", str(other.pk), None), save="1"),
    )

    assert response.status_code == 200
    content = _text(response)
    assert (
        f"Cette tranche n'est pas dans la grille salariale de « {defi.call.promotion} » : "
        "choisissez-en une de la liste."
    ) in content
    assert "La section n'est pas enregistrée" in content
    assert not defi.positions.exists()
    # The panel still simulates what was typed, at the high hypothesis.
    assert "tranche d'expérience inconnue, la simulation retient l'hypothèse haute" in content


def test_positions_step_refuses_posted_part_time_where_not_allowed(client):
    defi = _defi("6")
    band = _bands(defi)[0]
    client.force_login(defi.owner)

    response = client.post(
        reverse("projects:defi_section", args=[defi.pk, "profils"]),
        _positions_post(("developpement", str(band.pk), "80"), save="1"),
    )

    assert response.status_code == 200
    assert (
        f"« {defi.call.promotion} » recrute ses EIG à temps plein : le temps partiel n'est pas "
        "possible."
    ) in _text(response)
    assert not defi.positions.exists()


def test_positions_step_without_rules_saves_positions_only(client):
    defi = _defi(None)
    client.force_login(defi.owner)

    response = client.post(
        reverse("projects:defi_section", args=[defi.pk, "profils"]),
        _positions_post(("developpement", "123", "80"), save="1"),
    )

    assert response.status_code == 302
    assert list(defi.positions.values_list("specialty", "salary_band", "work_time")) == [
        ("developpement", None, WorkTime.FULL)
    ]


def test_set_positions_service_refuses_foreign_band_and_forbidden_part_time():
    defi = _defi("6")
    foreign = SalaryBand.objects.filter(promotion=_defi("5").call.promotion).first()
    own = _bands(defi)[0]

    with pytest.raises(DomainError) as foreign_error:
        services.defi_set_positions(
            defi=defi,
            actor=defi.owner,
            positions=[{"specialty": "design", "salary_band": foreign.pk}],
        )
    with pytest.raises(DomainError) as part_time_error:
        services.defi_set_positions(
            defi=defi,
            actor=defi.owner,
            positions=[{"specialty": "design", "salary_band": own.pk, "work_time": 80}],
        )

    assert foreign_error.value.code == "band_promotion"
    assert part_time_error.value.code == "full_time"
    assert not defi.positions.exists()


# --- The fragment of the live recompute -------------------------------------------------------


def _fragment_user(kind, defi):
    if kind == "owner":
        return defi.owner
    if kind == "collaborator":
        person = AgentFactory(administration=defi.administration)
        defi.collaborators.add(person)
        return person
    if kind == "colleague":
        return AgentFactory(administration=defi.administration)
    if kind == "staff":
        return StaffFactory()
    return None


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("owner", 200), ("collaborator", 200), ("colleague", 404), ("staff", 200)],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_simulation_fragment_permissions(client, kind, expected, method):
    defi = _defi("6", [(0, 100)])
    client.force_login(_fragment_user(kind, defi))
    url = reverse("projects:defi_simulation", args=[defi.pk])

    response = getattr(client, method)(url, _positions_post(("design", "", None)))

    assert response.status_code == expected


@pytest.mark.parametrize("method", ["get", "post"])
def test_simulation_fragment_anonymous_goes_to_login(client, method):
    defi = _defi("6", [(0, 100)])

    response = getattr(client, method)(reverse("projects:defi_simulation", args=[defi.pk]))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_simulation_fragment_simulates_unsaved_positions_without_saving(client):
    defi = _defi("6", [(0, 100), (0, 100)])
    first, second = _bands(defi)
    client.force_login(defi.owner)

    response = client.post(
        reverse("projects:defi_simulation", args=[defi.pk]),
        _positions_post(("developpement", str(first.pk), None), ("design", str(second.pk), None)),
    )

    content = _text(response)
    assert response.status_code == 200
    assert "<html" not in content  # the panel's content only
    assert 'id="simulation"' not in content
    assert format_euros(D("69367.10")) in content  # EIG 2 now in band 2
    assert format_euros(D("90063.30")) in content
    assert list(defi.positions.values_list("salary_band", flat=True)) == [first.pk, first.pk]


def test_simulation_fragment_without_data_simulates_saved_positions(client):
    defi = _defi("6", [(1, 100)])
    client.force_login(StaffFactory())

    content = _text(client.get(reverse("projects:defi_simulation", args=[defi.pk])))

    assert format_euros(D("49367.10")) in content


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            _positions_post(("developpement", "999999", None)),
            "EIG 1 : tranche d'expérience inconnue, la simulation retient l'hypothèse haute.",
        ),
        (
            _positions_post(("developpement", "pas-un-nombre", None)),
            "EIG 1 : tranche d'expérience inconnue, la simulation retient l'hypothèse haute.",
        ),
        (
            _positions_post(("developpement", "", "quatre-cinquièmes")),
            "EIG 1 : quotité de travail non reconnue, la simulation retient le temps plein.",
        ),
        (
            _positions_post(**{"profils-TOTAL_FORMS": "beaucoup"}),
            "Les profils envoyés sont illisibles : rechargez la page.",
        ),
        (
            {"profils-0-specialty": "developpement"},
            "Les profils envoyés sont illisibles : rechargez la page.",
        ),
        (
            _positions_post(
                ("developpement", "", None),
                **{"profils-TOTAL_FORMS": "5", "profils-4-specialty": "design"},
            ),
            "Un défi accueille au plus 3 EIG : seuls les premiers comptent.",
        ),
    ],
)
def test_simulation_fragment_junk_input_is_explained(client, data, message):
    defi = _defi("6", [(0, 100)])
    client.force_login(defi.owner)

    response = client.post(reverse("projects:defi_simulation", args=[defi.pk]), data)

    assert response.status_code == 200
    assert message in _text(response)


def test_simulation_fragment_junk_specialty_is_left_out(client):
    defi = _defi("6", [(0, 100)])
    client.force_login(defi.owner)

    response = client.post(
        reverse("projects:defi_simulation", args=[defi.pk]),
        _positions_post(("astronaute", "", None), ("design", "", None)),
    )

    content = _text(response)
    assert response.status_code == 200
    assert "EIG 1" in content and "EIG 2" not in content
    assert "Design" in content


def test_simulation_fragment_part_time_posted_where_not_allowed(client):
    defi = _defi("6", [(0, 100)])
    band = _bands(defi)[0]
    client.force_login(defi.owner)

    response = client.post(
        reverse("projects:defi_simulation", args=[defi.pk]),
        _positions_post(("developpement", str(band.pk), "80")),
    )

    content = _text(response)
    assert "EIG 1 : quotité de travail non reconnue, la simulation retient le temps plein." in (
        content
    )
    assert format_euros(D("60696.20")) in content


def test_simulation_fragment_without_rules(client):
    defi = _defi(None)
    client.force_login(defi.owner)

    response = client.post(
        reverse("projects:defi_simulation", args=[defi.pk]),
        _positions_post(("developpement", "1", "80")),
    )

    assert response.status_code == 200
    assert "Le programme n’a pas encore publié ses règles de financement" in _text(response)


# --- Query counts -----------------------------------------------------------------------------

# user, défi with its promotion, positions, collaborators (get_defi_for_user), the
# promotion's funding rule, contract frame and salary bands (rules_for_promotion), then
# django-dsfr's site configuration, which its context processor reads twice per render.
QUERIES_SIMULATION_FRAGMENT = 9
# The défi page's 10 (see tests/projects/test_queries.py) with the frame and the bands.
QUERIES_DEFI_DETAIL_WITH_RULES = 12


@pytest.mark.parametrize("rows", [1, 3])
def test_simulation_fragment_query_count(client, django_assert_num_queries, rows):
    defi = _defi("6", [(0, 100)] * rows)
    band = _bands(defi)[1]
    client.force_login(defi.owner)
    data = _positions_post(*[(SPECIALTIES[i], str(band.pk), None) for i in range(rows)])

    with django_assert_num_queries(QUERIES_SIMULATION_FRAGMENT):
        response = client.post(reverse("projects:defi_simulation", args=[defi.pk]), data)

    assert len(response.context["simulation"].lines) == rows


@pytest.mark.parametrize("rows", [1, 3])
def test_defi_detail_with_simulation_query_count(client, django_assert_num_queries, rows):
    defi = _defi("6", [(0, 100)] * rows)
    client.force_login(defi.owner)

    with django_assert_num_queries(QUERIES_DEFI_DETAIL_WITH_RULES):
        response = client.get(reverse("projects:defi_detail", args=[defi.pk]))

    assert len(response.context["simulation"].lines) == rows
