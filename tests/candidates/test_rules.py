"""candidates/rules.py, pinned: who holds each permission on calls and applications."""

import pytest
from django.utils import timezone

from candidates import services
from candidates.models import Application
from eig.accounts.models import Role
from tests.factories import (
    AgentFactory,
    CandidateCallFactory,
    CandidateFactory,
    JurorFactory,
    UserFactory,
)
from tests.permissions import perms_declared, roles_of, table_mismatches

pytestmark = pytest.mark.django_db

LOGGED_IN = {"applicant", "candidate_other", "agent", "juror", "coach", "staff", "superuser"}

# Permission -> {object: roles that hold it}; every other role must not.
TABLE = {
    "candidates.read_call": {"call": LOGGED_IN | {"anonymous", "inactive_candidate"}},
    # Candidates apply; nobody else does, staff included (they run the selection), nor an
    # account closed by the programme.
    "candidates.apply_to_call": {"call": {"applicant", "candidate_other"}},
    "candidates.edit_application": {"application": {"applicant"}},
    # Staff read an application once handed in, never a draft; its candidate reads it on
    # their own pages (`edit_application`), not on the staff's.
    "candidates.read_application": {
        "application": set(),
        "submitted": {"staff", "superuser"},
        "withdrawn_draft": set(),
    },
    # The talent pool: programme staff only (the superuser holds every role's rights).
    "candidates.read_pool": {"pool": {"staff", "superuser"}},
}


@pytest.fixture
def world():
    call = CandidateCallFactory()
    applicant = CandidateFactory()
    application = services.application_start(call=call, candidate=applicant)
    submitted = services.application_start(call=call, candidate=CandidateFactory())
    Application.objects.filter(pk=submitted.pk).update(
        state=Application.State.SUBMITTED, submitted_at=timezone.now()
    )
    submitted.refresh_from_db()
    withdrawn_draft = services.application_start(call=call, candidate=CandidateFactory())
    Application.objects.filter(pk=withdrawn_draft.pk).update(state=Application.State.WITHDRAWN)
    withdrawn_draft.refresh_from_db()
    users = {
        "anonymous": None,
        "applicant": applicant,
        "candidate_other": CandidateFactory(),
        "inactive_candidate": CandidateFactory(is_active=False),
        "agent": AgentFactory(),
        "juror": JurorFactory(),
        "coach": UserFactory(roles=[Role.COACH]),
        "staff": UserFactory(roles=[Role.STAFF]),
        "superuser": UserFactory(is_superuser=True, is_staff=True),
    }
    # The pool is asked about as a whole: no object.
    objects = {
        "call": call,
        "application": application,
        "submitted": submitted,
        "withdrawn_draft": withdrawn_draft,
        "pool": None,
    }
    return users, objects


def test_candidates_rules_table_pins_every_permission():
    assert set(TABLE) == perms_declared("candidates")


def test_candidates_rules_answer_as_the_table(world):
    users, objects = world

    assert roles_of(TABLE) <= set(users)
    assert table_mismatches(users, objects, TABLE) == []
