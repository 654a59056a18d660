"""funding/rules.py, pinned: who holds each permission on conventions and budgets."""

from decimal import Decimal

import pytest

from eig.accounts.models import Role
from eig.programme.services import membership_request
from funding.services import preparation
from tests.factories import (
    AgentFactory,
    CandidateFactory,
    JurorFactory,
    SignatoryAgentFactory,
    StaffFactory,
    UserFactory,
    funded_promotion,
    ministry,
    operator_of,
    selected_defi,
)
from tests.permissions import perms_declared, roles_of, table_mismatches

pytestmark = pytest.mark.django_db

STAFF = {"staff", "superuser"}
AGENTS = {"signatory", "member", "host_member", "agent_other", "agent_pending"}

# Permission -> {object: roles that hold it}; every other role must not.
TABLE = {
    # The signatory administration's verified members and those of the operator whose défi
    # it signs for; a pending request reads nothing.
    "funding.read_convention": {"convention": {"signatory", "member", "host_member"} | STAFF},
    # Its named signatories; staff upload the signed PDF they received by mail.
    "funding.sign_convention": {"convention": {"signatory"} | STAFF},
    "funding.manage_convention": {"convention": STAFF},
    "funding.list_own_conventions": {None: AGENTS},
    "funding.read_budget": {"promotion": STAFF, None: STAFF},
    "funding.prepare_conventions": {"promotion": STAFF},
}


@pytest.fixture
def world():
    promotion = funded_promotion("6", envelope=Decimal("100000.00"))
    signatory_administration = ministry(name="Ministère de la Culture", budget_programme="361")
    operator = operator_of(signatory_administration, name="Bibliothèque nationale de France")
    selected_defi(promotion, operator, positions=1)
    # The PDF render waits for the commit, which never comes in this test.
    convention = preparation.convention_prepare(
        promotion=promotion, administration=signatory_administration, actor=StaffFactory()
    )
    pending = UserFactory(roles=[Role.AGENT])
    membership_request(user=pending, administration=signatory_administration)
    users = {
        "anonymous": None,
        "signatory": SignatoryAgentFactory(administration=signatory_administration),
        "member": AgentFactory(administration=signatory_administration),
        "host_member": AgentFactory(administration=operator),
        "agent_other": SignatoryAgentFactory(),
        "agent_pending": pending,
        # A member of the signatory administration, but no agent.
        "juror": JurorFactory(administration=signatory_administration),
        "candidate": CandidateFactory(),
        "coach": UserFactory(roles=[Role.COACH]),
        "staff": UserFactory(roles=[Role.STAFF]),
        "superuser": UserFactory(is_superuser=True, is_staff=True),
    }
    return users, {"convention": convention, "promotion": promotion, None: None}


def test_funding_rules_table_pins_every_permission():
    assert set(TABLE) == perms_declared("funding")


def test_funding_rules_answer_as_the_table(world):
    users, objects = world

    assert roles_of(TABLE) <= set(users)
    assert table_mismatches(users, objects, TABLE) == []
