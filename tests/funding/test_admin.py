"""The conventions' back office: lists with the latest version's state, read-only history."""

import html

import pytest
from django.urls import NoReverseMatch, reverse

from eig.history.selectors import history_for_ids
from funding.models import Convention, ConventionVersion
from funding.services import preparation, signatures
from tests.factories import (
    StaffFactory,
    funded_promotion,
    ministry,
    name_signatories,
    selected_defi,
)

pytestmark = pytest.mark.django_db

CHANGELIST_QUERIES = 7


@pytest.fixture
def staff(client):
    user = StaffFactory()
    client.force_login(user)
    return user


def _convention(staff, capture, *, name="Ministère de la Culture", promotion=None):
    promotion = promotion or funded_promotion("6")
    signatory = ministry(name=name)
    selected_defi(promotion, signatory, positions=2, title=f"Défi de {name}")
    with capture(execute=True):
        convention = preparation.convention_prepare(
            promotion=promotion, administration=signatory, actor=staff
        )
        name_signatories(convention, staff)
    return convention


def _text(response) -> str:
    return html.unescape(response.content.decode())


def test_changelist_shows_the_latest_state_and_the_dinum_amount(
    client, staff, django_capture_on_commit_callbacks
):
    convention = _convention(staff, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        signatures.convention_version_send(version=convention.versions.get(), actor=staff)

    page = _text(client.get(reverse("admin:funding_convention_changelist")))

    assert convention.reference in page
    assert "Envoyée pour signature" in page
    assert "40\u202f000,00\u00a0€" in page


def test_changelist_search_and_filters(client, staff, django_capture_on_commit_callbacks):
    culture = _convention(staff, django_capture_on_commit_callbacks)
    interior = _convention(
        staff, django_capture_on_commit_callbacks, name="Ministère de l'Intérieur"
    )
    url = reverse("admin:funding_convention_changelist")

    found = client.get(url, {"q": "Intérieur"}).context["cl"].result_list
    by_promotion = client.get(url, {"promotion__id__exact": culture.promotion_id})

    assert list(found) == [interior]
    assert list(by_promotion.context["cl"].result_list) == [culture]


@pytest.mark.parametrize("count", [1, 3])
def test_changelist_queries_do_not_grow(
    client, staff, count, django_assert_num_queries, django_capture_on_commit_callbacks
):
    promotion = funded_promotion("6")
    for number in range(count):
        _convention(
            staff,
            django_capture_on_commit_callbacks,
            name=f"Ministère {number}",
            promotion=promotion,
        )

    with django_assert_num_queries(CHANGELIST_QUERIES):
        response = client.get(reverse("admin:funding_convention_changelist"))

    assert response.context["cl"].result_count == count


def test_change_page_shows_lines_and_versions_read_only(
    client, staff, django_capture_on_commit_callbacks
):
    convention = _convention(staff, django_capture_on_commit_callbacks)
    version = convention.versions.get()

    page = _text(client.get(reverse("admin:funding_convention_change", args=[convention.pk])))

    assert "Défi de Ministère de la Culture" in page
    assert reverse("funding:version_pdf", args=[convention.pk, 1]) in page
    assert f"{version.checksum[:12]}…" in page
    assert 'name="lines-0-salary_band"' not in page
    assert reverse("funding:convention_detail", args=[convention.pk]) in page  # view on site


def test_change_page_corrects_the_signatories_only(
    client, staff, django_capture_on_commit_callbacks
):
    convention = _convention(staff, django_capture_on_commit_callbacks)
    promotion_id = convention.promotion_id

    response = client.post(
        reverse("admin:funding_convention_change", args=[convention.pk]),
        {
            "reference": convention.reference,
            "budget_programme": "175",
            "signatory": "La secrétaire générale, Claire Dupont",
            "dinum_signatory": "",
            "promotion": funded_promotion("7").pk,  # read-only: ignored
            "lines-TOTAL_FORMS": "0",
            "lines-INITIAL_FORMS": "0",
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, _text(response)[:3000]
    convention.refresh_from_db()
    assert (convention.budget_programme, convention.signatory, convention.promotion_id) == (
        "175",
        "La secrétaire générale, Claire Dupont",
        promotion_id,
    )
    assert convention.lines.count() == 2 and convention.versions.count() == 1


def test_conventions_are_not_added_in_the_admin(client, staff):
    assert client.get(reverse("admin:funding_convention_add")).status_code == 403


def test_history_is_read_only(client, staff, django_capture_on_commit_callbacks):
    convention = _convention(staff, django_capture_on_commit_callbacks)
    event = history_for_ids(ConventionVersion, convention.versions.values("pk")).get(
        action=ConventionVersion.Action.DRAFT
    )

    # Shown under the convention's form, each event naming its version; the history has no
    # admin page of its own, so nothing changes or deletes an event there.
    detail = client.get(reverse("admin:funding_convention_change", args=[convention.pk]))
    page = _text(detail)
    with pytest.raises(NoReverseMatch):
        reverse("admin:history_event_change", args=[event.pk])

    assert detail.status_code == 200
    assert [e.action for e in detail.context["history_events"]] == [
        "draft",
        "signatories_changed",
    ]
    assert detail.context["history_events"][0].pk == event.pk
    assert "Convention préparée" in page and "Convention initiale" in page
    event.refresh_from_db()
    assert event.note == ""
    assert Convention.objects.filter(pk=convention.pk).exists()
