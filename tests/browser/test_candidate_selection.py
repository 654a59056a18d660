"""The selection of candidates in the browser: a juror scores an anonymous application
without ever reading who wrote it; staff deliberate métier by métier, rewrite a letter and
send the decisions; the candidate then reads theirs. axe-core checks every page."""

import re

import pytest
from django.urls import reverse

from candidates.jury import CANDIDATE_JURY
from candidates.models import Application, ApplicationEvaluation
from eig.notifications.models import OutboxMessage
from eig.programme.models import Specialty
from tests.browser.login import logged_in_page
from tests.candidates.test_jury_domain import _application, _identity, _jury, juror_world  # noqa: F401
from tests.factories import StaffFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_juror_scores_an_anonymous_application(live_server, browser, axe, juror_world):  # noqa: F811
    jury, application, evaluation = juror_world(anonymous=True)
    number = f"Candidature n° {application.pk:05d}"
    page = logged_in_page(browser, live_server, evaluation.member.user)

    page.goto(live_server.url + reverse("jury:dashboard"))
    axe(page)
    seen = [page.content()]
    page.get_by_role("link", name=number).first.click()
    page.wait_for_load_state()
    axe(page)
    seen.append(page.content())
    for criterion in jury.criteria.all():
        radio = page.locator(f"input[name=score_{criterion.pk}][value='4']")
        page.locator(f"label[for='{radio.get_attribute('id')}']").click()
        page.fill(f"[name=comment_{criterion.pk}]", "Parcours cohérent avec le métier.")
    page.fill("[name=overall_comment]", "Une expérience solide du développement web.")
    page.get_by_role("button", name=re.compile("Soumettre l.évaluation")).click()
    page.get_by_text("Votre évaluation est soumise", exact=False).first.wait_for()
    axe(page)
    seen.append(page.content())
    page.context.close()

    evaluation.refresh_from_db()
    assert evaluation.state == ApplicationEvaluation.State.SUBMITTED
    for content in seen:
        assert number in content
        for identity in _identity(application):
            assert identity not in content, identity


def test_staff_deliberate_by_metier_and_send_the_decisions(live_server, browser, axe):
    jury = _jury()
    designer = _application(jury, specialty=Specialty.DESIGN)
    developer = _application(jury, specialty=Specialty.DEVELOPMENT)
    staff = StaffFactory()
    page = logged_in_page(browser, live_server, staff)

    # The letters first: staff rewrite the refusal.
    page.goto(live_server.url + reverse("jury:selection_letters", args=[jury.pk]))
    axe(page)
    page.fill("#id_not_selected-subject", "Votre candidature à « [appel] »")
    page.get_by_role("button", name="Enregistrer le courrier « Non retenue »").click()
    page.get_by_text("Le courrier « Non retenue » est enregistré").wait_for()
    axe(page)

    # The deliberation, métier by métier.
    page.goto(live_server.url + reverse("jury:selection_deliberation", args=[jury.pk]))
    axe(page)
    page.select_option("#deliberation-groupe", Specialty.DESIGN)
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_url(re.compile(r".*groupe=design.*"))
    axe(page)
    assert developer.candidate.last_name not in page.content()
    row = page.locator("main table tbody tr", has_text=designer.candidate.last_name)
    row.locator("select[name$=-decision]").select_option("not_selected")
    row.locator("select[name$=-reason]").select_option("entrepreneuriat")
    row.locator("textarea").fill("Peu d'expérience entrepreneuriale à ce jour.")
    row.get_by_role("button", name="Décider").click()
    page.get_by_role("heading", name=re.compile("Décider « Non retenue » pour")).wait_for()
    axe(page)
    page.get_by_role("button", name=re.compile("Confirmer la décision")).click()
    page.get_by_text("Décision enregistrée pour", exact=False).first.wait_for()
    assert "groupe=design" in page.url
    axe(page)
    assert not OutboxMessage.objects.exists()

    page.get_by_role("button", name="Envoyer 1 décision (Design)").click()
    page.get_by_role("heading", name=re.compile("Envoyer 1 décision")).wait_for()
    axe(page)
    page.get_by_role("button", name="Envoyer 1 décision").click()
    page.get_by_text("1 décision envoyée").wait_for()
    axe(page)
    page.context.close()

    message = OutboxMessage.objects.get()
    assert message.recipients == [designer.candidate.email]
    assert "Expérience entrepreneuriale insuffisante" in message.body
    designer.refresh_from_db()
    assert designer.state == Application.State.DECLINED and designer.decision_disclosed
    reviews = CANDIDATE_JURY.review_model.objects.filter(application=developer)
    assert not reviews.exclude(decision="").exists()

    # The candidate reads their decision in their space.
    page = logged_in_page(browser, live_server, designer.candidate)
    page.goto(live_server.url + reverse("candidates:application", args=[jury.candidate_call.slug]))
    page.get_by_text("« Non retenue », envoyée par courriel le", exact=False).wait_for()
    axe(page)
    page.context.close()
