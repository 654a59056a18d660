"""The financial simulation in the browser: the panel of the positions step follows the
agent's choices before anything is saved, then the défi page shows the saved hypotheses.
axe-core checks every page on the way, including the panel once recomputed."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from eig.programme.money import format_euros
from tests.factories import (
    PASSWORD,
    AgentFactory,
    DefiFactory,
    ProjectCallFactory,
    fill_defi,
    funded_promotion,
    ministry,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, live_server, user):
    page.goto(live_server.url + reverse("account_login"))
    page.fill("main [name=login]", user.email)
    page.fill("main [name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/espace/.*|.*/administrations/.*|.*/$"))


def test_agent_changes_a_band_sees_the_simulation_then_saves(live_server, page, axe):
    from playwright.sync_api import expect

    promotion = funded_promotion("6")
    agent = AgentFactory(administration=ministry(name="Ministère de la Culture"))
    defi = fill_defi(
        DefiFactory(call=ProjectCallFactory(promotion=promotion), owner=agent),
        positions=2,
        pitch_deck=False,
    )
    junior, _senior = promotion.salary_bands.order_by("min_years")
    _login(page, live_server, agent)

    # The positions step: no band chosen yet, both EIGs at the high hypothesis.
    page.goto(live_server.url + reverse("projects:defi_section", args=[defi.pk, "profils"]))
    panel = page.locator("#simulation")
    expect(panel).to_have_attribute("aria-live", "polite")
    expect(panel).to_contain_text(format_euros(Decimal("138734.20")))  # 2 × 69 367,10
    expect(panel).to_contain_text("Hypothèse haute")
    axe(page)

    # EIG 2 aims for the first band: the panel follows, nothing is saved.
    page.select_option("main [name=profils-1-salary_band]", str(junior.pk))
    expect(panel).to_contain_text(format_euros(Decimal("60696.20")))
    expect(panel).to_contain_text(format_euros(Decimal("130063.30")))
    expect(panel).not_to_have_attribute("aria-busy", "true")
    assert list(defi.positions.values_list("salary_band", flat=True)) == [None, None]
    axe(page)

    # Saved: the défi page shows the same simulation.
    page.locator("main button[name=save]").click()
    page.wait_for_load_state()
    expect(page.locator("body")).to_contain_text("Section « Profils recherchés » enregistrée.")
    assert list(defi.positions.values_list("salary_band", flat=True)) == [None, junior.pk]
    page.goto(live_server.url + reverse("projects:defi_detail", args=[defi.pk]))
    detail = page.locator("#simulation")
    expect(detail).to_contain_text(format_euros(Decimal("60696.20")))
    expect(detail).to_contain_text(format_euros(Decimal("90063.30")))  # left to the ministry
    expect(detail).to_contain_text(
        "seraient versés à l’administration elle-même (Ministère de la Culture)"
    )
    axe(page)

    page.goto(live_server.url + reverse("projects:defi_preview", args=[defi.pk]))
    expect(page.locator("#simulation")).to_contain_text(format_euros(Decimal("130063.30")))
    axe(page)
