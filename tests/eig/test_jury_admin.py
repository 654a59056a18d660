import pytest
from django.urls import reverse

from eig.jury.models import Jury
from tests.factories import JurorFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory())
    return client


def _form(**extra):
    data = {
        "name": "Jury EIG 8",
        "domain": "defis",
        "jurors_per_dossier": "3",
        "score_visibility": "after_own",
        "scoring_deadline_0": "",
        "scoring_deadline_1": "",
        "spread_threshold": "2",
        "apply_preset": "",
        "criteria-TOTAL_FORMS": "0",
        "criteria-INITIAL_FORMS": "0",
        "members-TOTAL_FORMS": "0",
        "members-INITIAL_FORMS": "0",
    }
    data.update(extra)
    return data


def test_admin_creates_a_jury_on_a_preset_grid_with_its_pool(staff_client):
    juror = JurorFactory()

    response = staff_client.post(
        reverse("admin:jury_jury_add"),
        _form(
            apply_preset="p4",
            **{
                "members-TOTAL_FORMS": "1",
                "members-0-user": str(juror.pk),
                "members-0-expertise": ["design", "developpement"],
            },
        ),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    jury = Jury.objects.get(name="Jury EIG 8")
    assert jury.preset == "p4"
    assert jury.criteria.count() == 5
    assert jury.criteria.first().scale_labels["4"] == "excellent"
    member = jury.members.get()
    assert (member.user, sorted(member.expertise)) == (juror, ["design", "developpement"])


def test_admin_refuses_a_pool_member_without_the_juror_role(staff_client):
    not_a_juror = StaffFactory()

    response = staff_client.post(
        reverse("admin:jury_jury_add"),
        _form(**{"members-TOTAL_FORMS": "1", "members-0-user": str(not_a_juror.pk)}),
    )

    assert response.status_code == 200
    assert not Jury.objects.exists()


def test_admin_refuses_a_grid_with_an_inverted_scale(staff_client):
    response = staff_client.post(
        reverse("admin:jury_jury_add"),
        _form(
            **{
                "criteria-TOTAL_FORMS": "1",
                "criteria-0-position": "1",
                "criteria-0-name": "Impact",
                "criteria-0-weight": "1",
                "criteria-0-scale_min": "4",
                "criteria-0-scale_max": "1",
                "criteria-0-scale_labels": "{}",
            }
        ),
    )

    assert response.status_code == 200
    assert "L&#x27;échelle va d&#x27;une note minimale" in response.content.decode()
    assert not Jury.objects.exists()


def test_admin_inline_builds_no_more_forms_than_its_maximum(staff_client):
    response = staff_client.post(
        reverse("admin:jury_jury_add"), _form(**{"criteria-TOTAL_FORMS": "1003"})
    )

    assert response.status_code == 200
    formset = next(
        f.formset
        for f in response.context["inline_admin_formsets"]
        if f.formset.prefix == "criteria"
    )
    assert len(formset.forms) == 30
    assert formset.non_form_errors() == ["Veuillez soumettre au plus 30 formulaires."]
    assert not Jury.objects.exists()


def test_admin_lists_each_jury_with_the_call_of_its_domain(staff_client, kit):
    jury = kit.jury()

    content = staff_client.get(reverse("admin:jury_jury_changelist")).content.decode()

    assert str(kit.call(jury)) in content
    assert "rattachez le jury" not in content
