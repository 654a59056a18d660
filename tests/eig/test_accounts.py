import json
import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from eig.accounts.models import Role, User
from eig.accounts.services import user_grant_role, user_set_roles
from tests.factories import PASSWORD, AgentFactory, DefiFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


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
    assert defi.transitions.get().actor is None


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
    client.force_login(user)
    granted = client.get(reverse("admin:projects_defi_changelist"))
    user_set_roles(user=user, roles=[Role.JUROR])
    user = User.objects.get(pk=user.pk)
    client.force_login(user)
    revoked = client.get(reverse("admin:projects_defi_changelist"))

    assert granted.status_code == 200
    assert revoked.status_code == 302
    assert not user.is_staff and not user.groups.exists()
