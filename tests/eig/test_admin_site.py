import re

from django.contrib import admin
from django.urls import reverse
from dsfr.models import DsfrConfig

from eig.admin_site import AccessibleAdminMixin
from tests.factories import JuryFactory, JuryMemberFactory, StaffFactory


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
