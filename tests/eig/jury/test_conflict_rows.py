"""The juror's conflicts page reads its dossiers as a few columns (the domain's
`conflict_fields`): what it shows and the domain's conflict rule find the same as on whole
dossiers, for every domain."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from eig.jury.screens import conflict_rows_for_juror
from eig.programme.models import Administration
from tests.factories import (
    AdministrationFactory,
    JurorFactory,
    JuryMemberFactory,
    operator_of,
)
from tests.jury_kit import KITS

pytestmark = pytest.mark.django_db


def _expected(domain, jury, member) -> dict:
    """Each row as whole dossiers give it."""
    dossiers = list(domain.dossiers(jury))
    automatic = domain.automatic_conflicts([member], dossiers)
    return {
        dossier.pk: (
            domain.label_for_juror(dossier),
            "" if domain.anonymous else domain.dossier_holder(dossier),
            automatic.get((dossier.pk, member.pk), ""),
        )
        for dossier in dossiers
    }


def _read(domain, member) -> dict:
    with CaptureQueriesContext(connection) as captured:
        rows = conflict_rows_for_juror(domain, member)
        read = {row["dossier"].pk: (row["label"], row["holder"], row["automatic"]) for row in rows}
    # The dossiers, the declared conflicts, the assignments: no field read after them.
    assert len(captured.captured_queries) == 3
    return read


def test_conflict_rows_from_a_few_columns_equal_those_of_whole_dossiers(kit):
    jury = kit.jury(closed=True)
    dossiers = [kit.dossier(jury, name=f"Dossier {index}") for index in range(3)]
    member = kit.conflicting_member(jury, dossiers[1])

    read = _read(kit.domain, member)

    assert read == _expected(kit.domain, jury, member)
    assert read[dossiers[1].pk][2] != ""
    assert read[dossiers[0].pk][2] == ""


def test_conflict_rows_from_a_few_columns_find_the_ministry_of_a_defi():
    # The ministry is the défis' rule alone.
    kit = KITS["defis"]
    jury = kit.jury(closed=True)
    ministry = AdministrationFactory(kind=Administration.Kind.MINISTRY)
    mine = kit.dossier(jury, administration=operator_of(ministry))
    kit.dossier(jury, administration=ministry)
    kit.dossier(jury, administration=AdministrationFactory())
    member = JuryMemberFactory(jury=jury, user=JurorFactory(administration=operator_of(ministry)))

    read = _read(kit.domain, member)

    assert read == _expected(kit.domain, jury, member)
    assert read[mine.pk][2].startswith("Même ministère")
    assert sum(1 for _label, _holder, automatic in read.values() if automatic) == 2
