import csv
import html
import io

import pytest
from django.urls import NoReverseMatch, reverse

from projects.models import Defi, ProjectCall
from tests.factories import AgentFactory, DefiFactory, ProjectCallFactory, StaffFactory, fill_defi

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory())
    return client


def test_admin_defi_changelist_filters_and_search(staff_client):
    draft = DefiFactory(title="Brouillon de la DGFiP")
    submitted = fill_defi(DefiFactory(title="Défi déposé", state=Defi.State.SUBMITTED))
    url = reverse("admin:projects_defi_changelist")

    by_state = staff_client.get(url, {"state__exact": "submitted"})
    by_kind = staff_client.get(url, {"administration__kind__exact": "ministere"})
    by_call = staff_client.get(url, {"call__id__exact": draft.call_id})
    by_search = staff_client.get(url, {"q": "DGFiP"})

    assert list(by_state.context["cl"].result_list) == [submitted]
    assert set(by_kind.context["cl"].result_list) == {draft, submitted}
    assert list(by_call.context["cl"].result_list) == [draft]
    assert list(by_search.context["cl"].result_list) == [draft]


def test_admin_defi_csv_export(staff_client):
    defi = fill_defi(DefiFactory(title="Défi exporté"))

    response = staff_client.post(
        reverse("admin:projects_defi_changelist"),
        {"action": "export_csv", "_selected_action": [defi.pk]},
    )

    content = response.content.decode("utf-8-sig")
    header, row = content.splitlines()[:2]
    assert header.startswith("id;appel;promotion;titre;administration")
    assert "Défi exporté" in row
    assert "Développement, Data science" in row


def test_admin_defi_csv_export_neutralises_formulas(staff_client):
    defi = fill_defi(DefiFactory(title='=HYPERLINK("http://exemple.org","Voir")'))
    defi.summary = "+33 1 40 00 00 00"
    defi.save(update_fields=["summary"])

    response = staff_client.post(
        reverse("admin:projects_defi_changelist"),
        {"action": "export_csv", "_selected_action": [defi.pk]},
    )

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    header = rows[0]
    row = dict(zip(header, rows[1], strict=True))
    assert row["titre"] == '\'=HYPERLINK("http://exemple.org","Voir")'
    assert row["résumé"] == "'+33 1 40 00 00 00"
    assert row["id"] == str(defi.pk)


def test_admin_defi_history_is_read_only(staff_client):
    defi = DefiFactory()

    response = staff_client.get(reverse("admin:projects_defi_change", args=[defi.pk]))

    assert response.status_code == 200
    # The history is a block under the form (eig.history.admin.HistoryMixin), not a form:
    # nothing in the page edits it, and the history has no admin page of its own.
    events = response.context["history_events"]
    assert [(e.action, e.from_state, e.to_state) for e in events] == [("created", "", "draft")]
    assert "Création" in html.unescape(response.content.decode())
    assert not any(
        f.opts.model._meta.label == "history.Event"
        for f in response.context["inline_admin_formsets"]
    )
    with pytest.raises(NoReverseMatch):
        reverse("admin:history_event_changelist")


def test_admin_refused_to_agents(client):
    client.force_login(AgentFactory())

    response = client.get(reverse("admin:projects_defi_changelist"))

    assert response.status_code == 302


@pytest.mark.parametrize("model", ["promotion", "administration"])
def test_admin_programme_pages_render(staff_client, model):
    response = staff_client.get(reverse(f"admin:programme_{model}_changelist"))

    assert response.status_code == 200


def test_admin_user_pages_edit_roles(staff_client):
    agent = AgentFactory()

    add = staff_client.get(reverse("admin:accounts_user_add"))
    change = staff_client.post(
        reverse("admin:accounts_user_change", args=[agent.pk]),
        {
            "email": agent.email,
            "first_name": "Jo",
            "last_name": "Doe",
            "roles": ["agent", "juror"],
            "administration": agent.administration_id,
            "is_active": "on",
            "date_joined_0": "01/01/2026",
            "date_joined_1": "10:00:00",
        },
    )

    assert add.status_code == 200
    assert change.status_code == 302, change.context["adminform"].form.errors
    agent.refresh_from_db()
    assert agent.roles == ["agent", "juror"]


def test_admin_call_list_counts_drafts_and_submissions(staff_client):
    draft = DefiFactory()
    fill_defi(DefiFactory(call=draft.call, state=Defi.State.SUBMITTED))

    response = staff_client.get(reverse("admin:projects_projectcall_changelist"))

    call = response.context["cl"].result_list[0]
    assert (call.drafts, call.submissions) == (1, 1)


def test_admin_call_closing_before_opening_is_refused_in_french(staff_client):
    promotion = ProjectCallFactory().promotion

    response = staff_client.post(
        reverse("admin:projects_projectcall_add"),
        {
            "promotion": promotion.pk,
            "title": "Appel mal daté",
            "slug": "appel-mal-date",
            "description": "",
            "opens_at_0": "10/03/2027",
            "opens_at_1": "09:00:00",
            "closes_at_0": "01/03/2027",
            "closes_at_1": "17:00:00",
        },
    )

    assert response.status_code == 200
    assert "La clôture doit suivre l'ouverture de l'appel." in html.unescape(
        response.content.decode()
    )


def test_admin_call_description_has_a_maximum(staff_client):
    promotion = ProjectCallFactory().promotion

    response = staff_client.post(
        reverse("admin:projects_projectcall_add"),
        {
            "promotion": promotion.pk,
            "title": "Appel trop bavard",
            "slug": "appel-trop-bavard",
            "description": "x" * 10_001,
            "opens_at_0": "01/09/2026",
            "opens_at_1": "09:00",
            "closes_at_0": "01/10/2026",
            "closes_at_1": "12:00",
        },
    )

    assert response.status_code == 200
    content = html.unescape(response.content.decode())
    assert "au plus 10000 caractères (actuellement 10001)" in content
    assert not ProjectCall.objects.filter(slug="appel-trop-bavard").exists()
