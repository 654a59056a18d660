from decimal import Decimal

import pytest
from django.core.management import call_command

from funding.models import Convention, ConventionVersion

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_demo_conventions_sent_to_the_ministry_of_culture():
    call_command("load_demo")
    call_command("load_demo_conventions")
    call_command("load_demo")
    call_command("load_demo_conventions")

    # The défis the demo's call for candidates recruits for are selected too: each of their
    # administrations has its convention; the Ministry of Culture's is the demo's own.
    assert Convention.objects.filter(promotion__code="8").count() == 9
    convention = Convention.objects.get(administration__name="Ministère de la Culture")
    version = convention.versions.get()
    assert (convention.administration.name, convention.kind) == (
        "Ministère de la Culture",
        "partenariat",
    )
    assert (version.state, version.eig_count) == (ConventionVersion.State.SENT, 3)
    # P7 rules: seuil 1 full time, seuil 2 full time, seuil 1 at 4/5, 12 months, all paid.
    assert version.cofinancing == Decimal("93749.64") + Decimal("114455.76") + Decimal("74999.76")
    assert version.pdf and len(version.checksum) == 64


def test_demo_agents_are_verified_members_and_agent_culture_signs():
    from eig.accounts.models import User
    from eig.programme.models import AdministrationMembership

    call_command("load_demo")
    call_command("load_demo_conventions")
    call_command("load_demo")

    memberships = {
        m.user.email: m
        for m in AdministrationMembership.objects.select_related("user", "administration")
    }
    assert sorted(memberships) == ["agent.culture@demo.eig.fr", "agent.dinum@demo.eig.fr"]
    assert all(m.state == "verified" for m in memberships.values())
    culture = memberships["agent.culture@demo.eig.fr"]
    assert culture.is_signatory and not memberships["agent.dinum@demo.eig.fr"].is_signatory
    assert culture.administration.email_domains == ["culture.gouv.fr"]
    convention = Convention.objects.get(administration__name="Ministère de la Culture")
    assert convention.signatory and convention.dinum_signatory
    culture_agent = User.objects.get(email="agent.culture@demo.eig.fr")
    assert not culture_agent.is_programme_staff
    assert culture_agent.has_perm("funding.sign_convention", convention)
