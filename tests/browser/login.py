"""Logging in through the browser, second factor included."""

import re
import time

from django.urls import reverse

from tests.factories import PASSWORD, TOTP_SECRET, totp_code

PERIOD = 30
# A code is good in its own 30-second window only (allauth's TOTP_TOLERANCE is 0): one taken
# in a window's last seconds can reach a loaded server in the next one, and the login stays
# on the code's page (a CI run timed out there once). Such a code waits for the next window.
MARGIN = 4
# allauth refuses a code used twice in its 30-second window: remember which window each user
# last used, and wait for the next one when a test logs the same person in again.
_last_window: dict[int, int] = {}


def _next_window() -> None:
    time.sleep(PERIOD - time.time() % PERIOD + 0.5)


def fresh_totp_code(user, secret: str = TOTP_SECRET) -> str:
    if PERIOD - time.time() % PERIOD < MARGIN:
        _next_window()
    window = int(time.time()) // PERIOD
    if _last_window.get(user.pk) == window:
        _next_window()
        window = int(time.time()) // PERIOD
    _last_window[user.pk] = window
    return totp_code(secret, at=window * PERIOD)


def enter_totp_code(page, user, secret: str = TOTP_SECRET) -> None:
    page.wait_for_url(re.compile(r".*" + re.escape(reverse("mfa_authenticate")) + "$"))
    page.fill("main [name=code]", fresh_totp_code(user, secret))
    page.get_by_role("button", name="Se connecter").click()


def log_in(page, live_server, user) -> None:
    """Fill the login form; staff then give the code of their authenticator app."""
    page.goto(live_server.url + reverse("account_login"))
    page.fill("main [name=login]", user.email)
    page.fill("main [name=password]", PASSWORD)
    page.click("main button[type=submit]")
    if user.requires_two_factor:
        enter_totp_code(page, user)


def logged_in_page(browser, live_server, user):
    """A page of a new browser context (French, Paris time) where `user` is logged in:
    several people in one test each have their own."""
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, live_server, user)
    # Logged in once the login pages are left (staff give their second factor first).
    page.wait_for_url(re.compile(r"^(?!.*/comptes/).*$"))
    return page
