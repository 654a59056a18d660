"""Bad input on the défi form gets a French message and a 200, never a 500, and what was
saved before stays."""

import html

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projects.forms import DefiPositionForm
from projects.sections import MAX_POSITIONS, SECTIONS
from tests.factories import DefiFactory

pytestmark = pytest.mark.django_db

TEXT_SECTIONS = [s for s in SECTIONS if not s.special]


@pytest.mark.parametrize("section", TEXT_SECTIONS, ids=[s.key for s in TEXT_SECTIONS])
def test_every_section_refuses_oversize_answers(client, section):
    defi = DefiFactory(title="Titre enregistré")
    client.force_login(defi.owner)
    data = dict.fromkeys(section.fields, "é" * 5001)

    response = client.post(reverse("projects:defi_section", args=[defi.pk, section.key]), data)

    assert response.status_code == 200
    content = html.unescape(response.content.decode())
    assert "La section n'est pas enregistrée" in content
    assert "au plus" in content or "adresse e-mail valide" in content
    defi.refresh_from_db()
    assert defi.title == "Titre enregistré"


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    values=st.lists(
        st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=300),
        min_size=5,
        max_size=5,
    )
)
def test_context_section_never_fails_on_arbitrary_text(client, values):
    defi = DefiFactory()
    client.force_login(defi.owner)
    fields = ["title", "summary", "context", "problem", "themes"]

    response = client.post(
        reverse("projects:defi_section", args=[defi.pk, "contexte"]),
        dict(zip(fields, values, strict=True)),
    )

    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert "La section n" in response.content.decode()


@pytest.mark.parametrize(
    "payload",
    [
        {},  # no management form at all
        {"profils-TOTAL_FORMS": "abc", "profils-INITIAL_FORMS": "0"},
        {"profils-TOTAL_FORMS": "1000", "profils-INITIAL_FORMS": "0"},
        {
            "profils-TOTAL_FORMS": "3",
            "profils-INITIAL_FORMS": "0",
            "profils-0-specialty": "astronaute",
            "profils-0-missions": "x",
        },
    ],
)
def test_positions_section_survives_tampered_formsets(client, payload):
    defi = DefiFactory()
    client.force_login(defi.owner)

    response = client.post(reverse("projects:defi_section", args=[defi.pk, "profils"]), payload)

    assert response.status_code == 200
    assert not defi.positions.exists()


def test_positions_section_builds_no_more_forms_than_a_defi_holds(client, monkeypatch):
    built = []
    original = DefiPositionForm.__init__

    def counting_init(self, *args, **kwargs):
        built.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(DefiPositionForm, "__init__", counting_init)
    defi = DefiFactory()
    client.force_login(defi.owner)
    # Django refuses more than 1,000 fields: the forms are empty, the count is forged.
    payload = {"profils-TOTAL_FORMS": "1003", "profils-INITIAL_FORMS": "0"}
    payload.update({f"profils-{index}-specialty": "developpement" for index in range(4)})

    response = client.post(reverse("projects:defi_section", args=[defi.pk, "profils"]), payload)

    assert response.status_code == 200
    content = html.unescape(response.content.decode())
    assert "Un défi accueille au plus 3 EIG : retirez les profils en trop." in content
    # The page's formset, and the simulation panel reading the same data: 3 forms each.
    assert len(built) <= 2 * MAX_POSITIONS
    assert not defi.positions.exists()


def test_catalogue_survives_bad_filters(client):
    response = client.get(
        reverse("projects:catalogue"), {"promotion": "abc", "specialty": "astronaute", "page": "-1"}
    )

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "Défi\rBcc: tous@exemple.fr", "Retirez le retour chariot (U+000D)"),
        ("title", "Facture\u202efdp.exe", "U+202E"),
        ("themes", "santé\tdonnées", "Retirez la tabulation"),
        ("context", "Con\x0btexte", "ce texte n'accepte pas les caractères de contrôle"),
    ],
)
def test_context_section_refuses_control_characters(client, field, value, message):
    defi = DefiFactory(title="Titre enregistré")
    client.force_login(defi.owner)

    response = client.post(
        reverse("projects:defi_section", args=[defi.pk, "contexte"]), {field: value}
    )

    assert response.status_code == 200
    content = html.unescape(response.content.decode())
    assert "La section n'est pas enregistrée" in content
    assert message in content
    defi.refresh_from_db()
    assert defi.title == "Titre enregistré"


def test_context_section_keeps_line_breaks_in_long_answers(client):
    defi = DefiFactory()
    client.force_login(defi.owner)

    client.post(
        reverse("projects:defi_section", args=[defi.pk, "contexte"]),
        {"title": "Titre", "context": "Premier point.\r\n\tSecond point."},
    )

    defi.refresh_from_db()
    assert defi.context == "Premier point.\r\n\tSecond point."
