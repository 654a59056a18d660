"""What the jury engine knows of défis alone (projects/jury.py and the défi's juror data):
conflicts by administration and ministry, expertise by the profiles sought, the juror's
personal data. The engine's own behaviour is tested on every domain in tests/eig/."""

import json

import pytest
from django.urls import reverse

from eig.accounts.models import User
from eig.jury import services
from eig.programme.models import Administration, Specialty
from projects.jury import DEFI_JURY
from projects.models import DefiEvaluation
from tests.factories import (
    PASSWORD,
    AdministrationFactory,
    JuryMemberFactory,
    ProjectCallFactory,
    StaffFactory,
    jury_for_call,
    submitted_defi,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return StaffFactory()


@pytest.fixture
def call():
    return ProjectCallFactory()


def _pairs(jury):
    return set(DefiEvaluation.objects.filter(member__jury=jury).values_list("defi_id", "member_id"))


def test_jury_assign_never_gives_a_juror_a_defi_of_their_administration_or_ministry(call, staff):
    ministry = AdministrationFactory(kind=Administration.Kind.MINISTRY)
    operator = AdministrationFactory(kind=Administration.Kind.OPERATOR, parent=ministry)
    jury = jury_for_call(call, jurors=3, k=2)
    same_admin = JuryMemberFactory(jury=jury, user__administration=operator)
    same_ministry = JuryMemberFactory(jury=jury, user__administration=ministry)
    defi = submitted_defi(call, owner__administration=operator)

    result = services.jury_assign(domain=DEFI_JURY, jury=jury, actor=staff)

    assert result.feasible
    assigned = {member for d, member in _pairs(jury) if d == defi.pk}
    assert same_admin.pk not in assigned
    assert same_ministry.pk not in assigned
    assert len(assigned) == 2


def test_jury_assign_matches_expertise_with_any_profile_the_defi_seeks(call, staff):
    jury = jury_for_call(call, jurors=0, k=1)
    designer = JuryMemberFactory(jury=jury, expertise=[Specialty.DESIGN])
    JuryMemberFactory(jury=jury, expertise=[Specialty.LAW] if hasattr(Specialty, "LAW") else [])
    defi = submitted_defi(call)  # seeks development and data science
    defi.positions.filter(rank=2).update(specialty=Specialty.DESIGN)

    services.jury_assign(domain=DEFI_JURY, jury=jury, actor=staff)

    assert _pairs(jury) == {(defi.pk, designer.pk)}


def test_juror_export_and_erasure_keep_the_jurys_work(call, staff, client):
    jury = jury_for_call(call, jurors=1, k=1, criteria=2)
    submitted_defi(call)
    services.jury_assign(domain=DEFI_JURY, jury=jury, actor=staff)
    evaluation = DefiEvaluation.objects.select_related("member__user", "member__jury").get()
    juror = evaluation.member.user
    services.evaluation_save(
        domain=DEFI_JURY,
        evaluation=evaluation,
        actor=juror,
        version=0,
        scores={criterion.pk: (3, "") for criterion in jury.criteria.all()},
        overall_comment="Solide",
        submit=True,
    )
    client.force_login(juror)

    data = json.loads(client.get(reverse("accounts:personal_data_export")).content)
    assert data["jury"][0]["evaluations"][0]["appreciation_generale"] == "Solide"
    assert {note["note"] for note in data["jury"][0]["evaluations"][0]["notes"]} == {3}

    response = client.post(
        reverse("accounts:personal_data"), {"password": PASSWORD, "confirm": "on"}, follow=True
    )
    assert "membre d&#x27;un jury en cours" in response.content.decode()
    assert User.objects.filter(pk=juror.pk).exists()

    services.member_withdraw(domain=DEFI_JURY, member=evaluation.member, actor=staff)
    client.post(reverse("accounts:personal_data"), {"password": PASSWORD, "confirm": "on"})

    assert not User.objects.filter(pk=juror.pk).exists()
    evaluation.refresh_from_db()
    assert evaluation.state == "submitted"
    assert str(evaluation.member) == "Juré dont le compte est supprimé"
