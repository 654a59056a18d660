"""The staff's page of one application in Chromium, reached from the jury's ranking: every
part filled (files, wishes held and withdrawn, a possible duplicate, the jury's figures,
history, readings), checked by axe-core."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from candidates import services
from candidates.jury import CANDIDATE_JURY
from candidates.models import Application, ApplicationEvaluation, Wish
from eig.jury import services as jury_services
from eig.programme.models import Specialty
from projects.models import DefiPosition
from tests.browser.login import log_in
from tests.factories import (
    AdministrationFactory,
    CandidateCallFactory,
    CandidateFactory,
    StaffFactory,
    jury_with_grid,
    selected_defi,
)
from tests.pdfs import pdf_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _scored_application(staff) -> Application:
    jury = jury_with_grid(criteria=2, jurors=2, k=2, domain="candidatures")
    now = timezone.now()
    call = CandidateCallFactory(
        jury=jury,
        opens_at=now - datetime.timedelta(days=30),
        closes_at=now - datetime.timedelta(days=1),
    )
    texts = {
        "specialty": Specialty.DESIGN,
        "years_experience": 6,
        "presentation": "Designer de services publics.",
        "skills_main": "Recherche utilisateur\nPrototypage",
        "motivation": "Rendre les démarches lisibles.",
        "phone": "06 11 22 33 44",
        "birth_year": 1988,
        "linkedin_url": "https://www.linkedin.com/in/alix-lecture",
        "submitted_at": now - datetime.timedelta(days=5),
    }
    application = Application.objects.create(
        call=call,
        # Another e-mail domain than the jurors': no automatic conflict.
        candidate=CandidateFactory(
            first_name="Alix", last_name="Lecture", email="alix@ecole.example.org"
        ),
        state=Application.State.SUBMITTED,
        **texts,
    )
    application.cv.save("cv.pdf", SimpleUploadedFile("cv.pdf", pdf_bytes(1)), save=True)
    # Another account with the same phone number: a possible duplicate.
    Application.objects.create(
        call=call,
        candidate=CandidateFactory(first_name="Alix", last_name="Double"),
        state=Application.State.SUBMITTED,
        phone="+33 6 11 22 33 44",
        submitted_at=now,
    )
    wishes = []
    for rank in (1, 2):
        defi = selected_defi(call.promotion, AdministrationFactory(), positions=0)
        position = DefiPosition.objects.create(
            defi=defi, rank=1, specialty=Specialty.DESIGN, missions="M"
        )
        wishes.append(Wish.objects.create(application=application, position=position, rank=rank))
    services.wish_withdraw(wish=wishes[1], actor=application.candidate)
    jury_services.jury_assign(domain=CANDIDATE_JURY, jury=jury, actor=staff)
    for evaluation in ApplicationEvaluation.objects.filter(application=application):
        jury_services.evaluation_save(
            domain=CANDIDATE_JURY,
            evaluation=evaluation,
            actor=evaluation.member.user,
            version=0,
            scores={c.pk: (3, "") for c in jury.criteria.all()},
            overall_comment="Solide.",
            submit=True,
        )
    return application


def test_staff_application_page_passes_axe(live_server, page, axe):
    staff = StaffFactory()
    application = _scored_application(staff)
    log_in(page, live_server, staff)
    page.wait_for_load_state()

    page.goto(
        live_server.url
        + reverse("jury:selection_dossier", args=[application.call.jury_id, application.pk])
    )
    axe(page)
    page.get_by_role("link", name="Lire la candidature en entier").click()
    page.wait_for_load_state()

    main = page.locator("main").inner_text()
    assert page.locator("main h1").inner_text() == "Alix Lecture"
    assert "Alix Double" in main and "même téléphone" in main
    assert "Évaluations soumises : 2 sur 2" in main
    assert "Consultation de la candidature" in main
    assert page.get_by_role("link", name="Ouvrir le CV (PDF)").count() == 1
    axe(page)

    assert len(axe.visited) == 2
