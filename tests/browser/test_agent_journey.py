import re

import pytest

from projects.models import Defi
from tests.factories import ProjectCallFactory
from tests.pdfs import pdf_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Un-mot-de-passe-solide-2026"
TEXT = "Réponse détaillée de l'administration pour cette question."


def _submit(page, name="save_continue"):
    page.locator(f"main button[name={name}]").click()
    page.wait_for_load_state()


def _fill_text_fields(page, values: dict[str, str]):
    for name, value in values.items():
        page.fill(f"main [name={name}]", value)


def test_agent_journey_from_signup_to_submitted_defi(live_server, page, axe, mailoutbox):
    call = ProjectCallFactory(title="Appel à projets EIG 9", slug="aap-eig-9")

    # Home, then sign up as an agent.
    page.goto(live_server.url)
    axe(page)
    assert "Appel à projets EIG 9" in page.content()
    page.get_by_role("link", name="Créer un compte").first.click()
    axe(page)
    page.fill("main [name=first_name]", "Inès")
    page.fill("main [name=last_name]", "Durand")
    page.fill("main [name=email]", "ines.durand@culture.gouv.fr")
    page.check("main [name=role][value=agent]", force=True)
    page.fill("main [name=password1]", PASSWORD)
    page.fill("main [name=password2]", PASSWORD)
    page.get_by_role("button", name="Créer mon compte").click()
    page.wait_for_load_state()
    axe(page)

    # The verification mail, then the confirmation page.
    assert len(mailoutbox) == 1
    link = re.search(r"https?://\S+/comptes/confirm-email/\S+", mailoutbox[0].body).group(0)
    page.goto(live_server.url + link[link.index("/comptes/") :])
    axe(page)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()

    # Logged in; an agent says which administration they work for.
    assert "/administrations/mon-administration/" in page.url
    axe(page)
    page.fill("main [name=create-name]", "Direction générale des patrimoines")
    page.select_option("main [name=create-kind]", "ministere")
    page.fill("main [name=create-siret]", "130 025 265 00013")
    page.fill("main [name=create-budget_programme]", "175")
    page.locator("main button[name=action][value=create]").click()
    page.wait_for_load_state()
    axe(page)

    # The call page, then a new draft.
    page.goto(f"{live_server.url}/appels/{call.slug}/")
    axe(page)
    page.get_by_role("link", name=re.compile("Déposer un défi")).first.click()
    axe(page)
    page.fill("main [name=title]", "Patrimoine ouvert")
    page.get_by_role("button", name="Créer le brouillon").click()
    page.wait_for_load_state()

    # Every section of the fiche détaillée, saved one after the other.
    axe(page)
    _fill_text_fields(page, {"host_entity": "Service du patrimoine", "work_site": "75001 Paris"})
    _submit(page)
    axe(page)
    _fill_text_fields(
        page,
        {
            "porteur_job": "Cheffe de projet",
            "sponsor_name": "Jean Moulin",
            "sponsor_job": "Directeur général",
            "sponsor_email": "jean.moulin@culture.gouv.fr",
            "hr_name": "Rose Valland",
            "hr_email": "rh@culture.gouv.fr",
            "finance_name": "Léon Blum",
            "finance_email": "gestion@culture.gouv.fr",
        },
    )
    _submit(page)
    axe(page)
    _fill_text_fields(
        page, {"summary": "Ouvrir les données du patrimoine.", "context": TEXT, "problem": TEXT}
    )
    _submit(page)
    _fill_text_fields(page, {"beneficiaries": TEXT, "expected_impact": TEXT})
    _submit(page)
    _fill_text_fields(page, {"data_available": TEXT})
    _submit(page)
    _fill_text_fields(page, {"team": TEXT, "team_time": TEXT})
    _submit(page)

    # Profiles sought: two EIGs.
    axe(page)
    page.select_option("main [name=profils-0-specialty]", "data_science")
    page.fill("main [name=profils-0-missions]", "Modéliser la fréquentation des monuments.")
    page.select_option("main [name=profils-1-specialty]", "developpement")
    page.fill("main [name=profils-1-missions]", "Construire le portail des données.")
    _submit(page)

    _fill_text_fields(page, {"progress": TEXT, "roadmap": TEXT})
    _submit(page)
    axe(page)
    page.check("main [name=commits_open_source]", force=True)
    page.check("main [name=commits_open_data]", force=True)
    _submit(page)
    _fill_text_fields(page, {"motivation": TEXT})
    _submit(page)

    # Pitch deck: a real PDF.
    axe(page)
    page.set_input_files(
        "main input[type=file]",
        files=[{"name": "presentation.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes(4)}],
    )
    _submit(page)

    # Preview, then submit.
    assert "/apercu/" in page.url
    axe(page)
    page.get_by_role("button", name="Déposer le défi").click()
    page.wait_for_load_state()
    axe(page)

    defi = Defi.objects.get()
    assert defi.state == Defi.State.SUBMITTED
    assert defi.administration.name == "Direction générale des patrimoines"
    assert list(defi.positions.values_list("specialty", flat=True)) == [
        "data_science",
        "developpement",
    ]
    assert "Déposé" in page.content()
    assert [m.to for m in mailoutbox] == [["ines.durand@culture.gouv.fr"]] * 2
    assert "Patrimoine ouvert" in mailoutbox[-1].subject + mailoutbox[-1].body
    assert "déposé" in mailoutbox[-1].subject

    # The agent's space lists it with its history.
    page.get_by_role("link", name="Mes défis").first.click()
    axe(page)
    assert "Patrimoine ouvert" in page.content()

    # Withdrawing is asked for confirmation, without a script: the first click changes
    # nothing.
    page.goto(live_server.url + defi.get_absolute_url())
    page.get_by_role("button", name="Retirer le défi de l’appel").click()
    page.get_by_role("heading", name="Retirer « Patrimoine ouvert » de l'appel ?").wait_for()
    axe(page)
    defi.refresh_from_db()
    assert defi.state == Defi.State.SUBMITTED
    page.get_by_role("button", name="Confirmer le retrait du défi").click()
    page.get_by_text("Le défi est retiré de l'appel.").wait_for()
    defi.refresh_from_db()
    assert defi.state == Defi.State.WITHDRAWN
    assert len(axe.visited) >= 15
