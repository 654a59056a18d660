"""Promotion 5's way: the wishes asked after the pre-selection, of the pre-selected only,
with their own deadline."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from candidates import services
from candidates.models import Application
from candidates.sections import SECTIONS_BY_KEY
from eig.exceptions import DeadlinePassed, DomainError
from tests.candidates.test_applications import COMPLETE, _cv, _positions
from tests.factories import CandidateCallFactory, CandidateFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def preselected():
    now = timezone.now()
    call = CandidateCallFactory(wishes_timing="after_preselection", wishes_closes_at=now + 60 * DAY)
    positions = _positions(call)
    candidate = CandidateFactory()
    application = services.application_start(call=call, candidate=candidate)
    for key, data in COMPLETE.items():
        services.application_update_section(
            application=application, actor=candidate, section=SECTIONS_BY_KEY[key], data=data
        )
    services.application_update_section(
        application=application,
        actor=candidate,
        section=SECTIONS_BY_KEY["presentation"],
        data={"cv": _cv()},
    )
    # No wishes with the application: it is complete without them.
    services.application_submit(application=application, actor=candidate)
    type(call).objects.filter(pk=call.pk).update(closes_at=now - DAY, opens_at=now - 30 * DAY)
    services.application_jury_move(dossier=application, to_state="shortlisted", actor=None)
    application = Application.objects.get(pk=application.pk)
    assert application.state == Application.State.PRESELECTED
    return application, candidate, positions


def test_the_preselected_rank_their_wishes_until_the_wishes_deadline(preselected, client):
    application, candidate, positions = preselected
    call = application.call
    client.force_login(candidate)
    page = client.get(reverse("accounts:dashboard")).content.decode()
    assert "Vœux à classer" in page
    page = client.get(reverse("candidates:application", args=[call.slug])).content.decode()
    assert "classer mes vœux" in page

    response = client.post(
        reverse("candidates:application_wishes", args=[call.slug]),
        {f"voeu_{rank}": p.pk for rank, p in enumerate(positions[:3], start=1)},
    )
    assert response.status_code == 302
    assert application.wishes.filter(withdrawn_at__isnull=True).count() == 3
    assert "Vœux à classer" not in client.get(reverse("accounts:dashboard")).content.decode()

    # A pre-selected candidate may also withdraw one wish.
    wish = application.wishes.get(rank=2)
    services.wish_withdraw(wish=wish, actor=candidate)
    with pytest.raises(DeadlinePassed):
        services.application_set_wishes(
            application=application,
            actor=candidate,
            position_ids=[p.pk for p in positions[:3]],
            now=call.wishes_closes_at,
        )


def test_applications_not_preselected_give_no_wishes(preselected):
    application, candidate, positions = preselected
    services.application_jury_move(dossier=application, to_state="submitted", actor=None)
    with pytest.raises(DomainError) as error:
        services.application_set_wishes(
            application=application, actor=candidate, position_ids=[p.pk for p in positions[:3]]
        )
    assert error.value.code == "wishes_later"
