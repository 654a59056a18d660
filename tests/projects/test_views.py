import datetime
import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.urls import reverse
from django.utils import timezone

from projects.models import Defi
from tests import pdfs
from tests.factories import (
    AdministrationFactory,
    AgentFactory,
    CandidateFactory,
    DefiFactory,
    ProjectCallFactory,
    StaffFactory,
    fill_defi,
)
from tests.pdfs import pdf_bytes

pytestmark = pytest.mark.django_db


def _text(response):
    return html.unescape(response.content.decode())


@pytest.fixture
def defi():
    defi = fill_defi(DefiFactory())
    defi.collaborators.add(AgentFactory(administration=defi.administration))
    return defi


def _user(kind, defi):
    """The people of the permission matrix, relative to `defi`."""
    if kind == "owner":
        return defi.owner
    if kind == "collaborator":
        return defi.collaborators.get()
    if kind == "colleague":  # same administration, not invited
        return AgentFactory(administration=defi.administration)
    if kind == "other_agent":
        return AgentFactory(administration=AdministrationFactory())
    if kind == "candidate":
        return CandidateFactory()
    if kind == "staff":
        return StaffFactory()
    return None


READ_EXPECTED = {
    "owner": 200,
    "collaborator": 200,
    "colleague": 404,
    "other_agent": 404,
    "candidate": 404,
    "staff": 200,
    "anonymous": 302,
}
WRITE_EXPECTED = {
    "owner": 302,
    "collaborator": 302,
    "colleague": 404,
    "other_agent": 404,
    "candidate": 404,
    "staff": 403,
    "anonymous": 302,
}


def _client_for(client, kind, defi):
    user = _user(kind, defi)
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("kind", READ_EXPECTED)
@pytest.mark.parametrize("view", ["defi_detail", "defi_preview", "defi_pitch_deck"])
def test_defi_read_views_permissions(client, defi, kind, view):
    response = _client_for(client, kind, defi).get(reverse(f"projects:{view}", args=[defi.pk]))

    assert response.status_code == READ_EXPECTED[kind]
    if kind == "anonymous":
        assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize("kind", READ_EXPECTED)
def test_defi_section_get_permissions(client, defi, kind):
    url = reverse("projects:defi_section", args=[defi.pk, "contexte"])

    response = _client_for(client, kind, defi).get(url)

    assert response.status_code == {**READ_EXPECTED, "staff": 403}[kind]


@pytest.mark.parametrize("kind", WRITE_EXPECTED)
def test_defi_section_post_permissions(client, defi, kind):
    url = reverse("projects:defi_section", args=[defi.pk, "contexte"])

    response = _client_for(client, kind, defi).post(
        url,
        {
            "title": "Titre modifié",
            "summary": "Résumé",
            "context": "",
            "problem": "",
            "themes": "",
            "save": "1",
        },
    )

    assert response.status_code == WRITE_EXPECTED[kind]
    defi.refresh_from_db()
    assert (defi.title == "Titre modifié") == (kind in ("owner", "collaborator"))


@pytest.mark.parametrize("kind", WRITE_EXPECTED)
def test_defi_action_permissions(client, defi, kind):
    url = reverse("projects:defi_action", args=[defi.pk, "submit"])

    response = _client_for(client, kind, defi).post(url)

    assert response.status_code == WRITE_EXPECTED[kind]
    defi.refresh_from_db()
    expected = Defi.State.SUBMITTED if kind in ("owner", "collaborator") else Defi.State.DRAFT
    assert defi.state == expected


@pytest.mark.parametrize("kind", WRITE_EXPECTED)
def test_defi_invite_permissions(client, defi, kind):
    url = reverse("projects:defi_invite", args=[defi.pk])

    response = _client_for(client, kind, defi).post(url, {"email": "nouveau@exemple.gouv.fr"})

    assert response.status_code == WRITE_EXPECTED[kind]
    assert defi.invitations.exists() == (kind in ("owner", "collaborator"))


def test_defi_pitch_deck_streams_the_pdf(client, defi):
    client.force_login(defi.owner)

    response = client.get(reverse("projects:defi_pitch_deck", args=[defi.pk]))

    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_defi_action_get_is_not_allowed(client, defi):
    client.force_login(defi.owner)

    response = client.get(reverse("projects:defi_action", args=[defi.pk, "submit"]))

    assert response.status_code == 405


def test_defi_unknown_section_is_404(client, defi):
    client.force_login(defi.owner)

    response = client.get(reverse("projects:defi_section", args=[defi.pk, "inconnue"]))

    assert response.status_code == 404


def test_my_defis_lists_only_own_and_shared(client):
    mine = DefiFactory()
    shared = DefiFactory()
    shared.collaborators.add(mine.owner)
    DefiFactory()

    client.force_login(mine.owner)
    response = client.get(reverse("projects:my_defis"))

    assert sorted(d.pk for d in response.context["defis"]) == sorted([mine.pk, shared.pk])


def test_defi_start_creates_draft_and_redirects_to_first_section(client):
    agent = AgentFactory()
    call = ProjectCallFactory()
    client.force_login(agent)

    response = client.post(
        reverse("projects:defi_start", args=[call.slug]), {"title": "Mon nouveau défi"}
    )

    defi = Defi.objects.get()
    assert response.url == reverse("projects:defi_section", args=[defi.pk, "administration"])
    assert (defi.owner, defi.state, defi.title) == (agent, Defi.State.DRAFT, "Mon nouveau défi")


def test_defi_start_sends_agent_without_administration_to_choose_one(client):
    agent = AgentFactory(administration=None)
    call = ProjectCallFactory()
    client.force_login(agent)

    response = client.get(reverse("projects:defi_start", args=[call.slug]))

    assert response.url.startswith(reverse("programme:administration_choose"))
    assert Defi.objects.count() == 0


@pytest.mark.parametrize("kind", ["candidate", "staff"])
def test_defi_start_refused_to_non_agents(client, kind):
    call = ProjectCallFactory()
    client.force_login(CandidateFactory() if kind == "candidate" else StaffFactory())

    response = client.post(reverse("projects:defi_start", args=[call.slug]), {"title": "X"})

    assert response.status_code == 302
    assert Defi.objects.count() == 0


def test_defi_start_refused_on_closed_call(client):
    now = timezone.now()
    call = ProjectCallFactory(
        opens_at=now - datetime.timedelta(days=30), closes_at=now - datetime.timedelta(minutes=1)
    )
    client.force_login(AgentFactory())

    response = client.post(
        reverse("projects:defi_start", args=[call.slug]), {"title": "X"}, follow=True
    )

    assert Defi.objects.count() == 0
    assert "est clos" in _text(response)


def test_defi_section_after_closing_changes_nothing(client):
    now = timezone.now()
    defi = DefiFactory(
        call=ProjectCallFactory(
            opens_at=now - datetime.timedelta(days=30),
            closes_at=now - datetime.timedelta(minutes=1),
        )
    )
    client.force_login(defi.owner)

    response = client.post(
        reverse("projects:defi_section", args=[defi.pk, "contexte"]),
        {"title": "Trop tard", "summary": "", "context": "", "problem": "", "themes": ""},
        follow=True,
    )

    defi.refresh_from_db()
    assert defi.title != "Trop tard"
    assert "l'appel est clos" in _text(response)


def test_defi_section_too_long_text_keeps_saved_data(client):
    defi = DefiFactory(title="Titre enregistré", summary="Résumé enregistré")
    client.force_login(defi.owner)

    response = client.post(
        reverse("projects:defi_section", args=[defi.pk, "contexte"]),
        {
            "title": "Nouveau titre",
            "summary": "x" * 201,
            "context": "",
            "problem": "",
            "themes": "",
            "save": "1",
        },
    )

    assert response.status_code == 200
    content = _text(response)
    assert "au plus 200 caractères" in content
    assert "La section n'est pas enregistrée" in content
    defi.refresh_from_db()
    assert (defi.title, defi.summary) == ("Titre enregistré", "Résumé enregistré")


CONTACT_FIELDS = (
    "porteur_name",
    "porteur_job",
    "porteur_phone",
    "sponsor_name",
    "sponsor_job",
    "hr_name",
    "finance_name",
    "sponsor_email",
    "hr_email",
    "finance_email",
)


def test_defi_section_bad_email_answered_in_french(client):
    defi = DefiFactory()
    client.force_login(defi.owner)
    data = dict.fromkeys(CONTACT_FIELDS, "")

    response = client.post(
        reverse("projects:defi_section", args=[defi.pk, "contacts"]),
        {**data, "porteur_email": "pas-une-adresse"},
    )

    assert response.status_code == 200
    assert "Saisissez une adresse e-mail valide" in _text(response)


def test_defi_section_save_continue_goes_to_next_section(client):
    defi = DefiFactory()
    client.force_login(defi.owner)

    response = client.post(
        reverse("projects:defi_section", args=[defi.pk, "donnees"]),
        {"data_available": "API SIRENE", "save_continue": "1"},
    )

    assert response.url == reverse("projects:defi_section", args=[defi.pk, "equipe"])
    defi.refresh_from_db()
    assert defi.data_available == "API SIRENE"


def _positions_post(*positions):
    data = {
        "profils-TOTAL_FORMS": "3",
        "profils-INITIAL_FORMS": "0",
        "profils-MIN_NUM_FORMS": "3",
        "profils-MAX_NUM_FORMS": "3",
        "save": "1",
    }
    for index in range(3):
        specialty, missions = positions[index] if index < len(positions) else ("", "")
        data.update(
            {
                f"profils-{index}-specialty": specialty,
                f"profils-{index}-missions": missions,
                f"profils-{index}-skills": "",
            }
        )
    return data


def test_defi_positions_saved_from_formset(client):
    defi = DefiFactory()
    client.force_login(defi.owner)

    response = client.post(
        reverse("projects:defi_section", args=[defi.pk, "profils"]),
        _positions_post(("data_science", "Modèles de détection"), ("design", "Parcours usager")),
    )

    assert response.status_code == 302
    assert list(defi.positions.values_list("rank", "specialty")) == [
        (1, "data_science"),
        (2, "design"),
    ]


def test_defi_positions_missing_specialty_is_explained(client):
    defi = DefiFactory()
    client.force_login(defi.owner)

    response = client.post(
        reverse("projects:defi_section", args=[defi.pk, "profils"]),
        _positions_post(("", "Des missions sans métier")),
    )

    assert response.status_code == 200
    assert "Choisissez le métier de ce profil" in _text(response)
    assert not defi.positions.exists()


def _upload(client, defi, name, content, content_type="application/pdf"):
    return client.post(
        reverse("projects:defi_section", args=[defi.pk, "presentation"]),
        {"pitch_deck": SimpleUploadedFile(name, content, content_type=content_type), "save": "1"},
    )


def test_pitch_deck_accepted_when_real_pdf(client):
    defi = DefiFactory()
    client.force_login(defi.owner)

    response = _upload(client, defi, "deck.pdf", pdf_bytes(12))

    assert response.status_code == 302
    defi.refresh_from_db()
    assert defi.pitch_deck.read().startswith(b"%PDF-")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("deck.pdf", b"PK\x03\x04 a zip renamed to pdf", "Ce fichier n'est pas un PDF."),
        ("deck.pdf", pdf_bytes(13), "Ce PDF compte 13 pages : la limite est de 12."),
        ("deck.pdf", b"%PDF-1.7\n garbage without any xref", "Ce PDF est illisible"),
    ],
)
def test_pitch_deck_refused_with_french_message(client, name, content, message):
    defi = DefiFactory()
    client.force_login(defi.owner)

    response = _upload(client, defi, name, content)

    assert response.status_code == 200
    assert message in _text(response)
    defi.refresh_from_db()
    assert not defi.pitch_deck


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (pdfs.pdf_with_many_pages(50_000, shared=True), "Ce PDF compte 50000 pages"),
        (pdfs.pdf_with_open_action_javascript(), "Ce PDF contient du JavaScript"),
        (pdfs.pdf_with_launch_link(), "Ce PDF contient une action qui lance un programme"),
    ],
    ids=["50000-pages", "javascript", "launch"],
)
def test_pitch_deck_bomb_or_active_pdf_refused_in_french(client, content, message):
    defi = DefiFactory()
    client.force_login(defi.owner)

    response = _upload(client, defi, "deck.pdf", content)

    assert response.status_code == 200
    assert message in _text(response)
    defi.refresh_from_db()
    assert not defi.pitch_deck


def test_pitch_deck_oversize_refused(client, settings):
    defi = DefiFactory()
    client.force_login(defi.owner)
    big = pdf_bytes(1) + b"%" + b"0" * (10 * 1024 * 1024)

    response = _upload(client, defi, "deck.pdf", big)

    assert response.status_code == 200
    assert "la limite est de 10,0" in _text(response)


def test_submit_incomplete_lists_missing_sections(client):
    defi = DefiFactory()
    client.force_login(defi.owner)

    response = client.post(reverse("projects:defi_action", args=[defi.pk, "submit"]), follow=True)

    content = _text(response)
    assert "des informations obligatoires manquent" in content
    assert "Profils recherchés : indiquez au moins 2 profils." in content
    defi.refresh_from_db()
    assert defi.state == Defi.State.DRAFT


def test_invitation_accept_page_and_post(client, defi):
    client.force_login(defi.owner)
    client.post(reverse("projects:defi_invite", args=[defi.pk]), {"email": "neo@exemple.gouv.fr"})
    invitation = defi.invitations.get()
    newcomer = AgentFactory(email="neo@exemple.gouv.fr", administration=defi.administration)
    client.force_login(newcomer)

    assert (
        client.get(reverse("projects:invitation_accept", args=[invitation.token])).status_code
        == 200
    )
    response = client.post(reverse("projects:invitation_accept", args=[invitation.token]))

    assert response.url == reverse("projects:defi_detail", args=[defi.pk])
    assert newcomer in defi.collaborators.all()


@pytest.mark.parametrize("token", ["%00", "abc%00def", "x" * 65, "a%0Db", "é"])
def test_invitation_accept_unknown_or_malformed_token_is_404(client, defi, token):
    client.force_login(AgentFactory(administration=defi.administration))

    response = client.get(f"/espace/invitations/{token}/")

    assert response.status_code == 404


def test_defi_invite_refuses_an_address_too_long_in_french(client, defi):
    client.force_login(defi.owner)
    email = "a" * 60 + "@" + ".".join(["b" * 60] * 4) + ".gouv.fr"
    assert len(email) > 254

    response = client.post(reverse("projects:defi_invite", args=[defi.pk]), {"email": email})

    assert response.status_code == 302
    assert not defi.invitations.exists()
    assert "254 caractères au plus" in _text(client.get(response.url))


def test_public_pages_render(client):
    call = ProjectCallFactory(title="Appel à projets EIG 9")
    selected = DefiFactory(
        state=Defi.State.SELECTED, title="Un défi retenu", summary="Un résumé public"
    )

    home = client.get(reverse("projects:home"))
    call_page = client.get(reverse("projects:call_detail", args=[call.slug]))
    catalogue = client.get(reverse("projects:catalogue"))
    detail = client.get(reverse("projects:catalogue_detail", args=[selected.pk]))

    assert "Appel à projets EIG 9" in _text(home)
    assert home.context["figures"] == {
        "defis": 1,
        "promotions": 1,
        "administrations": 1,
        "since": selected.call.promotion.year,
    }
    assert call_page.status_code == 200
    assert "Un défi retenu" in _text(catalogue)
    assert "Un résumé public" in _text(detail)


def test_catalogue_hides_drafts_and_submissions(client):
    draft = DefiFactory(title="Brouillon confidentiel")

    catalogue = client.get(reverse("projects:catalogue"))
    detail = client.get(reverse("projects:catalogue_detail", args=[draft.pk]))

    assert "Brouillon confidentiel" not in _text(catalogue)
    assert detail.status_code == 404


def test_defi_detail_lists_pending_invitations_to_editors_only(client, defi):
    client.force_login(defi.owner)
    client.post(reverse("projects:defi_invite", args=[defi.pk]), {"email": "neo@exemple.gouv.fr"})

    as_owner = _text(client.get(reverse("projects:defi_detail", args=[defi.pk])))
    client.force_login(StaffFactory())
    as_staff = _text(client.get(reverse("projects:defi_detail", args=[defi.pk])))

    assert "neo@exemple.gouv.fr, invité·e le" in as_owner
    assert "neo@exemple.gouv.fr" not in as_staff


def test_catalogue_detail_renders_markdown_without_scripts(client):
    defi = DefiFactory(
        state=Defi.State.SELECTED,
        public_body=(
            "## Le défi\n\nUn **texte** avec un [lien](https://exemple.fr).\n\n"
            "<script>alert('x')</script><img src=x onerror=alert(1)>"
        ),
    )

    content = _text(client.get(reverse("projects:catalogue_detail", args=[defi.pk])))

    assert "<h4>Le défi</h4>" in content
    assert "<strong>texte</strong>" in content
    assert '<a href="https://exemple.fr" rel="noopener noreferrer">lien</a>' in content
    assert "<script>alert" not in content and "onerror" not in content


def test_defi_detail_offers_only_the_legal_moves(client):
    defi = fill_defi(DefiFactory(state=Defi.State.SUBMITTED))
    client.force_login(defi.owner)

    content = _text(client.get(reverse("projects:defi_detail", args=[defi.pk])))

    assert reverse("projects:defi_action", args=[defi.pk, "reopen"]) in content
    assert reverse("projects:defi_action", args=[defi.pk, "withdraw"]) in content
    assert reverse("projects:defi_action", args=[defi.pk, "restore"]) not in content


def test_pitch_deck_over_the_upload_cap_is_not_stored_and_refused(client, settings, monkeypatch):
    settings.MAX_UPLOAD_SIZE = 1024 * 1024
    stored = []
    original = TemporaryFileUploadHandler.receive_data_chunk

    def storing(self, raw_data, start):
        stored.append(len(raw_data))
        return original(self, raw_data, start)

    monkeypatch.setattr(TemporaryFileUploadHandler, "receive_data_chunk", storing)
    defi = DefiFactory()
    client.force_login(defi.owner)
    big = pdf_bytes(1) + b"%" + b"0" * (3 * 1024 * 1024)

    response = _upload(client, defi, "deck.pdf", big)

    assert response.status_code == 200
    assert "Le fichier pèse 3,0" in _text(response)
    assert sum(stored) <= 1024 * 1024
    defi.refresh_from_db()
    assert not defi.pitch_deck
