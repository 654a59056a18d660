import pytest
from django.urls import reverse

from eig.programme.models import Administration
from tests.factories import AdministrationFactory, AgentFactory, CandidateFactory

pytestmark = pytest.mark.django_db
URL = reverse("programme:administration_choose")


def _create_data(**overrides):
    data = {
        "create-name": "Agence nationale de la cohésion des territoires",
        "create-kind": "operateur",
        "create-siret": "130 026 032 00016",
        "create-parent": "",
        "create-budget_programme": "",
        "create-town": "Paris",
        "create-website": "",
        "action": "create",
    }
    return {**data, **overrides}


def test_agent_creates_administration_and_joins_it(client):
    agent = AgentFactory(administration=None)
    client.force_login(agent)

    response = client.post(URL, _create_data())

    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.administration.siret == "13002603200016"


def test_wrong_siret_is_refused_in_french_and_nothing_created(client):
    client.force_login(AgentFactory(administration=None))

    response = client.post(URL, _create_data(**{"create-siret": "130 026 032 00017"}))

    assert response.status_code == 200
    assert "sa clé de contrôle est fausse" in response.content.decode()
    assert not Administration.objects.filter(kind="operateur").exists()


def test_duplicate_siret_points_to_join(client):
    AdministrationFactory(siret="13002603200016")
    client.force_login(AgentFactory(administration=None))

    response = client.post(URL, _create_data(**{"create-name": "Autre nom"}))

    assert "rejoignez-la plutôt" in response.content.decode()


def test_agent_joins_existing_administration(client):
    # Joining at once needs a verified address on one of the administration's domains (the
    # factory's addresses are verified, on exemple.gouv.fr); otherwise it is a request.
    administration = AdministrationFactory(email_domains=["exemple.gouv.fr"])
    agent = AgentFactory(administration=None)
    client.force_login(agent)

    response = client.post(URL, {"join-administration": str(administration.pk), "action": "join"})

    agent.refresh_from_db()
    assert response.status_code == 302
    assert agent.administration == administration


def test_choose_refused_to_candidates_and_anonymous(client):
    assert client.get(URL).status_code == 302
    client.force_login(CandidateFactory())

    response = client.get(URL)

    assert response.url == reverse("accounts:dashboard")
