"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server,
and axe-core (shipped inside axe-playwright-python) checks every page visited."""

import os

import pytest

from tests.services import CHROMIUM, chromium_available, require

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between two browser steps are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BLOCKING_IMPACTS = {"serious", "critical"}


@pytest.fixture(scope="session")
def browser():
    require(chromium_available(), f"Chromium absent ({CHROMIUM}) : apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


class AxeChecker:
    """Runs axe-core on the current page and remembers what it found."""

    def __init__(self):
        from axe_playwright_python.sync_playwright import Axe

        self.axe = Axe()
        self.visited: list[str] = []

    def __call__(self, page) -> None:
        results = self.axe.run(page)
        blocking = [
            f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(node["target"][0] for node in v["nodes"][:3])
            for v in results.response["violations"]
            if v["impact"] in BLOCKING_IMPACTS
        ]
        self.visited.append(page.url)
        assert not blocking, f"axe-core sur {page.url} :\n" + "\n".join(blocking)


@pytest.fixture
def axe():
    return AxeChecker()
