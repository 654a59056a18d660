"""Submitted versions of a défi: an agent who reopens and rewrites a défi that jurors already
scored leaves their evaluations marked as made on an earlier version, shows them what
changed, and mails them and the staff."""

import html

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from eig.exceptions import InvalidTransition
from eig.history.selectors import history_for
from eig.jury.models import EvaluationAction
from eig.jury.selectors import jury_ranking
from eig.jury.services import evaluation_save, evaluation_update_for_new_version
from projects import services
from projects.jury import DEFI_JURY
from projects.models import DefiEvaluation, DefiVersion
from projects.versions import defi_snapshot, text_diff, version_changes
from tests.factories import (
    DefiFactory,
    ProjectCallFactory,
    StaffFactory,
    fill_defi,
    jury_for_call,
    submitted_defi,
)

pytestmark = pytest.mark.django_db

State = DefiEvaluation.State
Action = EvaluationAction
NEW_PROBLEM = "Les usagers attendent <script>alert(1)</script> trois mois une réponse."


def _text(response):
    return " ".join(html.unescape(response.content.decode()).split())


def _scores(criteria, value=3):
    return {criterion.pk: (value, "") for criterion in criteria}


@pytest.fixture
def scored(django_capture_on_commit_callbacks):
    """A défi submitted through the service on an open call, three jurors: the first
    submitted their evaluation, the second saved a draft, the third has not started."""
    call = ProjectCallFactory()
    jury = jury_for_call(call, criteria=2, jurors=3)
    defi = fill_defi(DefiFactory(call=call))
    with django_capture_on_commit_callbacks(execute=True):
        services.defi_submit(defi=defi, actor=defi.owner)
    criteria = list(jury.criteria.order_by("position"))
    submitted, draft, pending = (
        DefiEvaluation.objects.create(member=member, defi=defi)
        for member in jury.members.order_by("pk")
    )
    evaluation_save(
        domain=DEFI_JURY,
        evaluation=submitted,
        actor=submitted.member.user,
        version=0,
        scores=_scores(criteria),
        overall_comment="Solide.",
        submit=True,
    )
    evaluation_save(
        domain=DEFI_JURY,
        evaluation=draft,
        actor=draft.member.user,
        version=0,
        scores=_scores(criteria, 2),
        overall_comment="",
    )
    mail.outbox.clear()
    return {
        "defi": defi,
        "jury": jury,
        "criteria": criteria,
        "submitted": submitted,
        "draft": draft,
        "pending": pending,
    }


def _rewrite(defi, capture, **data):
    """The agent reopens the défi, rewrites sections and submits it again."""
    with capture(execute=True):
        services.defi_reopen(defi=defi, actor=defi.owner)
        defi = services.defi_update_section(
            defi=defi, actor=defi.owner, data=data or {"problem": NEW_PROBLEM}
        )
        services.defi_submit(defi=defi, actor=defi.owner)
    defi.refresh_from_db()
    return defi


def _fresh(evaluation):
    return DefiEvaluation.objects.select_related("defi").get(pk=evaluation.pk)


# --- Snapshots and diffs ------------------------------------------------------------------


def test_text_diff_marks_deleted_and_inserted_words():
    assert text_diff("Les usagers attendent six mois.", "Les usagers attendent trois mois.") == [
        ("equal", "Les usagers attendent "),
        ("delete", "six"),
        ("insert", "trois"),
        ("equal", " mois."),
    ]


def test_text_diff_shortens_long_unchanged_text():
    common = "mot " * 200

    segments = text_diff(common + "fin", common + "suite")

    assert segments[0][0] == "equal"
    assert len(segments[0][1]) < 200
    assert segments[0][1].startswith("[…]")
    assert segments[1:] == [("delete", "fin"), ("insert", "suite")]


def test_text_diff_keeps_whole_words_and_spaces_around_a_change():
    before = "Les élus régionaux. " * 20

    segments = text_diff(before + "trouvent pas", before + "trouvent toujours pas")

    shown = "".join(text for kind, text in segments if kind != "delete")
    assert shown.startswith("[…] ")  # cut at a space, not inside "régionaux"
    assert shown.endswith("régionaux. trouvent toujours pas")


def test_version_changes_lists_only_changed_sections():
    defi = fill_defi(DefiFactory())
    before = defi_snapshot(defi)
    defi.problem = "Un autre problème."
    defi.save()

    changes = version_changes(before, defi_snapshot(defi))

    assert [change["title"] for change in changes] == ["Contexte et problématique"]
    assert ("insert", "autre") in changes[0]["segments"]


def test_defi_snapshot_sees_a_replaced_pitch_deck_not_its_name():
    defi = fill_defi(DefiFactory())
    before = defi_snapshot(defi)
    with defi.pitch_deck.open("rb") as handle:
        content = handle.read()
    defi.pitch_deck.save("renomme.pdf", ContentFile(content), save=True)
    renamed = defi_snapshot(defi)
    defi.pitch_deck.save("autre.pdf", ContentFile(content + b"\n%autre"), save=True)

    assert version_changes(before, renamed) == []
    assert [c["title"] for c in version_changes(before, defi_snapshot(defi))] == [
        "Présentation de synthèse"
    ]


# --- Services -----------------------------------------------------------------------------


def test_defi_submit_records_version_one(scored):
    defi = scored["defi"]
    defi.refresh_from_db()

    version = DefiVersion.objects.get(defi=defi)

    assert (defi.submitted_version, version.number) == (1, 1)
    assert version.transition.to_state == "submitted"
    assert _fresh(scored["submitted"]).dossier_version == 1
    assert _fresh(scored["draft"]).dossier_version == 1
    assert _fresh(scored["pending"]).dossier_version is None


def test_rewritten_defi_marks_evaluations_and_keeps_their_state(
    scored, django_capture_on_commit_callbacks
):
    defi = _rewrite(scored["defi"], django_capture_on_commit_callbacks)

    assert defi.submitted_version == 2
    assert list(defi.versions.values_list("number", flat=True)) == [1, 2]
    submitted, draft, pending = (_fresh(scored[key]) for key in ("submitted", "draft", "pending"))
    assert (submitted.state, submitted.made_on_earlier_version) == (State.SUBMITTED, True)
    assert (draft.state, draft.made_on_earlier_version) == (State.DRAFT, True)
    assert pending.made_on_earlier_version is False
    assert list(history_for(submitted).values_list("action", "note")) == [
        (Action.SUBMITTED, ""),
        (Action.DOSSIER_CHANGED, "Version 2 déposée"),
    ]
    assert not history_for(pending).exists()


def test_rewritten_defi_mails_its_jurors_and_staff(scored, django_capture_on_commit_callbacks):
    staff = StaffFactory()
    _rewrite(scored["defi"], django_capture_on_commit_callbacks)

    by_subject = {}
    for message in mail.outbox:
        by_subject.setdefault(message.subject, []).append(message)
    jurors = [
        message
        for message in mail.outbox
        if "a été modifié après votre évaluation" in message.subject
    ]
    assert sorted(address for message in jurors for address in message.to) == sorted(
        [scored["submitted"].member.user.email, scored["draft"].member.user.email]
    )
    assert "Contexte et problématique" in jurors[0].body
    assert "\n" not in jurors[0].subject
    to_staff = [m for m in mail.outbox if "modifié après des évaluations" in m.subject]
    assert [message.to for message in to_staff] == [[staff.email]]
    assert str(scored["submitted"].member) in to_staff[0].body
    assert scored["pending"].member.user.email not in {a for m in mail.outbox for a in m.to}


def test_rewritten_defi_does_not_mail_a_juror_who_left(scored, django_capture_on_commit_callbacks):
    member = scored["submitted"].member
    member.withdrawn_at = timezone.now()
    member.save(update_fields=["withdrawn_at"])

    _rewrite(scored["defi"], django_capture_on_commit_callbacks)

    assert member.user.email not in {a for m in mail.outbox for a in m.to}
    assert _fresh(scored["submitted"]).made_on_earlier_version is True


def test_resubmitted_without_change_keeps_the_version(scored, django_capture_on_commit_callbacks):
    defi = scored["defi"]
    with django_capture_on_commit_callbacks(execute=True):
        services.defi_reopen(defi=defi, actor=defi.owner)
        services.defi_submit(defi=defi, actor=defi.owner)
    defi.refresh_from_db()

    assert defi.submitted_version == 1
    assert DefiVersion.objects.filter(defi=defi).count() == 1
    assert _fresh(scored["submitted"]).made_on_earlier_version is False
    # Only the agent's acknowledgement: no juror or staff is told of nothing.
    assert [message.to for message in mail.outbox] == [[defi.owner.email]]


def test_juror_updates_an_evaluation_made_on_an_earlier_version(
    scored, django_capture_on_commit_callbacks
):
    _rewrite(scored["defi"], django_capture_on_commit_callbacks)
    evaluation = _fresh(scored["submitted"])
    juror = evaluation.member.user

    evaluation = evaluation_update_for_new_version(
        domain=DEFI_JURY, evaluation=evaluation, actor=juror
    )
    assert evaluation.state == State.DRAFT
    evaluation_save(
        domain=DEFI_JURY,
        evaluation=evaluation,
        actor=juror,
        version=evaluation.version,
        scores=_scores(scored["criteria"], 4),
        overall_comment="Revu sur la version 2.",
        submit=True,
    )

    evaluation = _fresh(evaluation)
    assert (evaluation.state, evaluation.dossier_version) == (State.SUBMITTED, 2)
    assert evaluation.made_on_earlier_version is False
    assert Action.JUROR_REOPENED in history_for(evaluation).values_list("action", flat=True)


def test_juror_update_refused_on_the_current_version(scored):
    evaluation = _fresh(scored["submitted"])

    with pytest.raises(InvalidTransition, match="version actuelle"):
        evaluation_update_for_new_version(
            domain=DEFI_JURY, evaluation=evaluation, actor=evaluation.member.user
        )

    assert _fresh(evaluation).state == State.SUBMITTED


def test_ranking_flags_a_defi_with_evaluations_on_an_earlier_version(
    scored, django_capture_on_commit_callbacks
):
    jury = scored["jury"]
    before = jury_ranking(DEFI_JURY, jury).get()["earlier_version"]

    _rewrite(scored["defi"], django_capture_on_commit_callbacks)

    assert before is False
    assert jury_ranking(DEFI_JURY, jury).get()["earlier_version"] is True


# --- Pages --------------------------------------------------------------------------------


def test_juror_pages_show_the_earlier_version_and_the_diff(
    client, scored, django_capture_on_commit_callbacks
):
    _rewrite(scored["defi"], django_capture_on_commit_callbacks)
    evaluation = scored["submitted"]
    client.force_login(evaluation.member.user)

    dashboard = _text(client.get(reverse("jury:dashboard")))
    response = client.get(reverse("jury:evaluation_detail", args=["defis", evaluation.pk]))
    page = response.content.decode()

    assert "Faite sur une version antérieure" in dashboard
    assert "Évaluation faite sur une version antérieure" in _text(response)
    assert "Version 1 évaluée, version 2 déposée" in _text(response)
    # The agent's text is escaped inside the diff's <ins>.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    assert "<del>" in page and "<ins>" in page
    assert "Rouvrir mon évaluation pour la mettre à jour" in page


def test_juror_reopens_their_evaluation_from_the_page(
    client, scored, django_capture_on_commit_callbacks
):
    _rewrite(scored["defi"], django_capture_on_commit_callbacks)
    evaluation = scored["submitted"]
    client.force_login(evaluation.member.user)

    response = client.post(reverse("jury:evaluation_update", args=["defis", evaluation.pk]))

    assert response.status_code == 302
    assert _fresh(evaluation).state == State.DRAFT


def test_juror_reopen_refused_for_another_juror(client, scored, django_capture_on_commit_callbacks):
    _rewrite(scored["defi"], django_capture_on_commit_callbacks)
    evaluation = scored["submitted"]
    client.force_login(scored["draft"].member.user)

    response = client.post(reverse("jury:evaluation_update", args=["defis", evaluation.pk]))

    assert response.status_code == 404
    assert _fresh(evaluation).state == State.SUBMITTED


def test_staff_pages_flag_the_earlier_version(client, scored, django_capture_on_commit_callbacks):
    defi = _rewrite(scored["defi"], django_capture_on_commit_callbacks)
    jury = scored["jury"]
    client.force_login(StaffFactory())

    page = _text(client.get(reverse("jury:selection_dossier", args=[jury.pk, defi.pk])))
    ranking = _text(client.get(reverse("jury:selection_ranking", args=[jury.pk])))

    assert "Des évaluations portent sur une version antérieure" in page
    assert "Faite sur la version 1 (actuelle : 2)" in page
    assert "Ce qui a changé depuis la version 1" in page
    assert "version antérieure" in ranking


# --- Existing data ------------------------------------------------------------------------


def test_migration_backfills_versions_of_defis_already_submitted():
    from importlib import import_module

    from django.apps import apps

    backfill = import_module("projects.migrations.0005_defi_versions").versions_backfill
    call = ProjectCallFactory()
    jury = jury_for_call(call, jurors=2)
    submitted = submitted_defi(call)
    reopened = submitted_defi(call)
    reopened.state = "draft"
    reopened.save(update_fields=["state"])
    draft = fill_defi(DefiFactory(call=call))
    first, second = jury.members.order_by("pk")
    scored = DefiEvaluation.objects.create(member=first, defi=submitted, state="submitted")
    waiting = DefiEvaluation.objects.create(member=second, defi=submitted)
    on_reopened = DefiEvaluation.objects.create(member=first, defi=reopened, state="draft")

    backfill(apps, None)

    for defi in (submitted, reopened, draft):
        defi.refresh_from_db()
    assert (submitted.submitted_version, reopened.submitted_version, draft.submitted_version) == (
        1,
        1,
        0,
    )
    # The submitted text is known only for the défi still submitted.
    assert submitted.versions.get().content == defi_snapshot(submitted)
    assert not reopened.versions.exists()
    assert [_fresh(e).dossier_version for e in (scored, waiting, on_reopened)] == [1, None, 1]
