"""Irreversible steps ask for confirmation, server-side and without JavaScript: deciding in
deliberation, declaring a conflict of interest, withdrawing a défi. A single POST without
`confirm` changes nothing and warns of missing evidence. Pre-selection and deliberation show
as unavailable, with the closing date, while the call is open."""

import datetime
import html

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from eig.jury import hearings
from projects.jury import DEFI_JURY
from projects.models import Defi, DefiConflict, DefiEvaluation, DefiReview
from tests.eig.jury.test_deliberation_views import evaluate, group_of, shortlisted, slot_for
from tests.factories import (
    ClosedProjectCallFactory,
    ProjectCallFactory,
    StaffFactory,
    jury_for_call,
    submitted_defi,
)

pytestmark = pytest.mark.django_db

State = Defi.State


def _text(response):
    return " ".join(html.unescape(response.content.decode()).split())


@pytest.fixture
def jury():
    return jury_for_call(ClosedProjectCallFactory(), jurors=4)


@pytest.fixture
def staff(client):
    user = StaffFactory()
    client.force_login(user)
    return user


def _decide(client, jury, defi, decision="selected", motivation="", **extra):
    return client.post(
        reverse("jury:selection_deliberation", args=[jury.pk]),
        {
            "action": "decide",
            "dossier": defi.pk,
            f"dossier-{defi.pk}-decision": decision,
            f"dossier-{defi.pk}-motivation": motivation,
            **extra,
        },
    )


# --- Deliberation -------------------------------------------------------------------------


def test_decide_without_evidence_asks_confirmation_and_changes_nothing(
    client, jury, staff, django_capture_on_commit_callbacks
):
    defi = submitted_defi(jury.project_call)

    with django_capture_on_commit_callbacks(execute=True):
        response = _decide(client, jury, defi)

    assert response.status_code == 200
    content = _text(response)
    assert "Décider « Retenu » pour" in content
    assert "Éléments manquants pour décider" in content
    assert "Aucune évaluation soumise : le jury n'a pas noté ce défi." in content
    assert "Ce défi n'a été ni présélectionné ni auditionné." in content
    assert "Confirmer la décision « Retenu »" in content
    # The second form posts the same fields, with confirm=1; no script involved.
    page = response.content.decode()
    assert '<input type="hidden" name="confirm" value="1">' in page
    assert f'name="dossier-{defi.pk}-decision" value="selected"' in page
    assert "<script" not in page.split("<main", 1)[-1].split("</main>", 1)[0]
    defi.refresh_from_db()
    assert defi.state == State.SUBMITTED
    assert not DefiReview.objects.filter(defi=defi).exclude(decision="").exists()
    assert mail.outbox == []


def test_decide_confirmed_records_the_decision(
    client, jury, staff, django_capture_on_commit_callbacks
):
    defi = submitted_defi(jury.project_call)

    with django_capture_on_commit_callbacks(execute=True):
        response = _decide(client, jury, defi, confirm="1")

    assert response.status_code == 302
    defi.refresh_from_db()
    assert defi.state == State.SELECTED
    assert len(mail.outbox) == 1


def test_decide_before_the_hearing_warns(client, jury, staff):
    defi = shortlisted(jury, staff)
    start = timezone.now() + datetime.timedelta(days=2)
    slot_for(jury, group_of(jury), defi, staff, start)
    for member in jury.members.order_by("pk")[:2]:
        evaluate(defi, member, [3, 3, 3])

    content = _text(_decide(client, jury, defi, "not_selected", "Trop tôt."))

    local = timezone.localtime(start)
    assert f"L'audition est prévue le {local:%d/%m/%Y à %H:%M} (heure de Paris)" in content
    assert "Aucune évaluation soumise" not in content
    assert "Trop tôt." in content  # the motivation, to read again
    defi.refresh_from_db()
    assert defi.state == State.SHORTLISTED


def test_decide_heard_and_scored_asks_confirmation_without_warning(client, jury, staff):
    defi = shortlisted(jury, staff)
    slot_for(jury, group_of(jury), defi, staff, timezone.now() - datetime.timedelta(days=1))
    hearings.review_record_hearing(
        domain=DEFI_JURY,
        review=DefiReview.objects.get(defi=defi),
        actor=staff,
        opinion="favourable",
        hearing_rank=1,
        favourite=False,
        justification="Convaincant.",
    )
    for member in jury.members.order_by("pk")[:2]:
        evaluate(defi, member, [3, 3, 3])
    DefiEvaluation.objects.filter(defi=defi).update(dossier_version=0)

    response = _decide(client, jury, defi)

    assert response.status_code == 200
    assert "Confirmer la décision" in _text(response)
    assert "Éléments manquants" not in _text(response)


# --- Conflict of interest -----------------------------------------------------------------


def test_conflict_declare_asks_confirmation_and_keeps_the_draft(client):
    call = ProjectCallFactory()
    jury = jury_for_call(call, jurors=1)
    defi = submitted_defi(call)
    member = jury.members.get()
    evaluation = DefiEvaluation.objects.create(member=member, defi=defi, state="draft")
    client.force_login(member.user)
    url = reverse("jury:conflict_declare", args=[jury.pk, defi.pk])

    response = client.post(url, {f"conflit-{defi.pk}-reason": "Ancien collègue"})

    assert response.status_code == 200
    content = _text(response)
    assert f"Déclarer un conflit d'intérêts avec « {defi} » ?" in content
    assert "Votre brouillon d'évaluation de ce dossier (notes et commentaires) sera supprimé." in (
        content
    )
    assert "Ancien collègue" in content
    assert not DefiConflict.objects.exists()
    assert DefiEvaluation.objects.filter(pk=evaluation.pk).exists()

    confirmed = client.post(url, {f"conflit-{defi.pk}-reason": "Ancien collègue", "confirm": "1"})

    assert confirmed.status_code == 302
    assert DefiConflict.objects.get().reason == "Ancien collègue"
    assert not DefiEvaluation.objects.filter(pk=evaluation.pk).exists()


# --- Withdrawing a défi -------------------------------------------------------------------


def test_withdraw_asks_confirmation_and_changes_nothing(client):
    call = ProjectCallFactory()
    jury = jury_for_call(call, jurors=1)
    defi = submitted_defi(call)
    DefiEvaluation.objects.create(member=jury.members.get(), defi=defi, state="draft")
    client.force_login(defi.owner)
    url = reverse("projects:defi_action", args=[defi.pk, "withdraw"])

    response = client.post(url)

    assert response.status_code == 200
    content = _text(response)
    assert f"Retirer « {defi} » de l'appel ?" in content
    assert f"<title>Retirer « {defi} » de l'appel ? – Entrepreneurs" in content  # its own title
    assert "il ne sera plus examiné par le jury" in content
    assert "1 juré(s) ont déjà commencé à l'évaluer" in content
    closes = timezone.localtime(call.closes_at)
    assert f"{closes:%d/%m/%Y à %H:%M} (heure de Paris)" in content
    defi.refresh_from_db()
    assert defi.state == State.SUBMITTED

    confirmed = client.post(url, {"confirm": "1"})

    assert confirmed.status_code == 302
    defi.refresh_from_db()
    assert defi.state == State.WITHDRAWN


def test_withdraw_on_a_closed_call_says_why_at_once(client):
    defi = submitted_defi(ClosedProjectCallFactory())
    client.force_login(defi.owner)

    response = client.post(reverse("projects:defi_action", args=[defi.pk, "withdraw"]), follow=True)

    assert "est clos depuis le" in _text(response)
    defi.refresh_from_db()
    assert defi.state == State.SUBMITTED


# --- While the call is open ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("view", "step"),
    [("selection_shortlist", "Présélection"), ("selection_deliberation", "Délibération")],
)
def test_selection_steps_unavailable_while_the_call_is_open(client, staff, view, step):
    call = ProjectCallFactory()
    jury = jury_for_call(call, jurors=2)
    defi = submitted_defi(call)
    url = reverse(f"jury:{view}", args=[jury.pk])

    page = client.get(url)
    posted = client.post(
        url,
        {
            "action": "shortlist" if view == "selection_shortlist" else "decide",
            "dossier": defi.pk,
            f"dossier-{defi.pk}-decision": "selected",
            "confirm": "1",
        },
    )

    assert page.status_code == 200
    content = _text(page)
    assert f"{step} indisponible tant que l’appel est ouvert" in content
    closes = timezone.localtime(call.closes_at)
    assert f"ouvert jusqu’au <strong>{closes.day} " in content
    assert f"{closes:%Y} à {closes:%H}h{closes:%M}" in content
    assert 'name="action"' not in page.content.decode()
    assert posted.status_code == 400
    defi.refresh_from_db()
    assert defi.state == State.SUBMITTED
