"""Conventions in the browser: staff prepare and send one from the promotion's budget, the
signatory administration's agent uploads it signed, staff countersign and put it in force.
axe-core checks every page on the way."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from eig.history.selectors import history_for
from funding.models import Convention, ConventionVersion
from tests.browser.login import logged_in_page
from tests.factories import (
    SignatoryAgentFactory,
    StaffFactory,
    funded_promotion,
    ministry,
    selected_defi,
)
from tests.pdfs import pdf_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
State = ConventionVersion.State


def test_staff_prepare_and_send_agent_uploads_staff_countersign(live_server, browser, axe):
    promotion = funded_promotion("6", envelope=Decimal("100000.00"), name="Promotion 6")
    culture = ministry(name="Ministère de la Culture", budget_programme="361")
    # The administration named Sacha signatory of its conventions.
    agent = SignatoryAgentFactory(administration=culture, first_name="Sacha")
    selected_defi(promotion, culture, positions=2, title="Gallica augmentée", owner=agent)
    staff = StaffFactory()

    # Staff prepare the conventions from the promotion's budget, then send the one made.
    page = logged_in_page(browser, live_server, staff)
    page.get_by_role("link", name="Financement").click()
    axe(page)
    page.get_by_role("link", name="Promotion 6").click()
    page.get_by_text("Gallica augmentée").wait_for()  # not covered yet
    axe(page)
    page.get_by_role("button", name="Préparer les conventions manquantes").click()
    page.get_by_text("1 convention préparée en brouillon", exact=False).wait_for()
    axe(page)
    convention = Convention.objects.get()
    page.get_by_role("link", name=convention.reference).click()
    page.get_by_role("heading", name=f"Convention {convention.reference}").wait_for()
    axe(page)
    # The text names both signatories before it can be sent.
    assert page.get_by_role("button", name="Envoyer pour signature").is_disabled()
    page.get_by_label("Signataire pour l'administration").fill(
        "Mme Claire Martin, secrétaire générale"
    )
    page.get_by_label("Signataire pour la DINUM").fill("M. Paul Durand, directeur")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    page.get_by_text("Le brouillon est mis à jour", exact=False).wait_for()
    page.get_by_role("button", name="Envoyer pour signature").click()
    page.get_by_text("est envoyée pour signature", exact=False).wait_for()
    axe(page)
    page.context.close()

    # The agent finds it in their conventions and uploads it signed.
    page = logged_in_page(browser, live_server, agent)
    page.get_by_role("link", name="Conventions", exact=True).click()
    page.get_by_text("1 convention à signer").wait_for()
    axe(page)
    page.get_by_role("link", name=convention.reference).click()
    axe(page)
    page.set_input_files(
        "main input[type=file]",
        files=[
            {"name": "convention-signee.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes(2)}
        ],
    )
    page.get_by_role("button", name="Déposer la convention signée").click()
    page.get_by_text("est déposée", exact=False).wait_for()
    axe(page)
    page.context.close()

    # Staff countersign and put it in force.
    page = logged_in_page(browser, live_server, staff)
    page.goto(live_server.url + reverse("funding:convention_detail", args=[convention.pk]))
    axe(page)
    page.get_by_role("button", name="Enregistrer la signature de la DINUM").click()
    page.get_by_text("est signée par la DINUM", exact=False).wait_for()
    axe(page)
    page.get_by_label("En vigueur le").fill("2023-01-16")
    page.get_by_role("button", name="Marquer en vigueur").click()
    page.get_by_text("est en vigueur depuis le 16/01/2023", exact=False).wait_for()
    axe(page)
    page.context.close()

    version = convention.versions.get()
    assert (version.state, version.in_force_on) == (State.IN_FORCE, datetime.date(2023, 1, 16))
    assert version.signed_checksum and version.checksum
    assert list(history_for(version).exclude(to_state="").values_list("to_state", flat=True)) == [
        "draft",
        "sent",
        "signed_admin",
        "signed_dinum",
        "in_force",
    ]
    assert len(axe.visited) == 11
