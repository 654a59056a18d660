"""An anonymous call: what the candidate is told, and the warning before submitting."""

import pytest
from django.urls import reverse

from candidates import services
from candidates.anonymity import identity_leaks
from candidates.models import Application
from candidates.sections import SECTIONS_BY_KEY
from tests.candidates.test_applications import _complete, _cv, _positions
from tests.factories import CandidateCallFactory, CandidateFactory

pytestmark = pytest.mark.django_db


def _application(**texts):
    candidate = CandidateFactory(first_name="Hélène", last_name="Dupré", email="h.dupre@exemple.fr")
    application = Application(
        call=CandidateCallFactory(),
        candidate=candidate,
        phone="+33 6 12 34 56 78",
        github_url="https://github.com/hdupre",
        **texts,
    )
    return application, candidate


@pytest.mark.parametrize(
    ("texts", "found"),
    [
        ({"motivation": "Je suis Helene DUPRE, designer."}, "votre nom"),
        ({"presentation": "Écrivez-moi : H.Dupre@exemple.fr"}, "votre adresse e-mail"),
        ({"skills_main": "Joignable au 06.12.34.56.78"}, "votre téléphone"),
        ({"experience_specialty": "Voir github.com/hdupre/projets"}, "un de vos liens"),
    ],
)
def test_the_candidates_own_identity_is_found_in_what_jurors_read(texts, found):
    application, candidate = _application(**texts)
    leaks = identity_leaks(application, candidate)
    assert len(leaks) == 1 and found in leaks[0]


def test_no_warning_for_words_that_merely_contain_a_name():
    application, candidate = _application(
        motivation="Le marché des dupréfabriqués n'a rien à voir ; Hélèneville non plus."
    )
    assert identity_leaks(application, candidate) == []


def test_submitting_an_application_that_names_its_candidate_asks_first(client):
    call = CandidateCallFactory(anonymous=True)
    positions = _positions(call)
    candidate = CandidateFactory(first_name="Hélène", last_name="Dupré")
    application = services.application_start(call=call, candidate=candidate)
    _complete(application, candidate, positions)
    services.application_update_section(
        application=application,
        actor=candidate,
        section=SECTIONS_BY_KEY["motivation"],
        data={"motivation": "Moi, Hélène Dupré, je veux servir."},
    )
    client.force_login(candidate)
    page = client.get(reverse("candidates:application", args=[call.slug])).content.decode()
    assert "Une présélection anonyme" in page and "votre CV anonymisé" in page

    url = reverse("candidates:application_submit", args=[call.slug])
    response = client.post(url)
    content = response.content.decode()
    assert response.status_code == 200 and "Déposer quand même" in content
    assert "contient votre nom" in content
    application.refresh_from_db()
    assert application.state == Application.State.DRAFT
    client.post(url, {"confirm": "1"})
    application.refresh_from_db()
    assert application.state == Application.State.SUBMITTED


def test_a_call_that_is_not_anonymous_does_not_warn(client):
    call = CandidateCallFactory(anonymous=False)
    positions = _positions(call)
    candidate = CandidateFactory(first_name="Hélène", last_name="Dupré")
    application = services.application_start(call=call, candidate=candidate)
    _complete(application, candidate, positions)
    services.application_update_section(
        application=application,
        actor=candidate,
        section=SECTIONS_BY_KEY["motivation"],
        data={"motivation": "Moi, Hélène Dupré."},
    )
    client.force_login(candidate)
    assert (
        "Une présélection anonyme"
        not in client.get(reverse("candidates:application", args=[call.slug])).content.decode()
    )
    client.post(reverse("candidates:application_submit", args=[call.slug]))
    application.refresh_from_db()
    assert application.state == Application.State.SUBMITTED


def test_a_cv_file_named_after_the_candidate_is_pointed_out():
    call = CandidateCallFactory(anonymous=True)
    candidate = CandidateFactory(first_name="Hélène", last_name="Dupré")
    application = services.application_start(call=call, candidate=candidate)
    services.application_update_section(
        application=application,
        actor=candidate,
        section=SECTIONS_BY_KEY["presentation"],
        data={"cv": _cv(name="CV_Helene-DUPRE_2027.pdf")},
    )
    application.refresh_from_db()
    assert application.cv_filename == "CV_Helene-DUPRE_2027.pdf"
    leaks = identity_leaks(application, candidate)
    assert len(leaks) == 1 and "CV_Helene-DUPRE_2027.pdf" in leaks[0]
    services.application_update_section(
        application=application,
        actor=candidate,
        section=SECTIONS_BY_KEY["presentation"],
        data={"cv": _cv(name="curriculum.pdf")},
    )
    application.refresh_from_db()
    assert identity_leaks(application, candidate) == []
