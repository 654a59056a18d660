"""Two-factor authentication in the browser: a staff member without an authenticator app is
sent to enrol before anything else, enrols (the test computes the app's code from the secret
the page shows), then logs in again with a recovery code. axe-core checks every page."""

import re

import pytest
from django.urls import reverse

from tests.browser.login import fresh_totp_code
from tests.factories import PASSWORD, StaffFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _path(name):
    return re.compile(r".*" + re.escape(reverse(name)) + r"(\?.*)?$")


def test_staff_enrol_then_log_in_with_recovery_code(live_server, browser, axe):
    staff = StaffFactory(two_factor=False)
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    page = context.new_page()
    page.set_default_timeout(15_000)

    # After the password, the admin is out of reach: enrolment first, which allauth guards
    # with the password once more.
    page.goto(live_server.url + reverse("admin:index"))
    page.fill("main [name=login]", staff.email)
    page.fill("main [name=password]", PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(_path("account_reauthenticate"))
    axe(page)
    page.fill("main [name=password]", PASSWORD)
    page.get_by_role("button", name="Confirmer").click()
    page.wait_for_url(_path("mfa_activate_totp"))
    page.get_by_text("Étape obligatoire pour l’équipe du programme").wait_for()
    axe(page)

    # The authenticator app: the test computes its code from the secret shown.
    secret = page.input_value("#authenticator_secret")
    page.fill("main [name=code]", fresh_totp_code(staff, secret))
    page.get_by_role("button", name="Activer").click()
    page.wait_for_url(_path("mfa_view_recovery_codes"))
    axe(page)
    recovery_codes = page.input_value("#recovery_codes").split()
    assert len(recovery_codes) == 10

    for name in ["mfa_index", "mfa_generate_recovery_codes", "mfa_deactivate_totp"]:
        page.goto(live_server.url + reverse(name))
        axe(page)
    page.goto(live_server.url + reverse("admin:index"))
    page.get_by_role("heading", name="Back-office de l'équipe du programme").wait_for()
    context.close()

    # A new browser: password, then a recovery code instead of the app's code.
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(live_server.url + reverse("admin:index"))
    page.fill("main [name=login]", staff.email)
    page.fill("main [name=password]", PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(_path("mfa_authenticate"))
    axe(page)
    page.fill("main [name=code]", recovery_codes[0])
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("heading", name="Back-office de l'équipe du programme").wait_for()
    context.close()

    assert len(axe.visited) == 7
