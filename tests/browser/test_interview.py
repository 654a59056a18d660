"""An invited candidate books, then cancels, their interview in the browser; axe-core
checks each page (the interview page, its confirmation)."""

import pytest

from tests.browser.login import log_in
from tests.candidates.test_interview import _application, _jury, _slots

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_candidate_books_then_cancels_their_interview(live_server, page, axe):
    jury = _jury()
    first, _second = _slots(jury, 72, 96)
    application = _application(jury)
    log_in(page, live_server, application.candidate)
    page.wait_for_load_state()

    page.goto(f"{live_server.url}/candidater/{jury.candidate_call.slug}/ma-candidature/")
    page.get_by_role("link", name="Choisir mon créneau d’entretien").click()
    page.wait_for_load_state()
    axe(page)
    page.locator(f"main form:has(input[name=slot][value='{first.pk}']) button").click()
    page.wait_for_load_state()
    assert "Votre entretien est réservé" in page.content()
    axe(page)

    page.get_by_role("button", name="Annuler mon entretien").click()
    page.wait_for_load_state()
    axe(page)
    page.get_by_role("button", name="Confirmer l'annulation de mon entretien").click()
    page.wait_for_load_state()
    assert "Votre entretien est annulé" in page.content()
