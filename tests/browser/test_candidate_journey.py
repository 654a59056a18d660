import datetime
import re

import pytest
from django.utils import timezone

from candidates.jury import CANDIDATE_JURY
from candidates.models import Application, ApplicationReview
from eig.jury.shortlist import review_shortlist
from eig.programme.models import Specialty
from projects.models import DefiPosition
from tests.candidates.test_interview import _slots
from tests.factories import (
    AdministrationFactory,
    CandidateCallFactory,
    StaffFactory,
    jury_with_grid,
    selected_defi,
)
from tests.pdfs import pdf_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Un-mot-de-passe-solide-2026"


def _submit(page, name="save_continue"):
    page.locator(f"main button[name={name}]").click()
    page.wait_for_load_state()


def test_candidate_from_signup_to_submitted_application_and_booked_interview(
    live_server, page, axe, mailoutbox, tmp_path
):
    call = CandidateCallFactory(
        title="Appel à candidatures EIG 9", slug="aac-eig-9", anonymous=True
    )
    for number in range(3):
        defi = selected_defi(
            call.promotion, AdministrationFactory(), positions=0, title=f"Défi ouvert {number}"
        )
        DefiPosition.objects.create(
            defi=defi, rank=1, specialty=Specialty.DESIGN, missions="Concevoir le service."
        )

    # The call, its défis, then sign up as a candidate.
    page.goto(f"{live_server.url}/candidater/{call.slug}/")
    axe(page)
    page.get_by_role("link", name=re.compile("défis de l’appel")).click()
    page.wait_for_load_state()
    axe(page)
    page.goto(f"{live_server.url}/candidater/{call.slug}/")
    page.get_by_role("link", name=re.compile("^Candidater à")).click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Créer un compte").first.click()
    page.fill("main [name=first_name]", "Léa")
    page.fill("main [name=last_name]", "Martin")
    page.fill("main [name=email]", "lea.martin@exemple.fr")
    page.check("main [name=role][value=candidate]", force=True)
    page.fill("main [name=password1]", PASSWORD)
    page.fill("main [name=password2]", PASSWORD)
    page.get_by_role("button", name="Créer mon compte").click()
    page.wait_for_load_state()
    link = re.search(r"https?://\S+/comptes/confirm-email/\S+", mailoutbox[0].body).group(0)
    page.goto(live_server.url + link[link.index("/comptes/") :])
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()

    # The application, section by section.
    page.goto(f"{live_server.url}/candidater/{call.slug}/ma-candidature/")
    axe(page)
    page.get_by_role("button", name="Commencer ma candidature").click()
    page.wait_for_load_state()
    axe(page)
    page.fill("main [name=presentation]", "Designer de services publics.")
    cv = tmp_path / "cv.pdf"
    cv.write_bytes(pdf_bytes(1))
    page.set_input_files("main [name=cv]", str(cv))
    _submit(page)
    axe(page)
    page.select_option("main [name=specialty]", Specialty.DESIGN)
    page.fill("main [name=skills_main]", "Recherche utilisateur, prototypage")
    _submit(page)
    page.fill("main [name=years_experience]", "6")
    page.fill("main [name=experience_specialty]", "Six ans de design de services.")
    _submit(page)
    page.fill("main [name=motivation]", "Améliorer les services publics.")
    _submit(page)
    axe(page)
    positions = dict(DefiPosition.objects.values_list("defi__title", "pk"))
    for rank, number in enumerate((2, 0, 1), start=1):
        page.select_option(f"main [name=voeu_{rank}]", str(positions[f"Défi ouvert {number}"]))
    _submit(page)
    page.fill("main [name=phone]", "06 12 34 56 78")
    page.fill("main [name=birth_year]", "1991")
    page.select_option("main [name=mobility]", "france")
    page.fill("main [name=available_on]", "2027-09-01")
    _submit(page)
    axe(page)

    # Everything is complete: submit.
    assert "À compléter" not in page.content()
    page.get_by_role("button", name="Déposer ma candidature").click()
    page.wait_for_load_state()
    axe(page)
    assert "Votre candidature est déposée" in page.content()
    application = Application.objects.get()
    assert application.state == Application.State.SUBMITTED
    assert list(
        application.wishes.order_by("rank").values_list("position__defi__title", flat=True)
    ) == [
        "Défi ouvert 2",
        "Défi ouvert 0",
        "Défi ouvert 1",
    ]
    # Withdrawing a wish asks to confirm first.
    page.get_by_role("button", name=re.compile("Retirer ce vœu")).first.click()
    page.wait_for_load_state()
    axe(page)
    page.get_by_role("button", name="Confirmer le retrait du vœu").click()
    page.wait_for_load_state()
    assert application.wishes.filter(withdrawn_at__isnull=False).count() == 1

    # The talent pool's consent page (the application is not in the pool yet).
    page.goto(f"{live_server.url}/candidater/{call.slug}/ma-candidature/vivier/")
    axe(page)
    assert "n’est pas dans le vivier" in page.content()

    # The call closes; the jury pre-selects the application and opens interview slots:
    # the candidate books one.
    call.closes_at = timezone.now() - datetime.timedelta(minutes=1)
    call.jury = jury_with_grid(criteria=2, k=1, domain="candidatures")
    call.save(update_fields=["closes_at", "jury"])
    review_shortlist(
        domain=CANDIDATE_JURY, jury=call.jury, dossier=application, actor=StaffFactory()
    )
    (slot,) = _slots(call.jury, 96)
    page.goto(f"{live_server.url}/candidater/{call.slug}/ma-candidature/")
    axe(page)
    page.get_by_role("link", name="Choisir mon créneau d’entretien").click()
    page.wait_for_load_state()
    axe(page)
    page.locator(f"main form:has(input[name=slot][value='{slot.pk}']) button").click()
    page.wait_for_load_state()
    assert "Votre entretien est réservé" in page.content()
    axe(page)
    assert ApplicationReview.objects.get(application=application).slot == slot
