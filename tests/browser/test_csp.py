"""The browser tests' guard against Content-Security-Policy violations really catches them."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INLINE_PAGE = """<!DOCTYPE html>
<html lang="fr"><head><title>Essai</title></head>
<body>
  <p style="color: red">Texte</p>
  <button type="button" onclick="document.title = 'clic exécuté'">Essayer</button>
  <script>document.title = "script exécuté";</script>
</body></html>"""


def test_csp_guard_catches_inline_script_style_and_handler(live_server, page, csp_watch):
    policy = page.goto(live_server.url + "/").headers["content-security-policy"]
    # A page of the live server's origin, with inline code, under the site's own policy.
    page.route(
        live_server.url + "/essai-csp/",
        lambda route: route.fulfill(
            status=200,
            content_type="text/html; charset=utf-8",
            headers={"Content-Security-Policy": policy},
            body=INLINE_PAGE,
        ),
    )
    page.goto(live_server.url + "/essai-csp/")
    page.get_by_role("button", name="Essayer").click()
    csp_watch.settle()

    assert page.title() == "Essai"
    found = " ".join(csp_watch.violations)
    assert "script-src-elem" in found
    assert "script-src-attr" in found
    assert "style-src-attr" in found
    # Caught as they should be: the test itself must not fail at teardown.
    csp_watch.violations.clear()


def test_csp_guard_catches_script_injected_in_a_site_page(live_server, page, csp_watch):
    page.goto(live_server.url + "/")
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.injected = true;";
          document.body.appendChild(script);
        }"""
    )
    csp_watch.settle()

    assert page.evaluate("window.injected === undefined")
    assert any("script-src" in violation for violation in csp_watch.violations)
    csp_watch.violations.clear()
