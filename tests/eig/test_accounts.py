import json
import re

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core import mail
from django.urls import reverse

from eig.accounts.models import Role, User
from eig.accounts.services import user_grant_role, user_set_roles, user_two_factor_set
from eig.history.selectors import history_for
from tests.factories import (
    PASSWORD,
    TOTP_SECRET,
    AgentFactory,
    DefiFactory,
    StaffFactory,
    UserFactory,
    totp_code,
)

pytestmark = pytest.mark.django_db
TOO_MANY = "Trop de tentatives de connexion"


def test_signup_verifies_email_then_logs_in(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_signup"),
            {
                "first_name": "Inès",
                "last_name": "Durand",
                "email": "Ines.Durand@Culture.gouv.fr",
                "role": "agent",
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
        )

    assert response.status_code == 302
    user = User.objects.get()
    assert (user.email, user.first_name, user.roles) == (
        "ines.durand@culture.gouv.fr",
        "Inès",
        [Role.AGENT],
    )
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^\s]+/comptes/confirm-email/[^\s]+", mail.outbox[0].body).group(0)

    client.post(link.split("testserver")[-1] if "testserver" in link else link)

    assert EmailAddress.objects.get(user=user).verified
    # An agent with no administration is sent to choose one after the first login.
    response = client.get(reverse("accounts:dashboard"))
    assert response.status_code == 200


def test_signup_refuses_staff_role(client):
    response = client.post(
        reverse("account_signup"),
        {
            "first_name": "A",
            "last_name": "B",
            "email": "a@b.fr",
            "role": "staff",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )

    assert response.status_code == 200
    assert not User.objects.exists()


def test_login_unverified_email_is_refused(client):
    user = UserFactory()
    EmailAddress.objects.filter(user=user).update(verified=False)

    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session


def test_login_by_email_sends_agent_without_administration_to_choose(client):
    agent = AgentFactory(administration=None)

    response = client.post(reverse("account_login"), {"login": agent.email, "password": PASSWORD})

    assert response.url == reverse("programme:administration_choose")


def test_login_failures_are_rate_limited(client):
    user = UserFactory()
    for _ in range(5):
        client.post(reverse("account_login"), {"login": user.email, "password": "mauvais"})

    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})

    assert response.status_code in (200, 429)
    assert "_auth_user_id" not in client.session


def test_password_reset_sends_mail(client, django_capture_on_commit_callbacks):
    user = UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": user.email})

    assert [m.to for m in mail.outbox] == [[user.email]]


def test_user_grant_role_staff_opens_admin():
    user = UserFactory()

    user_grant_role(user=user, role=Role.STAFF)
    user_grant_role(user=user, role=Role.JUROR)

    user.refresh_from_db()
    assert (sorted(user.roles), user.is_staff) == (["juror", "staff"], True)


def test_one_person_holds_several_roles():
    user = AgentFactory()
    user_grant_role(user=user, role=Role.JUROR)

    assert user.is_agent and user.has_role(Role.JUROR)


@pytest.mark.parametrize("url_name", ["accounts:dashboard", "accounts:profile"])
def test_personal_space_requires_login(client, url_name):
    response = client.get(reverse(url_name))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_profile_update(client):
    user = AgentFactory()
    client.force_login(user)

    client.post(
        reverse("accounts:profile"),
        {"first_name": "Léa", "last_name": "Roux", "job_title": "Cheffe de bureau", "phone": ""},
    )

    user.refresh_from_db()
    assert (user.first_name, user.job_title) == ("Léa", "Cheffe de bureau")


def test_personal_data_export_contains_account_and_defis(client):
    defi = DefiFactory(title="Mon défi")
    client.force_login(defi.owner)

    response = client.get(reverse("accounts:personal_data_export"))

    data = json.loads(response.content)
    assert response["Content-Disposition"].startswith('attachment; filename="mes-donnees-eig-')
    assert data["compte"]["email"] == defi.owner.email
    assert data["compte"]["roles"] == ["Agent d'une administration"]
    assert [(d["titre"], d["role"]) for d in data["defis"]] == [("Mon défi", "auteur")]


@pytest.mark.parametrize("url_name", ["accounts:personal_data", "accounts:personal_data_export"])
def test_personal_data_requires_login(client, url_name):
    response = client.get(reverse(url_name))

    assert response.url.startswith(reverse("account_login"))


def test_account_erase_keeps_defi_without_author(client):
    defi = DefiFactory()
    owner = defi.owner
    client.force_login(owner)

    response = client.post(
        reverse("accounts:personal_data"), {"password": PASSWORD, "confirm": "on"}
    )

    assert response.url == reverse("projects:home")
    assert not User.objects.filter(pk=owner.pk).exists()
    assert not EmailAddress.objects.filter(email=owner.email).exists()
    defi.refresh_from_db()
    assert defi.owner is None
    assert history_for(defi).get().actor is None


def test_account_erase_wrong_password_keeps_account(client):
    user = AgentFactory()
    client.force_login(user)

    response = client.post(reverse("accounts:personal_data"), {"password": "faux", "confirm": "on"})

    assert response.status_code == 200
    assert "Mot de passe incorrect" in response.content.decode()
    assert User.objects.filter(pk=user.pk).exists()


def test_account_erase_refused_to_staff(client):
    staff = StaffFactory()
    client.force_login(staff)

    client.post(reverse("accounts:personal_data"), {"password": PASSWORD, "confirm": "on"})

    assert User.objects.filter(pk=staff.pk).exists()


def test_staff_role_gives_admin_permissions_and_losing_it_removes_them(client):
    user = UserFactory()

    user_set_roles(user=user, roles=[Role.STAFF])
    user_two_factor_set(user=user, totp_secret=TOTP_SECRET)
    client.force_login(user)
    granted = client.get(reverse("admin:projects_defi_changelist"))
    user_set_roles(user=user, roles=[Role.JUROR])
    user = User.objects.get(pk=user.pk)
    client.force_login(user)
    revoked = client.get(reverse("admin:projects_defi_changelist"))

    assert granted.status_code == 200
    assert revoked.status_code == 302
    assert not user.is_staff and not user.groups.exists()


# The admin's login and the client address behind a proxy.


def test_admin_login_sends_to_site_login(client):
    response = client.get(reverse("admin:index"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("account_login") + "?next=%2Fadmin%2F"


def test_admin_login_brute_force_is_refused(client):
    superuser = User.objects.create_superuser(email="admin@exemple.gouv.fr", password=PASSWORD)
    user_two_factor_set(user=superuser, totp_secret=TOTP_SECRET)
    admin_login = reverse("admin:login")

    # The admin's own form never checks a password: every post goes to the site's login.
    posted = [
        client.post(admin_login, {"username": superuser.email, "password": f"faux-{n}"})
        for n in range(30)
    ]
    right = client.post(admin_login, {"username": superuser.email, "password": PASSWORD})
    assert {r.status_code for r in posted} | {right.status_code} == {302}
    assert right.url.startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session

    # Where the admin sends them, 30 wrong passwords hit the rate limit, and then the right
    # one is refused too.
    login = f"{reverse('account_login')}?next=/admin/"
    wrong = [
        client.post(login, {"login": superuser.email, "password": f"faux-{n}"}) for n in range(30)
    ]
    right = client.post(login, {"login": superuser.email, "password": PASSWORD})
    assert TOO_MANY in wrong[-1].content.decode()
    assert right.status_code in (200, 429)
    assert "_auth_user_id" not in client.session
    assert "mfa_authenticate" not in right.get("Location", "")
    assert client.get(reverse("admin:index")).status_code == 302


def test_logged_in_non_staff_is_refused_by_admin_login(client):
    client.force_login(AgentFactory())

    response = client.get(reverse("admin:login"))

    assert response.status_code == 403


def _fail_logins(client, count, **headers):
    return [
        client.post(
            reverse("account_login"),
            {"login": f"inconnu{n}@exemple.gouv.fr", "password": "faux"},
            headers=headers,
        ).content.decode()
        for n in range(count)
    ]


def test_login_ip_limit_behind_proxy_counts_each_client(client, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "3/m/ip"}
    user = AgentFactory()

    attacker = _fail_logins(client, 4, x_forwarded_for="203.0.113.7")
    response = client.post(
        reverse("account_login"),
        {"login": user.email, "password": PASSWORD},
        headers={"x_forwarded_for": "198.51.100.20"},
    )

    assert TOO_MANY in attacker[-1]
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_login_ip_limit_without_proxy_setting_shares_proxy_address(client, settings):
    # The default (no trusted proxy): X-Forwarded-For is ignored, everybody is REMOTE_ADDR.
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "3/m/ip"}
    user = AgentFactory()

    _fail_logins(client, 4, x_forwarded_for="203.0.113.7")
    response = client.post(
        reverse("account_login"),
        {"login": user.email, "password": PASSWORD},
        headers={"x_forwarded_for": "198.51.100.20"},
    )

    assert TOO_MANY in response.content.decode()
    assert "_auth_user_id" not in client.session


# Two-factor authentication: required for staff, offered to everybody.


def _login(client, user):
    return client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})


def _reauthenticate(client):
    # allauth asks for the password again before any change to the second factor.
    return client.post(reverse("account_reauthenticate"), {"password": PASSWORD})


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/projects/defi/",
        "/selection/",
        "/espace/",
        "/financement/",
    ],
)
def test_staff_without_totp_is_sent_to_activation(client, path):
    client.force_login(StaffFactory(two_factor=False))

    response = client.get(path)

    assert (response.status_code, response.url) == (302, reverse("mfa_activate_totp"))


@pytest.mark.parametrize("make_staff", [{"is_staff": True}, {"roles": [Role.STAFF]}])
def test_every_kind_of_staff_must_enrol(client, make_staff):
    client.force_login(UserFactory(**make_staff))

    response = client.get(reverse("accounts:dashboard"))

    assert response.url == reverse("mfa_activate_totp")


@pytest.mark.parametrize("url_name", ["mfa_index", "account_email", "account_logout"])
def test_staff_without_totp_keep_account_pages(client, url_name):
    staff = StaffFactory(two_factor=False)
    _login(client, staff)

    response = client.get(reverse(url_name))

    assert response.status_code == 200


def test_staff_enrols_then_reaches_admin_and_login_asks_code(client):
    staff = StaffFactory(two_factor=False)
    _login(client, staff)
    _reauthenticate(client)

    page = client.get(reverse("mfa_activate_totp"))
    secret = page.context["form"].secret
    enrolled = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    admin = client.get(reverse("admin:index"))
    client.logout()
    password_step = _login(client, staff)

    assert "obligatoire" in page.content.decode()
    assert enrolled.url == reverse("mfa_view_recovery_codes")
    assert admin.status_code == 200
    assert password_step.url == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session


def test_staff_login_with_totp_code(client):
    staff = StaffFactory()

    _login(client, staff)
    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    right = client.post(reverse("mfa_authenticate"), {"code": totp_code()})

    assert wrong.status_code == 200
    assert right.url == reverse("accounts:dashboard")
    assert client.session["_auth_user_id"] == str(staff.pk)
    assert client.get(reverse("admin:index")).status_code == 200


def test_staff_cannot_deactivate_totp(client):
    staff = StaffFactory()
    _login(client, staff)
    client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    _reauthenticate(client)

    response = client.post(reverse("mfa_deactivate_totp"))

    assert "ne peut pas être désactivée" in response.content.decode()
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists()


def test_agent_needs_no_totp_but_may_enable_it(client):
    agent = AgentFactory()
    _login(client, agent)

    dashboard = client.get(reverse("accounts:dashboard"))
    _reauthenticate(client)
    secret = client.get(reverse("mfa_activate_totp")).context["form"].secret
    client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    client.logout()
    password_step = _login(client, agent)

    assert dashboard.status_code == 200
    assert reverse("mfa_index") in dashboard.content.decode()
    assert password_step.url == reverse("mfa_authenticate")


def test_personal_data_export_says_two_factor_is_on_without_secrets(client):
    agent = AgentFactory()
    user_two_factor_set(user=agent, totp_secret=TOTP_SECRET, recovery_seed="graine-de-test")
    client.force_login(agent)

    response = client.get(reverse("accounts:personal_data_export"))

    data = json.loads(response.content)
    assert data["double_authentification"]["active"] is True
    assert data["double_authentification"]["codes_de_recuperation_restants"] == 10
    assert TOTP_SECRET not in response.content.decode()
    assert "graine-de-test" not in response.content.decode()


def test_account_erase_deletes_authenticators(client):
    agent = AgentFactory()
    user_two_factor_set(user=agent, totp_secret=TOTP_SECRET, recovery_seed="graine-de-test")
    client.force_login(agent)

    client.post(reverse("accounts:personal_data"), {"password": PASSWORD, "confirm": "on"})

    assert not User.objects.filter(pk=agent.pk).exists()
    assert not Authenticator.objects.exists()


def test_admin_shows_authenticators_without_their_secret(client):
    staff = StaffFactory()
    client.force_login(staff)
    authenticator = Authenticator.objects.get(user=staff)

    listing = client.get(reverse("admin:mfa_authenticator_changelist"))
    detail = client.get(reverse("admin:mfa_authenticator_change", args=[authenticator.pk]))

    assert (listing.status_code, detail.status_code) == (200, 200)
    assert TOTP_SECRET not in detail.content.decode()
