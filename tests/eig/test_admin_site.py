import html
import re

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from dsfr.models import DsfrConfig

from candidates.jury import CANDIDATE_JURY
from candidates.models import Application, ApplicationConflict, PoolAccess
from candidates.services import application_access_record
from eig.admin_site import AccessibleAdminMixin
from eig.jury.services import conflict_declare
from tests.factories import (
    CandidateCallFactory,
    CandidateFactory,
    JuryFactory,
    JuryMemberFactory,
    StaffFactory,
)


def test_admin_site_every_model_admin_names_its_widgets():
    assert all(isinstance(ma, AccessibleAdminMixin) for ma in admin.site._registry.values())
    assert DsfrConfig in admin.site._registry


def test_admin_change_form_names_date_time_parts_and_inline_inputs(client, db):
    jury = JuryFactory()
    JuryMemberFactory(jury=jury)
    client.force_login(StaffFactory())

    response = client.get(reverse("admin:jury_jury_change", args=[jury.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_scoring_deadline_0"' in html
    assert 'aria-label="Date limite des évaluations (date)"' in html
    assert 'aria-label="Date limite des évaluations (heure)"' in html
    assert 'aria-label="Supprimer"' in _tag(html, "members-0-DELETE")
    assert 'aria-label="Juré"' in _tag(html, "members-0-user")


def _tag(html, name):
    return re.search(rf'<(?:input|select)[^>]*name="{name}"[^>]*>', html).group(0)


def _application_logs():
    """A reading logged by the staff's page of an application, and a conflict a juror
    declared on it, as their services write them."""
    jury = JuryFactory(domain="candidatures")
    call = CandidateCallFactory(jury=jury)
    application = Application.objects.create(
        call=call,
        candidate=CandidateFactory(last_name="Dupont-Lecteur"),
        state=Application.State.SUBMITTED,
        submitted_at=timezone.now(),
    )
    access = application_access_record(
        application=application, viewer=StaffFactory(), kind=PoolAccess.Kind.APPLICATION
    )
    member = JuryMemberFactory(jury=jury)
    conflict = conflict_declare(
        domain=CANDIDATE_JURY, member=member, dossier=application, reason="Ancien collègue"
    )
    return access, conflict


@pytest.mark.parametrize(
    ("model", "title"),
    [
        (PoolAccess, "consultation d'une candidature"),
        (ApplicationConflict, "conflit d'intérêts déclaré"),
    ],
)
def test_admin_application_logs_are_read_only_listed_searched_and_titled(client, db, model, title):
    objects = dict(zip([PoolAccess, ApplicationConflict], _application_logs(), strict=True))
    obj = objects[model]
    client.force_login(StaffFactory())
    info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    before = model.objects.count()

    listed = client.get(reverse(f"{info}_changelist"), {"q": "Dupont-Lecteur"})
    change = client.get(reverse(f"{info}_change", args=[obj.pk]))

    assert listed.status_code == 200
    assert list(listed.context["cl"].result_list) == [obj]
    assert title in html.unescape(_title(listed)).replace("’", "'")
    assert change.status_code == 200
    assert title in html.unescape(_title(change)).replace("’", "'")
    assert reverse(f"{info}_add") not in listed.content.decode()
    assert 'name="_save"' not in change.content.decode()
    assert client.post(reverse(f"{info}_add")).status_code == 403
    assert client.post(reverse(f"{info}_change", args=[obj.pk])).status_code == 403
    assert client.post(reverse(f"{info}_delete", args=[obj.pk]), {"post": "yes"}).status_code == 403
    assert model.objects.count() == before


def _title(response) -> str:
    return re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1)
