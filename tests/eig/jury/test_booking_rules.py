"""eig/jury/rules.py, pinned: who books a dossier's slot, on every domain (a défi's
editors; an application's candidate)."""

import pytest

from eig.accounts.models import Role
from tests.factories import (
    AdministrationFactory,
    AgentFactory,
    CandidateFactory,
    DefiFactory,
    JurorFactory,
    UserFactory,
)
from tests.jury_domain.factories import EntryFactory
from tests.permissions import roles_of, table_mismatches

pytestmark = pytest.mark.django_db

# Permission -> {object: roles that hold it}; every other role must not.
TABLE = {
    "jury.book_slot": {
        # Its author and invited co-editors, not every member of its administration.
        "defi": {"author", "coeditor"},
        "entry": {"candidate"},
        "entry_erased": set(),
    },
}


@pytest.fixture
def world():
    administration = AdministrationFactory()
    author = AgentFactory(administration=administration)
    coeditor = AgentFactory(administration=administration)
    candidate = CandidateFactory()
    defi = DefiFactory(owner=author, administration=administration)
    defi.collaborators.add(coeditor)
    users = {
        "anonymous": None,
        "author": author,
        "coeditor": coeditor,
        "colleague": AgentFactory(administration=administration),
        "agent_other": AgentFactory(),
        "candidate": candidate,
        "candidate_other": CandidateFactory(),
        "juror": JurorFactory(administration=administration),
        "coach": UserFactory(roles=[Role.COACH]),
        "staff": UserFactory(roles=[Role.STAFF]),
        "superuser": UserFactory(is_superuser=True, is_staff=True),
    }
    objects = {
        "defi": defi,
        "entry": EntryFactory(owner=candidate),
        # The candidate erased their account: nobody books for the application any more.
        "entry_erased": EntryFactory(owner=None),
    }
    return users, objects


def test_booking_rules_answer_as_the_table(world):
    users, objects = world

    assert roles_of(TABLE) <= set(users)
    assert table_mismatches(users, objects, TABLE) == []


def test_jury_book_slot_on_an_object_of_no_domain_is_refused(world):
    users, _objects = world

    assert not users["author"].has_perm("jury.book_slot", users["author"])
    assert not users["author"].has_perm("jury.book_slot", None)
