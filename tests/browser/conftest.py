"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server,
and axe-core (shipped inside axe-playwright-python) checks every page visited.

Every page a test opens, through the `page` fixture or `browser.new_context()`, is watched
for Content-Security-Policy violations: the test fails at teardown if one happened."""

import contextlib
import os

import pytest
from playwright.sync_api import Error as PlaywrightError

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


# Runs in every document before its own scripts: the browser fires this event for each
# inline script, style attribute or foreign resource that the policy blocks.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__eigReportCsp(
    `${event.violatedDirective} bloque ${event.blockedURI || "du code en ligne"}` +
      ` (${event.documentURI}${event.lineNumber ? ":" + event.lineNumber : ""})` +
      (event.sample ? ` : ${event.sample}` : "")
  );
});
"""


class CspWatch:
    """Collects the CSP violations of every page of the contexts it watches: the
    `securitypolicyviolation` events, and Chromium's console errors about the policy (which
    also cover what happens before the listener exists)."""

    def __init__(self):
        self.violations: list[str] = []
        self.contexts = []
        self.paused = False

    def watch(self, context) -> None:
        context.expose_function("__eigReportCsp", self._on_report)
        context.add_init_script(script=CSP_LISTENER)
        context.on("console", self._on_console)
        self.contexts.append(context)
        # A test that closes a context itself must not lose the reports still on their way.
        close = context.close

        def settle_then_close(**kwargs):
            self.settle()
            close(**kwargs)

        context.close = settle_then_close

    def _on_report(self, violation: str) -> None:
        if not self.paused:
            self.violations.append(violation)

    def _on_console(self, message) -> None:
        if not self.paused and "Content Security Policy" in message.text:
            self.violations.append(f"console : {message.text}")

    def settle(self) -> None:
        """Lets the events already fired in open pages reach Python."""
        for context in self.contexts:
            for page in context.pages:
                if not page.is_closed():
                    # A page in the middle of a navigation has no document to ask: its
                    # reports came with the console messages already.
                    with contextlib.suppress(PlaywrightError):
                        page.evaluate("0")

    @contextlib.contextmanager
    def ignoring(self):
        """What happens inside is not the site's doing (axe-core's own probes)."""
        self.settle()
        self.paused = True
        try:
            yield
            self.settle()
        finally:
            self.paused = False


class WatchedBrowser:
    """The session's Chromium, whose new contexts are all watched for CSP violations."""

    def __init__(self, browser, csp: CspWatch):
        self._browser = browser
        self.csp = csp

    def new_context(self, **kwargs):
        context = self._browser.new_context(**kwargs)
        self.csp.watch(context)
        return context

    def __getattr__(self, name):
        return getattr(self._browser, name)


@pytest.fixture(scope="session")
def chromium():
    require(chromium_available(), f"Chromium absent ({CHROMIUM}) : apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def csp_watch():
    return CspWatch()


@pytest.fixture
def browser(chromium, csp_watch):
    watched = WatchedBrowser(chromium, csp_watch)
    yield watched
    # Checked after the test's own assertions, in every context it opened.
    try:
        csp_watch.settle()
    finally:
        for context in csp_watch.contexts:
            context.close()
    if csp_watch.violations:
        pytest.fail(
            "Violations de la Content-Security-Policy :\n"
            + "\n".join(dict.fromkeys(csp_watch.violations)),
            pytrace=False,
        )


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


class AxeChecker:
    """Runs axe-core on the current page and remembers what it found."""

    def __init__(self, csp: CspWatch):
        from axe_playwright_python.sync_playwright import Axe

        self.axe = Axe()
        self.csp = csp
        self.visited: list[str] = []

    def __call__(self, page) -> None:
        # axe-core re-reads stylesheets that use @import (the admin's forms.css) by putting
        # their text in <style> elements, which the policy rightly blocks.
        with self.csp.ignoring():
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
def axe(csp_watch):
    return AxeChecker(csp_watch)
