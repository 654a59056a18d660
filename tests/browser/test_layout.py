"""Key figures in view at 1 280 × 800 (a common laptop screen): the weighted score of the
ranking, the totals of the financial simulation, and the scoring form beside the défi a
juror reads. Screenshots go to $EIG_SCREENSHOTS_DIR when it is set."""

import os
import re

import pytest
from django.db.models import TextField
from django.urls import reverse
from django.utils import timezone

from eig.jury.services import jury_aggregates_rebuild
from projects.jury import DEFI_JURY
from projects.models import Defi, DefiEvaluation, DefiScore
from tests.browser.login import log_in
from tests.factories import (
    AgentFactory,
    ClosedProjectCallFactory,
    DefiFactory,
    JuryMemberFactory,
    ProjectCallFactory,
    StaffFactory,
    fill_defi,
    funded_promotion,
    jury_for_call,
    ministry,
    submitted_defi,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH, HEIGHT = 1280, 800


def _page(browser, live_server, user, width=WIDTH, height=HEIGHT):
    context = browser.new_context(
        locale="fr-FR", timezone_id="Europe/Paris", viewport={"width": width, "height": height}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, live_server, user)
    page.wait_for_url(re.compile(r".*/espace/.*|.*/administrations/.*|.*/$"))
    return page


def _screenshot(page, name):
    folder = os.environ.get("EIG_SCREENSHOTS_DIR")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"))


def _within_width(page, locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH


def _long_defi(defi: Defi) -> Defi:
    """Every free text of the défi several paragraphs long, as real dossiers are."""
    text = "Les agents saisissent aujourd'hui ces données à la main, dans trois outils. " * 25
    for field in Defi._meta.get_fields():
        if isinstance(field, TextField) and getattr(defi, field.name, None):
            setattr(defi, field.name, text[: field.max_length or len(text)])
    defi.save()
    return defi


def test_ranking_shows_the_weighted_score_without_scrolling_sideways(live_server, browser, axe):
    call = ClosedProjectCallFactory()
    jury = jury_for_call(call, criteria=6, k=2)
    members = [JuryMemberFactory(jury=jury) for _ in range(2)]
    for index in range(3):
        defi = submitted_defi(
            call, title=f"Plateforme nationale de données ouvertes sur l'eau, volet {index + 1}"
        )
        for member in members:
            evaluation = DefiEvaluation.objects.create(
                defi=defi, member=member, state="submitted", submitted_at=timezone.now()
            )
            DefiScore.objects.bulk_create(
                DefiScore(evaluation=evaluation, criterion=criterion, value=1 + index)
                for criterion in jury.criteria.all()
            )
    jury_aggregates_rebuild(domain=DEFI_JURY, jury=jury)
    page = _page(browser, live_server, StaffFactory())

    page.goto(live_server.url + reverse("jury:selection_ranking", args=[jury.pk]))
    # Down to the table, never sideways: the figure must be there without scrolling it.
    page.evaluate(
        "window.scrollTo(0, document.querySelector('main table').getBoundingClientRect().top"
        " + window.scrollY - 16)"
    )
    _screenshot(page, "ranking-1280")

    headers = page.locator("main table thead th").all_inner_texts()
    assert headers[:3] == ["Défi", "Rang", "Note pondérée"]
    first_score = page.locator("main table tbody tr").first.locator("td.eig-key-figure")
    assert first_score.inner_text().strip() == "3,00"
    assert _within_width(page, first_score)
    axe(page)


def test_simulation_totals_come_first_and_in_view(live_server, browser, axe):
    promotion = funded_promotion("6")
    agent = AgentFactory(administration=ministry(name="Ministère de la Culture"))
    defi = fill_defi(
        DefiFactory(call=ProjectCallFactory(promotion=promotion), owner=agent),
        positions=3,
        pitch_deck=False,
    )
    page = _page(browser, live_server, agent)

    for url in (
        reverse("projects:defi_section", args=[defi.pk, "profils"]),
        reverse("projects:defi_detail", args=[defi.pk]),
    ):
        page.goto(live_server.url + url)
        totals = page.locator("#simulation-totals")
        totals.scroll_into_view_if_needed()
        _screenshot(page, "simulation-" + url.strip("/").replace("/", "-"))
        for figure in totals.locator("dd").all():
            assert _within_width(page, figure)
        assert "60\u202f000,00\u00a0€" in totals.inner_text()  # 3 × 20 000 € (P6)
        table = page.locator("#simulation table")
        assert totals.bounding_box()["y"] < table.bounding_box()["y"]
        axe(page)

    # The draft waits on the personal space, first, under « À faire ».
    page.goto(live_server.url + reverse("accounts:dashboard"))
    _screenshot(page, "dashboard-agent")
    todo = page.locator("main .eig-todo").first
    assert todo.inner_text().startswith("1 brouillon de défi à déposer")
    assert page.locator("main h2").first.inner_text() == "À faire"
    axe(page)


def test_scoring_form_stays_in_view_while_the_juror_reads(live_server, browser, axe):
    call = ClosedProjectCallFactory()
    jury = jury_for_call(call, criteria=3, k=1)
    member = JuryMemberFactory(jury=jury)
    defi = _long_defi(submitted_defi(call))
    evaluation = DefiEvaluation.objects.create(member=member, defi=defi)
    url = live_server.url + reverse("jury:evaluation_detail", args=["defis", evaluation.pk])
    page = _page(browser, live_server, member.user)

    page.goto(url)
    form = page.locator(".eig-evaluation__form")
    assert page.evaluate("document.documentElement.scrollHeight") > 3 * HEIGHT
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight / 2)")
    page.wait_for_function("window.scrollY > 0")
    _screenshot(page, "evaluation-1280")

    box = form.bounding_box()
    assert 0 <= box["y"] < HEIGHT / 4
    assert box["x"] + box["width"] <= WIDTH
    assert page.locator("#votre-evaluation").is_visible()
    heading = page.locator("#votre-evaluation").bounding_box()
    assert 0 <= heading["y"] < HEIGHT
    axe(page)
    page.context.close()

    # A phone: one column, the form after the défi, not held on screen.
    small = _page(browser, live_server, member.user, width=390, height=800)
    small.goto(url)
    position = small.evaluate(
        "getComputedStyle(document.querySelector('.eig-evaluation__form')).position"
    )
    assert position == "static"
    small.context.close()
