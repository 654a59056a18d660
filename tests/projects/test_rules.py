"""projects/rules.py, pinned: who holds each permission on calls and défis."""

import pytest

from eig.accounts.models import Role
from eig.programme.services import membership_request
from tests.factories import (
    AdministrationFactory,
    AgentFactory,
    CandidateFactory,
    DefiFactory,
    JurorFactory,
    ProjectCallFactory,
    UserFactory,
)
from tests.permissions import perms_declared, roles_of, table_mismatches

pytestmark = pytest.mark.django_db

EDITORS = {"author", "coeditor"}
LOGGED_IN = {
    "author",
    "coeditor",
    "colleague",
    "agent_other",
    "agent_pending",
    "juror",
    "candidate",
    "coach",
    "staff",
    "superuser",
}

# Permission -> {object: roles that hold it}; every other role must not.
TABLE = {
    "projects.read_call": {"call": LOGGED_IN | {"anonymous"}},
    # A verified member of an administration, with the agent role (the juror is a member of
    # theirs, but no agent).
    "projects.start_defi": {"call": {"author", "coeditor", "colleague", "agent_other"}},
    "projects.read_defi": {
        "defi": EDITORS | {"staff", "superuser"},
        "defi_elsewhere": {"author", "staff", "superuser"},
    },
    "projects.edit_defi": {"defi": EDITORS, "defi_elsewhere": {"author"}},
    "projects.submit_defi": {"defi": EDITORS, "defi_elsewhere": {"author"}},
    "projects.reopen_defi": {"defi": EDITORS, "defi_elsewhere": {"author"}},
    "projects.withdraw_defi": {"defi": EDITORS, "defi_elsewhere": {"author"}},
    "projects.restore_defi": {"defi": EDITORS, "defi_elsewhere": {"author"}},
    # An editor who is no longer a member of the défi's administration invites nobody.
    "projects.invite_to_defi": {"defi": EDITORS, "defi_elsewhere": set()},
}


@pytest.fixture
def world():
    administration = AdministrationFactory()
    author = AgentFactory(administration=administration)
    coeditor = AgentFactory(administration=administration)
    pending = UserFactory(roles=[Role.AGENT])
    membership_request(user=pending, administration=administration)
    call = ProjectCallFactory()
    defi = DefiFactory(call=call, owner=author, administration=administration)
    defi.collaborators.add(coeditor)
    # A défi of another administration the author still writes (they changed administration).
    elsewhere = DefiFactory(call=call, owner=author, administration=AdministrationFactory())
    users = {
        "anonymous": None,
        "author": author,
        "coeditor": coeditor,
        "colleague": AgentFactory(administration=administration),
        "agent_other": AgentFactory(),
        "agent_pending": pending,
        "juror": JurorFactory(administration=administration),
        "candidate": CandidateFactory(),
        "coach": UserFactory(roles=[Role.COACH]),
        "staff": UserFactory(roles=[Role.STAFF]),
        "superuser": UserFactory(is_superuser=True, is_staff=True),
    }
    return users, {"call": call, "defi": defi, "defi_elsewhere": elsewhere}


def test_projects_rules_table_pins_every_permission():
    assert set(TABLE) == perms_declared("projects")


def test_projects_rules_answer_as_the_table(world):
    users, objects = world

    assert roles_of(TABLE) <= set(users)
    assert table_mismatches(users, objects, TABLE) == []
