"""eig/accounts/rules.py, pinned: the personal space is each person's own."""

import pytest

from eig.accounts.models import Role
from tests.factories import AgentFactory, CandidateFactory, JurorFactory, UserFactory
from tests.permissions import SELF, perms_declared, roles_of, table_mismatches

pytestmark = pytest.mark.django_db

SIGNED_IN = {"agent", "juror", "candidate", "coach", "staff", "superuser", "no_role"}

# Permission -> {object: roles that hold it}; every other role must not.
TABLE = {
    "accounts.read_user": {"self": SIGNED_IN, "someone": set()},
    "accounts.edit_user": {"self": SIGNED_IN, "someone": set()},
    "accounts.export_user": {"self": SIGNED_IN, "someone": set()},
    # Staff are removed by another member of the team, in the admin.
    "accounts.erase_user": {"self": SIGNED_IN - {"staff", "superuser"}, "someone": set()},
}


@pytest.fixture
def world():
    users = {
        "anonymous": None,
        "agent": AgentFactory(),
        "juror": JurorFactory(),
        "candidate": CandidateFactory(),
        "coach": UserFactory(roles=[Role.COACH]),
        "staff": UserFactory(roles=[Role.STAFF]),
        "superuser": UserFactory(is_superuser=True, is_staff=True),
        "no_role": UserFactory(),
        "inactive": UserFactory(roles=[Role.AGENT], is_active=False),
    }
    return users, {"self": SELF, "someone": UserFactory()}


def test_accounts_rules_table_pins_every_permission():
    assert set(TABLE) == perms_declared("accounts")


def test_accounts_rules_answer_as_the_table(world):
    users, objects = world

    assert roles_of(TABLE) <= set(users)
    assert table_mismatches(users, objects, TABLE) == []
