"""eig/jury/rules.py, pinned: who holds each permission on the jury's objects."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from rules.permissions import permissions as declared

from eig.accounts.models import Role
from eig.jury.hearings import hearing_slot_create
from eig.jury.models import JuryGroup
from projects.models import DefiConflict, DefiEvaluation, DefiReview
from tests.eig.jury.test_booking_rules import TABLE as BOOKING_TABLE
from tests.factories import (
    AgentFactory,
    CandidateFactory,
    ClosedProjectCallFactory,
    JuryMemberFactory,
    UserFactory,
    jury_for_call,
    submitted_defi,
)

pytestmark = pytest.mark.django_db

STAFF = {"staff"}

# Permission -> {object: roles that hold it}; every other role must not.
TABLE = {
    "jury.manage_jury": {None: STAFF},
    # The juror the evaluation is given to, while on the jury and without conflict.
    "jury.evaluate_evaluation": {"evaluation": {"juror"}},
    "jury.read_evaluation": {"evaluation": {"juror"} | STAFF},
    # A juror declares conflicts on their own membership only.
    "jury.declare_conflict": {"membership": {"juror"}},
    # The hearing group's members without conflict, and staff.
    "jury.record_hearing": {"review": {"juror"} | STAFF},
}


@pytest.fixture
def world():
    call = ClosedProjectCallFactory()
    jury = jury_for_call(call, jurors=0)
    defi = submitted_defi(call)
    juror, other, conflicted = (JuryMemberFactory(jury=jury) for _ in range(3))
    evaluation = DefiEvaluation.objects.create(member=juror, defi=defi)
    DefiConflict.objects.create(member=conflicted, defi=defi, reason="Ancien conseiller")
    group = JuryGroup.objects.create(jury=jury, name="Groupe A")
    group.members.set([juror, conflicted])
    starts_at = call.closes_at + datetime.timedelta(days=30)
    slot = hearing_slot_create(
        jury=jury,
        group=group,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(minutes=40),
        location="Salle 1",
        video_url="",
    )
    review = DefiReview.objects.create(jury=jury, defi=defi, slot=slot)
    users = {
        "anonymous": None,
        "juror": juror.user,
        "juror_other": other.user,
        "juror_conflicted": conflicted.user,
        "juror_other_jury": JuryMemberFactory().user,
        "agent": AgentFactory(administration=defi.administration),
        "candidate": CandidateFactory(),
        "coach": UserFactory(roles=[Role.COACH]),
        "staff": UserFactory(roles=[Role.STAFF]),
    }
    objects = {"evaluation": evaluation, "membership": juror, "review": review, None: None}
    return users, objects


def _mismatches(users, objects, table) -> list[str]:
    mismatches = []
    for perm, by_object in table.items():
        for key, allowed in by_object.items():
            for role, user in users.items():
                expected = role in allowed
                if (user or AnonymousUser()).has_perm(perm, objects[key]) != expected:
                    mismatches.append(f"{perm} · {key} · {role} : attendu {expected}")
    return mismatches


def test_jury_rules_table_pins_every_permission():
    # The booking rule has its own table (test_booking_rules.py): its objects are dossiers.
    pinned = set(TABLE) | set(BOOKING_TABLE)
    assert pinned == {name for name in declared if name.startswith("jury.")}


def test_jury_rules_answer_as_the_table(world):
    users, objects = world

    assert _mismatches(users, objects, TABLE) == []
