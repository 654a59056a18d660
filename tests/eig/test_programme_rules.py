"""eig/programme/rules.py, pinned: who holds each permission on administrations and
memberships."""

import pytest

from eig.accounts.models import Role
from eig.programme.services import membership_request
from tests.factories import (
    AdministrationFactory,
    AgentFactory,
    CandidateFactory,
    JurorFactory,
    SignatoryAgentFactory,
    UserFactory,
)
from tests.permissions import perms_declared, roles_of, table_mismatches

pytestmark = pytest.mark.django_db

STAFF = {"staff", "superuser"}
MEMBERS = {"member", "signatory"}

# Permission -> {object: roles that hold it}; every other role must not.
TABLE = {
    "programme.choose_administration": {None: MEMBERS | {"requester", "agent_other"}},
    # A pending requester is not a member yet; a juror of the administration (verified member,
    # no agent role) is.
    "programme.manage_members": {
        "administration": MEMBERS | {"juror"} | STAFF,
        "administration_other": {"agent_other"} | STAFF,
    },
    "programme.name_signatory": {"administration": {"signatory"} | STAFF},
    "programme.examine_membership": {
        "request": MEMBERS | {"juror"} | STAFF,
        "membership": MEMBERS | {"juror"} | STAFF,
    },
    # One's own request or membership; staff end anyone's.
    "programme.end_membership": {
        "request": {"requester"} | STAFF,
        "membership": {"member"} | STAFF,
    },
    "programme.remove_membership": {"membership": STAFF},
    "programme.grant_membership": {None: STAFF},
}


@pytest.fixture
def world():
    administration = AdministrationFactory()
    member = AgentFactory(administration=administration)
    requester = UserFactory(roles=[Role.AGENT])
    request = membership_request(user=requester, administration=administration)
    agent_other = AgentFactory()
    users = {
        "anonymous": None,
        "member": member,
        "signatory": SignatoryAgentFactory(administration=administration),
        "requester": requester,
        "agent_other": agent_other,
        "juror": JurorFactory(administration=administration),
        "candidate": CandidateFactory(),
        "coach": UserFactory(roles=[Role.COACH]),
        "staff": UserFactory(roles=[Role.STAFF]),
        "superuser": UserFactory(is_superuser=True, is_staff=True),
    }
    objects = {
        None: None,
        "administration": administration,
        "administration_other": agent_other.administration,
        "request": request,
        "membership": member.memberships.get(),
    }
    return users, objects


def test_programme_rules_table_pins_every_permission():
    assert set(TABLE) == perms_declared("programme")


def test_programme_rules_answer_as_the_table(world):
    users, objects = world

    assert roles_of(TABLE) <= set(users)
    assert table_mismatches(users, objects, TABLE) == []
