"""The same person from two accounts: flagged to staff, never merged."""

import pytest
from django.urls import reverse

from candidates import services
from candidates.models import Application
from candidates.sections import SECTIONS_BY_KEY
from candidates.selectors import application_possible_duplicates, applications_with_duplicate_flag
from tests.candidates.test_applications import _cv
from tests.factories import CandidateCallFactory, CandidateFactory, StaffFactory

pytestmark = pytest.mark.django_db


def _apply(call, *, first="Léa", last="Martin", **data):
    candidate = CandidateFactory(first_name=first, last_name=last)
    application = services.application_start(call=call, candidate=candidate)
    for key in ("presentation", "informations"):
        section = SECTIONS_BY_KEY[key]
        values = {name: value for name, value in data.items() if name in section.fields}
        if values:
            services.application_update_section(
                application=application, actor=candidate, section=section, data=values
            )
    return Application.objects.get(pk=application.pk)


def _reasons(application):
    return {other.pk: reasons for other, reasons in application_possible_duplicates(application)}


def test_the_same_cv_phone_or_name_and_birth_year_are_flagged():
    call = CandidateCallFactory()
    first = _apply(call, cv=_cv(), phone="06 12 34 56 78", birth_year=1990)
    same_cv = _apply(call, first="Paul", last="Durand", cv=_cv())
    same_phone = _apply(call, first="Zoé", last="Petit", phone="+33 6 12 34 56 78")
    same_name = _apply(call, first="LÉA", last="martin", birth_year=1990)
    other_year = _apply(call, first="Léa", last="Martin", birth_year=1991)
    _apply(CandidateCallFactory(), cv=_cv())  # another call: another story

    assert _reasons(first) == {
        same_cv.pk: ["même CV"],
        same_phone.pk: ["même téléphone"],
        same_name.pk: ["même nom et même année de naissance"],
    }
    flagged = set(
        applications_with_duplicate_flag(Application.objects.filter(call=call))
        .filter(possible_duplicate=True)
        .values_list("pk", flat=True)
    )
    assert flagged == {first.pk, same_cv.pk, same_phone.pk, same_name.pk}
    assert other_year.pk not in flagged


def test_staff_see_the_possible_duplicates_in_the_admin(client):
    call = CandidateCallFactory()
    first = _apply(call, phone="06 12 34 56 78")
    second = _apply(call, first="Zoé", last="Petit", phone="0612345678")
    client.force_login(StaffFactory())
    listing = client.get(reverse("admin:candidates_application_changelist"), {"doublon": "oui"})
    assert listing.status_code == 200
    content = listing.content.decode()
    assert str(first) in content and str(second) in content
    page = client.get(reverse("admin:candidates_application_change", args=[first.pk]))
    content = page.content.decode()
    assert reverse("admin:candidates_application_change", args=[second.pk]) in content
    assert "même téléphone" in content
    # Read only: no adding, no deleting, nothing to save.
    assert client.get(reverse("admin:candidates_application_add")).status_code == 403
    assert (
        client.post(reverse("admin:candidates_application_delete", args=[first.pk])).status_code
        == 403
    )
