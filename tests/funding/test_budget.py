"""The promotion's budget pages: envelope, committed, available, and the CSV export."""

import csv
import html
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from eig.programme.models import Administration
from funding.models import Convention, ConventionVersion
from funding.services import amendments, preparation, signatures
from tests.factories import (
    AdministrationFactory,
    AgentFactory,
    CandidateFactory,
    JurorFactory,
    SignatoryAgentFactory,
    StaffFactory,
    funded_promotion,
    ministry,
    name_signatories,
    operator_of,
    selected_defi,
)
from tests.pdfs import pdf_bytes

pytestmark = pytest.mark.django_db
State = ConventionVersion.State

# Queries of each page, whatever its number of promotions or conventions.
INDEX_QUERIES = 5
BUDGET_QUERIES = 10
CSV_QUERIES = 3

NNBSP, NBSP = "\u202f", "\u00a0"


def _text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def staff(client):
    user = StaffFactory()
    client.force_login(user)
    return user


def _p6_two_conventions(staff, capture):
    """P6 (flat 20 000 € per EIG) with an envelope of 100 000 €: two ministries, each with a
    selected défi of 2 positions, so two conventions × 2 EIG × 20 000 € = 80 000 €."""
    promotion = funded_promotion("6", envelope=Decimal("100000.00"))
    culture = ministry(name="Ministère de la Culture", budget_programme="361")
    interior = ministry(name="Ministère de l'Intérieur", budget_programme="216")
    selected_defi(promotion, culture, positions=2, title="Gallica augmentée")
    selected_defi(promotion, interior, positions=2, title="Alertes inondation")
    with capture(execute=True):
        report = preparation.conventions_prepare_for_promotion(promotion=promotion, actor=staff)
        for convention in report.created:
            name_signatories(convention, staff)
    assert len(report.created) == 2
    return promotion, culture, interior


def _csv_rows(response) -> list[list[str]]:
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff")), delimiter=";"))


def test_budget_committed_and_available_by_hand(client, staff, django_capture_on_commit_callbacks):
    promotion, culture, _ = _p6_two_conventions(staff, django_capture_on_commit_callbacks)
    # One of them goes into signature: it moves from "brouillon" to "en signature".
    version = Convention.objects.get(administration=culture).versions.get()
    with django_capture_on_commit_callbacks(execute=True):
        signatures.convention_version_send(version=version, actor=staff)

    response = client.get(reverse("funding:budget", args=[promotion.pk]))

    budget = response.context["budget"]
    assert budget.envelope == Decimal("100000.00")
    assert budget.committed_total == Decimal("80000.00")
    assert budget.committed == {
        "in_force": Decimal("0.00"),
        "signature": Decimal("40000.00"),
        "draft": Decimal("40000.00"),
    }
    assert budget.available == Decimal("20000.00")
    page = _text(response)
    assert f"80{NNBSP}000,00{NBSP}€" in page
    assert f"en signature : 40{NNBSP}000,00{NBSP}€" in page
    assert f"brouillon : 40{NNBSP}000,00{NBSP}€" in page
    assert f"20{NNBSP}000,00{NBSP}€" in page
    assert f"forfait de 20{NNBSP}000,00{NBSP}€ par EIG" in page


def test_a_third_convention_past_the_envelope_is_refused(
    client, staff, django_capture_on_commit_callbacks
):
    promotion, _, _ = _p6_two_conventions(staff, django_capture_on_commit_callbacks)
    # 2 more EIG would make 120 000 € for 100 000 €.
    health = ministry(name="Ministère de la Santé", budget_programme="204")
    selected_defi(promotion, health, positions=2, title="Dossier médical partagé")

    response = client.post(reverse("funding:budget_prepare", args=[promotion.pk]), follow=True)

    page = _text(response)
    assert "Convention du ministère de la Santé non préparée. Enveloppe dépassée" in page
    assert f"à 120{NNBSP}000,00{NBSP}€ pour une enveloppe de 100{NNBSP}000,00{NBSP}€" in page
    assert f"soit 20{NNBSP}000,00{NBSP}€ de trop" in page
    assert not Convention.objects.filter(administration=health).exists()
    assert response.context["budget"].available == Decimal("20000.00")
    # The défi stays listed as not covered yet.
    assert "Dossier médical partagé" in page
    assert "convention à préparer" in page


def test_prepare_twice_says_nothing_is_missing(client, staff, django_capture_on_commit_callbacks):
    promotion, _, _ = _p6_two_conventions(staff, django_capture_on_commit_callbacks)

    response = client.post(reverse("funding:budget_prepare", args=[promotion.pk]), follow=True)

    assert "Aucune convention à préparer" in _text(response)
    assert Convention.objects.filter(promotion=promotion).count() == 2


def test_prepare_without_rules_explains(client, staff):
    promotion = funded_promotion("6")
    promotion.funding_rule.delete()

    page = _text(client.get(reverse("funding:budget", args=[promotion.pk])))
    response = client.post(reverse("funding:budget_prepare", args=[promotion.pk]), follow=True)

    assert "ne sont pas configurées" in page
    assert "Préparer les conventions manquantes" not in page
    assert "Les règles de financement de la" in _text(response)


def test_budget_lists_the_defis_left_out_with_their_reason(client, staff):
    promotion = funded_promotion("6")
    parentless = AdministrationFactory(
        kind=Administration.Kind.OPERATOR, name="Musée sans tutelle", budget_programme=""
    )
    selected_defi(promotion, parentless, positions=1, title="Collections en ligne")
    self_funded = selected_defi(promotion, ministry(), positions=1, title="Cartes scolaires")
    self_funded.requests_cofinancing = False
    self_funded.save(update_fields=["requests_cofinancing"])
    selected_defi(promotion, operator_of(ministry(name="Ministère des Armées")), title="Radar")

    response = client.get(reverse("funding:budget", args=[promotion.pk]))

    rows = [
        (row.defi.title, str(row.signatory or ""), row.reason)
        for row in response.context["uncovered"]
    ]
    assert rows == [
        (
            "Cartes scolaires",
            "",
            "autofinancé : l'administration ne demande pas de co-financement",
        ),
        (
            "Collections en ligne",
            "",
            "aucun programme budgétaire : ni l'administration ni son ministère",
        ),
        # An operator's défi: its ministry signs for it.
        ("Radar", "Ministère des Armées", "convention à préparer"),
    ]
    page = _text(response)
    assert "aucun programme budgétaire : ni l'administration ni son ministère" in page
    assert "Ministère des Armées" in page


def test_budget_without_envelope_says_so(client, staff):
    promotion = funded_promotion("6")

    response = client.get(reverse("funding:budget", args=[promotion.pk]))

    assert response.context["budget"].available is None
    assert "non définie" in _text(response)


def test_budget_counts_an_avenant_for_what_it_replaces(
    client, staff, django_capture_on_commit_callbacks
):
    promotion, culture, _ = _p6_two_conventions(staff, django_capture_on_commit_callbacks)
    agent = SignatoryAgentFactory(administration=culture)
    convention = Convention.objects.get(administration=culture)
    version = convention.versions.get()
    with django_capture_on_commit_callbacks(execute=True):
        signatures.convention_version_send(version=version, actor=staff)
    signatures.convention_version_sign_admin(
        version=version,
        actor=agent,
        upload=SimpleUploadedFile("s.pdf", pdf_bytes(), content_type="application/pdf"),
    )
    signatures.convention_version_sign_dinum(version=version, actor=staff)
    signatures.convention_version_enter_into_force(
        version=version, actor=staff, on=version.created_at.date()
    )
    lower = promotion.salary_bands.get(min_years=0)
    with django_capture_on_commit_callbacks(execute=True):
        amendments.convention_update(
            convention=convention,
            actor=staff,
            lines={line.pk: {"salary_band": lower.pk} for line in convention.lines.all()},
            reason="Deux EIG juniors.",
        )

    budget = client.get(reverse("funding:budget", args=[promotion.pk])).context["budget"]

    # The avenant (still a draft) replaces the text in force: 40 000 € once, not twice.
    assert budget.committed_total == Decimal("80000.00")
    assert budget.committed["in_force"] == Decimal("0.00")
    assert budget.committed["draft"] == Decimal("80000.00")


def test_budget_csv_parsed_back(client, staff, django_capture_on_commit_callbacks):
    promotion, culture, interior = _p6_two_conventions(staff, django_capture_on_commit_callbacks)
    first, second = Convention.objects.filter(promotion=promotion).order_by("reference")

    response = client.get(reverse("funding:budget_csv", args=[promotion.pk]))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="budget-{promotion.code}.csv"'
    )
    rows = _csv_rows(response)
    assert rows[0] == [
        "Référence",
        "Administration signataire",
        "Type",
        "Version",
        "État",
        "Nombre d'EIG",
        "Coût total employeur (€)",
        "Montant DINUM (€)",
    ]
    kind = "Convention de financement (budgétaire)"
    assert rows[1:] == [
        [first.reference, first.administration.name, kind, "convention initiale", "Brouillon",
         "2", "138734,20", "40000,00"],
        [second.reference, second.administration.name, kind, "convention initiale", "Brouillon",
         "2", "138734,20", "40000,00"],
        ["Total", "", "", "", "", "4", "277468,40", "80000,00"],
        [],
        ["Enveloppe (€)", "100000,00"],
        ["Engagé (€)", "80000,00"],
        ["Disponible (€)", "20000,00"],
    ]  # fmt: skip
    assert {first.administration, second.administration} == {culture, interior}


def test_budget_csv_does_not_run_a_name_as_a_formula(client, staff):
    promotion = funded_promotion("6")
    odd = ministry(name='=HYPERLINK("http://exemple.org")')
    selected_defi(promotion, odd, positions=1)
    preparation.convention_prepare(promotion=promotion, administration=odd, actor=staff)

    rows = _csv_rows(client.get(reverse("funding:budget_csv", args=[promotion.pk])))

    assert rows[1][1] == '\'=HYPERLINK("http://exemple.org")'


def test_budget_index_sums_each_promotion(client, staff, django_capture_on_commit_callbacks):
    promotion, _, _ = _p6_two_conventions(staff, django_capture_on_commit_callbacks)
    empty = funded_promotion("7")

    response = client.get(reverse("funding:budget_index"))

    budgets = {budget.promotion: budget for budget in response.context["budgets"]}
    assert budgets[promotion].committed_total == Decimal("80000.00")
    assert budgets[promotion].available == Decimal("20000.00")
    assert budgets[promotion].state_counts == [("Brouillon", 2)]
    assert budgets[empty].committed_total == Decimal("0.00")
    page = _text(response)
    assert "Forfait par EIG" in page
    assert "Prise en charge intégrale par la DINUM" in page
    assert "Brouillon : 2" in page


# --- Access -----------------------------------------------------------------------------------


def _budget_urls(promotion):
    return [
        reverse("funding:budget_index"),
        reverse("funding:budget", args=[promotion.pk]),
        reverse("funding:budget_csv", args=[promotion.pk]),
    ]


@pytest.mark.parametrize(
    "factory", [AgentFactory, CandidateFactory, JurorFactory], ids=["agent", "candidate", "juror"]
)
def test_budget_pages_are_for_staff_only(client, factory):
    promotion = funded_promotion("6")
    signatory = ministry()
    selected_defi(promotion, signatory, positions=1)
    # Even the agent of a signatory administration: the budget is the programme's.
    client.force_login(factory(administration=signatory))

    for url in _budget_urls(promotion):
        assert client.get(url).status_code == 403, url
    response = client.post(reverse("funding:budget_prepare", args=[promotion.pk]))
    assert response.status_code == 403
    assert not Convention.objects.exists()


def test_budget_pages_send_anonymous_users_to_login(client):
    promotion = funded_promotion("6")
    for url in _budget_urls(promotion):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


def test_budget_of_an_unknown_promotion_is_404(client, staff):
    assert client.get(reverse("funding:budget", args=[999999])).status_code == 404


# --- Query counts ----------------------------------------------------------------------------


def _promotions_with(count, staff):
    """`count` promotions, each with `count` conventions of one EIG."""
    promotions = []
    for _ in range(count):
        promotion = funded_promotion("6", envelope=Decimal("1000000.00"))
        for _ in range(count):
            signatory = ministry()
            selected_defi(promotion, signatory, positions=1)
            preparation.convention_prepare(
                promotion=promotion, administration=signatory, actor=staff
            )
        # And one défi not covered yet, for the table of the left-out ones.
        selected_defi(promotion, ministry(), positions=1)
        promotions.append(promotion)
    return promotions


@pytest.mark.parametrize("count", [1, 3])
def test_budget_index_queries_do_not_grow(client, staff, count, django_assert_num_queries):
    _promotions_with(count, staff)

    with django_assert_num_queries(INDEX_QUERIES):
        response = client.get(reverse("funding:budget_index"))

    assert len(response.context["budgets"]) == count


@pytest.mark.parametrize("count", [1, 3])
def test_budget_queries_do_not_grow(client, staff, count, django_assert_num_queries):
    promotion = _promotions_with(count, staff)[0]

    with django_assert_num_queries(BUDGET_QUERIES):
        response = client.get(reverse("funding:budget", args=[promotion.pk]))

    assert len(response.context["budget"].conventions) == count
    assert len(response.context["uncovered"]) == 1


@pytest.mark.parametrize("count", [1, 3])
def test_budget_csv_queries_do_not_grow(client, staff, count, django_assert_num_queries):
    promotion = _promotions_with(count, staff)[0]

    with django_assert_num_queries(CSV_QUERIES):
        response = client.get(reverse("funding:budget_csv", args=[promotion.pk]))

    assert len(_csv_rows(response)) == 1 + count + 5
