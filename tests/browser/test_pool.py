"""The talent pool's staff pages in Chromium: search, highlighted results, pages, a dossier,
each checked by axe-core."""

import pytest
from django.urls import reverse

from candidates.models import Application, ApplicationSearch
from candidates.search import search_document
from tests.browser.login import log_in
from tests.factories import CandidateCallFactory, CandidateFactory, StaffFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _pool(count: int) -> list[Application]:
    call = CandidateCallFactory()
    applications = []
    for number in range(count):
        texts = {
            "skills_main": f"Science des données, géomatique <b>{number}</b>",
            "motivation": "Rendre l'action publique plus accessible",
        }
        application = Application.objects.create(
            call=call,
            candidate=CandidateFactory(first_name=f"Personne {number}", last_name="Vivier"),
            specialty="data_science",
            years_experience=number % 12,
            mobility="france",
            talent_pool_consent=True,
            **texts,
        )
        ApplicationSearch.objects.create(application=application, document=search_document(texts))
        applications.append(application)
    Application.objects.filter(pk__in=[a.pk for a in applications]).update(state="admitted")
    return applications


def test_pool_pages_pass_axe(live_server, page, axe):
    applications = _pool(25)
    staff = StaffFactory()
    log_in(page, live_server, staff)
    page.wait_for_load_state()

    page.goto(live_server.url + reverse("candidates:pool"))
    axe(page)
    page.fill("main [name=q]", "donnees")
    page.select_option("main [name=experience]", "3-5")
    page.get_by_role("button", name="Appliquer").click()
    page.wait_for_load_state()
    assert page.locator("main mark").first.inner_text() == "données"
    assert "&lt;b&gt;" in page.content()
    axe(page)

    page.goto(live_server.url + reverse("candidates:pool") + "?q=géomatique&page=2")
    assert page.locator("main .fr-pagination [aria-current=page]").inner_text() == "2"
    axe(page)

    page.goto(
        live_server.url
        + reverse("candidates:pool_dossier", args=[applications[0].pk])
        + "?q=donnees"
    )
    assert page.locator("main mark").first.inner_text() == "données"
    assert "Consultation du dossier" in page.locator("main").inner_text()
    axe(page)

    assert len(axe.visited) == 4
