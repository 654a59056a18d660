"""The selection of défis in the browser: staff assign, two jurors score, staff rank and
decide. axe-core checks every page on the way."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from eig.history.selectors import history_for
from projects.models import Defi, DefiEvaluation
from tests.browser.login import logged_in_page
from tests.factories import (
    ClosedProjectCallFactory,
    JurorFactory,
    JuryMemberFactory,
    StaffFactory,
    jury_for_call,
    submitted_defi,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _score_all(page, evaluation, value):
    for criterion in evaluation.member.jury.criteria.all():
        radio = page.locator(f"input[name=score_{criterion.pk}][value='{value}']")
        page.locator(f"label[for='{radio.get_attribute('id')}']").click()
        page.fill(f"[name=comment_{criterion.pk}]", f"Note {value} pour « {criterion.name} ».")
    page.fill("[name=overall_comment]", "Dossier clair, équipe engagée.")


def test_staff_assign_two_jurors_score_staff_rank_and_decide(live_server, browser, axe):
    call = ClosedProjectCallFactory()
    jury = jury_for_call(call, criteria=2, k=2)
    jurors = [JurorFactory(first_name=name) for name in ("Alice", "Bruno")]
    for juror in jurors:
        JuryMemberFactory(jury=jury, user=juror)
    strong = submitted_defi(call, title="Cadastre solaire partagé")
    weak = submitted_defi(call, title="Registre des marchés")
    staff = StaffFactory()

    # Staff assign the dossiers.
    page = logged_in_page(browser, live_server, staff)
    page.goto(live_server.url + reverse("jury:selection_jury", args=[jury.pk]))
    axe(page)
    page.get_by_role("link", name="Affectation").click()
    axe(page)
    page.get_by_role("button", name="Affecter les dossiers").click()
    page.get_by_text("Chaque dossier a ses 2 jurés").wait_for()
    axe(page)
    assert DefiEvaluation.objects.filter(member__jury=jury).count() == 4
    page.context.close()

    # Each juror scores both dossiers in the browser: the strong one 4, the weak one 2.
    for juror in jurors:
        page = logged_in_page(browser, live_server, juror)
        page.goto(live_server.url + reverse("jury:dashboard"))
        axe(page)
        page.get_by_role("link", name=re.compile("Déclarer un conflit")).click()
        axe(page)
        for defi, value in [(strong, 4), (weak, 2)]:
            evaluation = DefiEvaluation.objects.select_related("member__jury").get(
                member__user=juror, defi=defi
            )
            page.goto(live_server.url + reverse("jury:dashboard"))
            page.get_by_role("link", name=defi.title).first.click()
            axe(page)
            _score_all(page, evaluation, value)
            page.get_by_role("button", name="Enregistrer le brouillon").click()
            page.get_by_text("Brouillon enregistré", exact=False).first.wait_for()
            page.get_by_role("button", name=re.compile("Soumettre l.évaluation")).click()
            page.get_by_text("Votre évaluation est soumise", exact=False).first.wait_for()
            axe(page)
            evaluation.refresh_from_db()
            assert evaluation.state == DefiEvaluation.State.SUBMITTED
        page.goto(live_server.url + reverse("jury:dashboard"))
        page.get_by_text("Évaluations soumises : 2 sur 2", exact=False).first.wait_for()
        axe(page)
        page.context.close()

    # Staff rank: the strong défi comes first, with both evaluations done.
    page = logged_in_page(browser, live_server, staff)
    page.goto(live_server.url + reverse("jury:selection_ranking", args=[jury.pk]))
    axe(page)
    rows = page.locator("main table tbody tr")
    assert strong.title in rows.nth(0).inner_text()
    assert "2 / 2" in rows.nth(0).inner_text() or "2/2" in rows.nth(0).inner_text()
    assert weak.title in rows.nth(1).inner_text()

    # Staff decide: the strong défi selected, the weak one not, with a motivation.
    page.get_by_role("link", name="Délibération").click()
    axe(page)
    for defi, decision, motivation in [
        (strong, "selected", ""),
        (weak, "not_selected", "Le besoin est couvert par un service existant."),
    ]:
        row = page.locator("main table tbody tr", has_text=defi.title)
        row.locator("select").select_option(decision)
        if motivation:
            row.locator("textarea").fill(motivation)
        row.get_by_role("button", name="Décider").click()
        # A decision is final: a confirmation page says so, and what evidence is missing.
        page.get_by_role("heading", name=re.compile("Décider « .* » pour")).wait_for()
        axe(page)
        page.get_by_role("button", name=re.compile("Confirmer la décision")).click()
        page.get_by_text("Décision enregistrée pour", exact=False).first.wait_for()
    axe(page)
    page.context.close()

    strong.refresh_from_db()
    weak.refresh_from_db()
    assert (strong.state, weak.state) == (Defi.State.SELECTED, Defi.State.NOT_SELECTED)
    assert history_for(weak).filter(to_state=Defi.State.NOT_SELECTED).exists()
    assert len(axe.visited) >= 15


def test_selection_pages_after_scoring_pass_axe(live_server, browser, axe):
    from eig.jury import hearings, services, shortlist
    from projects.jury import DEFI_JURY

    call = ClosedProjectCallFactory()
    jury = jury_for_call(call, criteria=2, jurors=3, k=2)
    staff = StaffFactory()
    defi = submitted_defi(call, title="Cadastre solaire partagé")
    services.jury_assign(domain=DEFI_JURY, jury=jury, actor=staff)
    shortlist.review_shortlist(
        domain=DEFI_JURY, jury=jury, dossier=defi, actor=staff, questions="Quels usagers ?"
    )
    members = list(jury.members.order_by("pk"))
    group = hearings.jury_group_create(jury=jury, name="Groupe 1", members=members[:2])
    start = timezone.now() + datetime.timedelta(days=7)
    slot = hearings.hearing_slot_create(
        jury=jury,
        group=group,
        starts_at=start,
        ends_at=start + datetime.timedelta(minutes=40),
        video_url="https://webconf.numerique.gouv.fr/audition-1",
    )
    hearings.review_assign_slot(domain=DEFI_JURY, jury=jury, dossier=defi, slot=slot, actor=staff)
    hearings.hearing_convoke(domain=DEFI_JURY, jury=jury, actor=staff)

    page = logged_in_page(browser, live_server, staff)
    staff_pages = [
        reverse("jury:selection_index"),
        reverse("jury:selection_assignment", args=[jury.pk]),
        reverse("jury:selection_shortlist", args=[jury.pk]),
        reverse("jury:selection_hearings", args=[jury.pk]),
        reverse("jury:selection_group_create", args=[jury.pk]),
        reverse("jury:selection_group_edit", args=[jury.pk, group.pk]),
        reverse("jury:selection_hearing_record", args=[jury.pk, defi.pk]),
        reverse("jury:selection_dossier", args=[jury.pk, defi.pk]),
        reverse("projects:defi_detail", args=[defi.pk]),
    ]
    for path in staff_pages:
        page.goto(live_server.url + path)
        axe(page)
    page.context.close()

    # The group member sees the hearing on their dashboard and records the opinion page.
    page = logged_in_page(browser, live_server, members[0].user)
    page.goto(live_server.url + reverse("jury:dashboard"))
    page.get_by_text("Mes auditions").wait_for()
    axe(page)
    page.get_by_role("link", name=defi.title).last.click()
    axe(page)
    page.context.close()

    # The agent sees their convocation on the défi page.
    page = logged_in_page(browser, live_server, defi.owner)
    page.goto(live_server.url + reverse("projects:defi_detail", args=[defi.pk]))
    page.get_by_text("Votre audition").wait_for()
    axe(page)
    page.context.close()
    assert len(axe.visited) == len(staff_pages) + 3


def test_staff_pages_of_a_two_stage_jury_pass_axe(live_server, browser, axe):
    """A written stage then an interview: each staff page offers the stage to show."""
    from eig.jury import services, shortlist
    from eig.jury.models import JuryStage
    from eig.jury.stages import jury_stage_add
    from projects.jury import DEFI_JURY

    call = ClosedProjectCallFactory()
    jury = jury_for_call(call, criteria=2, jurors=3, k=2)
    jury_stage_add(jury=jury, name="Entretien", kind=JuryStage.Kind.INTERVIEW)
    staff = StaffFactory()
    defi = submitted_defi(call, title="Cadastre solaire partagé")
    services.jury_assign(domain=DEFI_JURY, jury=jury, actor=staff)
    shortlist.review_shortlist(domain=DEFI_JURY, jury=jury, dossier=defi, actor=staff)

    page = logged_in_page(browser, live_server, staff)
    for name in ("assignment", "shortlist", "hearings", "ranking", "deliberation"):
        page.goto(live_server.url + reverse(f"jury:selection_{name}", args=[jury.pk]))
        page.select_option("select[name=etape]", "2")
        page.locator("form:has(select[name=etape]) button[type=submit]").click()
        page.wait_for_url(re.compile(r".*etape=2.*"))
        axe(page)
    page.context.close()


def test_rewritten_defi_and_open_call_pages_pass_axe(live_server, browser, axe):
    """A défi rewritten after a juror scored it: the juror's dashboard and evaluation page
    (with the diff and the button to update), the staff's défi page; while the call is
    open, pre-selection and deliberation say they are unavailable. The juror updates their
    evaluation from the page."""
    from eig.jury.services import evaluation_save
    from projects import services
    from projects.jury import DEFI_JURY
    from tests.factories import DefiFactory, ProjectCallFactory, fill_defi

    call = ProjectCallFactory()
    jury = jury_for_call(call, criteria=2, jurors=1, k=1)
    staff = StaffFactory()
    defi = fill_defi(DefiFactory(call=call, title="Carte des ponts"))
    services.defi_submit(defi=defi, actor=defi.owner)
    member = jury.members.get()
    evaluation = DefiEvaluation.objects.create(member=member, defi=defi)
    evaluation_save(
        domain=DEFI_JURY,
        evaluation=evaluation,
        actor=member.user,
        version=0,
        scores={criterion.pk: (3, "") for criterion in jury.criteria.all()},
        overall_comment="Solide.",
        submit=True,
    )
    services.defi_reopen(defi=defi, actor=defi.owner)
    defi = services.defi_update_section(
        defi=defi, actor=defi.owner, data={"problem": "Un problème réécrit après l'évaluation."}
    )
    services.defi_submit(defi=defi, actor=defi.owner)

    page = logged_in_page(browser, live_server, member.user)
    page.goto(live_server.url + reverse("jury:dashboard"))
    page.get_by_text("Faite sur une version antérieure").wait_for()
    axe(page)
    page.get_by_role("link", name=re.compile("Consulter")).click()
    page.get_by_role("heading", name="Ce qui a changé depuis votre évaluation").wait_for()
    axe(page)
    page.get_by_role("button", name="Rouvrir mon évaluation pour la mettre à jour").click()
    page.get_by_text("Votre évaluation est rouverte", exact=False).first.wait_for()
    axe(page)
    evaluation.refresh_from_db()
    assert evaluation.state == DefiEvaluation.State.DRAFT
    # The conflicts page, with its search.
    page.goto(live_server.url + reverse("jury:conflicts", args=[jury.pk]))
    axe(page)
    page.context.close()

    page = logged_in_page(browser, live_server, staff)
    for path in [
        reverse("jury:selection_dossier", args=[jury.pk, defi.pk]),
        reverse("jury:selection_shortlist", args=[jury.pk]),
        reverse("jury:selection_deliberation", args=[jury.pk]),
    ]:
        page.goto(live_server.url + path)
        axe(page)
    assert "indisponible tant que l’appel est ouvert" in page.content()
    page.context.close()
    assert len(axe.visited) == 7
