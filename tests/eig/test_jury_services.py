import datetime
import json

import pytest
from django.core import mail
from django.utils import timezone

from eig.accounts.models import User
from eig.exceptions import DeadlinePassed, DomainError, IncompleteDossier, InvalidTransition
from eig.history.selectors import history_for, history_latest
from eig.jury import services
from eig.jury.models import Criterion
from eig.jury.presets import jury_apply_preset, presets
from eig.programme.models import Administration, Specialty
from projects.jury import DEFI_JURY
from projects.management.commands.load_reference import default_reference_dir
from projects.models import DefiConflict, DefiEvaluation
from tests.factories import (
    AdministrationFactory,
    JuryMemberFactory,
    ProjectCallFactory,
    StaffFactory,
    jury_for_call,
    submitted_defi,
)
from tests.services import require

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return StaffFactory()


@pytest.fixture
def call():
    return ProjectCallFactory()


def _pairs(jury):
    return set(DefiEvaluation.objects.filter(member__jury=jury).values_list("defi_id", "member_id"))


def _loads(jury):
    loads = {member.pk: 0 for member in jury.members.filter(withdrawn_at__isnull=True)}
    for _defi, member in _pairs(jury):
        loads[member] += 1
    return loads


def _submit(evaluation, *, comment=""):
    """The evaluation's juror scores every criterion 3 and submits, from version 0."""
    return services.evaluation_save(
        domain=DEFI_JURY,
        evaluation=evaluation,
        actor=evaluation.member.user,
        version=0,
        scores=_scores(evaluation),
        overall_comment=comment,
        submit=True,
    )


def _scores(evaluation, value=3):
    return {criterion.pk: (value, "") for criterion in evaluation.member.jury.criteria.all()}


def test_jury_assign_gives_each_defi_k_jurors_balanced(call, staff):
    jury = jury_for_call(call, jurors=4, k=2)
    defis = [submitted_defi(call) for _ in range(6)]

    result = services.jury_assign(domain=DEFI_JURY, jury=jury, actor=staff)

    assert result.feasible
    pairs = _pairs(jury)
    assert {defi_id for defi_id, _ in pairs} == {defi.pk for defi in defis}
    assert all(sum(1 for d, _ in pairs if d == defi.pk) == 2 for defi in defis)
    assert sorted(_loads(jury).values()) == [3, 3, 3, 3]
    assert history_latest(DEFI_JURY.evaluation_model, action="assigned").count() == 12


def test_jury_assign_never_gives_a_juror_a_defi_of_their_administration_or_ministry(call, staff):
    ministry = AdministrationFactory(kind=Administration.Kind.MINISTRY)
    operator = AdministrationFactory(kind=Administration.Kind.OPERATOR, parent=ministry)
    jury = jury_for_call(call, jurors=3, k=2)
    same_admin = JuryMemberFactory(jury=jury, user__administration=operator)
    same_ministry = JuryMemberFactory(jury=jury, user__administration=ministry)
    defi = submitted_defi(call, owner__administration=operator)

    result = services.jury_assign(domain=DEFI_JURY, jury=jury, actor=staff)

    assert result.feasible
    assigned = {member for d, member in _pairs(jury) if d == defi.pk}
    assert same_admin.pk not in assigned
    assert same_ministry.pk not in assigned
    assert len(assigned) == 2


def test_jury_assign_says_which_defis_lack_jurors(call, staff):
    jury = jury_for_call(call, jurors=0, k=2)
    member = JuryMemberFactory(jury=jury)
    defi = submitted_defi(call, owner__administration=member.user.administration)
    other = submitted_defi(call)
    JuryMemberFactory(jury=jury)

    result = services.jury_assign(domain=DEFI_JURY, jury=jury, actor=staff)

    assert not result.feasible
    assert result.shortfall == {defi.pk: 1}
    assert "il en manque 1" in result.explain()
    assert sum(1 for d, _ in _pairs(jury) if d == other.pk) == 2


def test_jury_assign_keeps_started_evaluations_and_fills_gaps(call, staff):
    jury = jury_for_call(call, jurors=3, k=2)
    first = submitted_defi(call)
    services.jury_assign(domain=DEFI_JURY, jury=jury, actor=staff)
    evaluation = DefiEvaluation.objects.filter(defi=first).first()
    services.evaluation_save(
        domain=DEFI_JURY,
        evaluation=evaluation,
        actor=evaluation.member.user,
        version=0,
        scores=_scores(evaluation),
        overall_comment="",
    )
    before = _pairs(jury)
    second = submitted_defi(call)

    services.jury_assign(domain=DEFI_JURY, jury=jury, actor=staff, rebalance=True)

    after = _pairs(jury)
    assert (first.pk, evaluation.member_id) in after
    assert sum(1 for d, _ in after if d == second.pk) == 2
    assert len(after) == len(before) + 2


def test_jury_assign_twice_changes_nothing(call, staff):
    jury = jury_for_call(call, jurors=3, k=2)
    for _ in range(3):
        submitted_defi(call)
    services.jury_assign(domain=DEFI_JURY, jury=jury, actor=staff)
    before = _pairs(jury)

    result = services.jury_assign(domain=DEFI_JURY, jury=jury, actor=staff)

    assert _pairs(jury) == before
    assert result.new_pairs == frozenset()


def test_jury_assign_matches_expertise_when_it_costs_no_balance(call, staff):
    jury = jury_for_call(call, jurors=0, k=1)
    designer = JuryMemberFactory(jury=jury, expertise=[Specialty.DESIGN])
    JuryMemberFactory(jury=jury, expertise=[Specialty.LAW] if hasattr(Specialty, "LAW") else [])
    defi = submitted_defi(call)  # seeks development and data science
    defi.positions.filter(rank=2).update(specialty=Specialty.DESIGN)

    services.jury_assign(domain=DEFI_JURY, jury=jury, actor=staff)

    assert _pairs(jury) == {(defi.pk, designer.pk)}


def test_member_withdraw_reassigns_their_unfinished_dossiers(call, staff):
    jury = jury_for_call(call, jurors=4, k=2)
    for _ in range(4):
        submitted_defi(call)
    services.jury_assign(domain=DEFI_JURY, jury=jury, actor=staff)
    leaving = jury.members.first()
    kept = DefiEvaluation.objects.filter(member=leaving).first()
    _submit(kept)

    result = services.member_withdraw(domain=DEFI_JURY, member=leaving, actor=staff)

    assert result.feasible
    leaving.refresh_from_db()
    assert leaving.withdrawn_at is not None
    assert list(DefiEvaluation.objects.filter(member=leaving)) == [kept]
    for defi_id in {d for d, _ in _pairs(jury)}:
        active = DefiEvaluation.objects.filter(defi_id=defi_id, member__withdrawn_at__isnull=True)
        submitted_by_leaver = DefiEvaluation.objects.filter(defi_id=defi_id, member=leaving)
        assert active.count() + submitted_by_leaver.count() == 2


def test_jury_notify_jurors_mails_each_juror_once(call, staff, django_capture_on_commit_callbacks):
    jury = jury_for_call(call, jurors=2, k=1)
    submitted_defi(call, title="Données de santé")
    submitted_defi(call, title="Cadastre solaire")
    services.jury_assign(domain=DEFI_JURY, jury=jury, actor=staff)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.jury_notify_jurors(domain=DEFI_JURY, jury=jury) == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert services.jury_notify_jurors(domain=DEFI_JURY, jury=jury) == 0

    assert len(mail.outbox) == 2
    bodies = "".join(message.body for message in mail.outbox)
    assert "Données de santé" in bodies and "Cadastre solaire" in bodies
    assert "/jury/" in bodies


def test_evaluation_assign_by_hand_refuses_a_conflicted_juror(call, staff):
    jury = jury_for_call(call, jurors=1, k=1)
    member = jury.members.get()
    defi = submitted_defi(call)
    services.conflict_declare(
        domain=DEFI_JURY, member=member, dossier=defi, reason="Ancien collègue"
    )

    with pytest.raises(DomainError, match="conflit"):
        services.evaluation_assign(domain=DEFI_JURY, member=member, dossier=defi, actor=staff)


def test_evaluation_assign_by_hand_is_kept_by_rebalancing(call, staff):
    jury = jury_for_call(call, jurors=2, k=1)
    member = jury.members.first()
    defi = submitted_defi(call)
    services.evaluation_assign(domain=DEFI_JURY, member=member, dossier=defi, actor=staff)

    services.jury_assign(domain=DEFI_JURY, jury=jury, actor=staff, rebalance=True)

    assert _pairs(jury) == {(defi.pk, member.pk)}


def test_evaluation_unassign_refused_once_started(call, staff):
    jury = jury_for_call(call, jurors=1, k=1)
    defi = submitted_defi(call)
    services.jury_assign(domain=DEFI_JURY, jury=jury, actor=staff)
    evaluation = DefiEvaluation.objects.get(defi=defi)
    services.evaluation_save(
        domain=DEFI_JURY,
        evaluation=evaluation,
        actor=evaluation.member.user,
        version=0,
        scores={},
        overall_comment="Début",
    )

    with pytest.raises(InvalidTransition):
        services.evaluation_unassign(domain=DEFI_JURY, evaluation=evaluation)


def test_conflict_declare_removes_the_jurors_evaluation(call, staff):
    jury = jury_for_call(call, jurors=1, k=1)
    defi = submitted_defi(call)
    services.jury_assign(domain=DEFI_JURY, jury=jury, actor=staff)
    member = jury.members.get()

    services.conflict_declare(
        domain=DEFI_JURY, member=member, dossier=defi, reason="Mon ancien service"
    )

    assert not DefiEvaluation.objects.filter(member=member).exists()
    assert DefiConflict.objects.get().reason == "Mon ancien service"


@pytest.fixture
def evaluation(call, staff):
    jury = jury_for_call(call, jurors=1, k=1, criteria=2)
    submitted_defi(call)
    services.jury_assign(domain=DEFI_JURY, jury=jury, actor=staff)
    return DefiEvaluation.objects.select_related("member__user", "member__jury").get()


def test_evaluation_save_draft_then_submit(evaluation):
    juror = evaluation.member.user
    first, second = evaluation.member.jury.criteria.all()

    services.evaluation_save(
        domain=DEFI_JURY,
        evaluation=evaluation,
        actor=juror,
        version=0,
        scores={first.pk: (4, "Fort impact"), second.pk: (None, "")},
        overall_comment="À finir",
    )
    evaluation.refresh_from_db()
    assert (evaluation.state, evaluation.version) == ("draft", 1)

    services.evaluation_save(
        domain=DEFI_JURY,
        evaluation=evaluation,
        actor=juror,
        version=1,
        scores={first.pk: (4, "Fort impact"), second.pk: (2, "Équipe réduite")},
        overall_comment="Bon dossier",
        submit=True,
    )
    evaluation.refresh_from_db()
    assert (evaluation.state, evaluation.version) == ("submitted", 2)
    assert {s.criterion_id: (s.value, s.comment) for s in evaluation.scores.all()} == {
        first.pk: (4, "Fort impact"),
        second.pk: (2, "Équipe réduite"),
    }
    assert list(history_for(evaluation).values_list("action", flat=True)) == [
        "assigned",
        "submitted",
    ]


def test_evaluation_save_refuses_a_stale_version_and_keeps_the_saved_scores(evaluation):
    juror = evaluation.member.user
    first, second = evaluation.member.jury.criteria.all()
    services.evaluation_save(
        domain=DEFI_JURY,
        evaluation=evaluation,
        actor=juror,
        version=0,
        scores={first.pk: (4, "")},
        overall_comment="Onglet 1",
    )

    with pytest.raises(services.StaleEvaluation):
        services.evaluation_save(
            domain=DEFI_JURY,
            evaluation=evaluation,
            actor=juror,
            version=0,
            scores={first.pk: (1, "")},
            overall_comment="Onglet 2",
        )

    evaluation.refresh_from_db()
    assert evaluation.overall_comment == "Onglet 1"
    assert evaluation.scores.get(criterion=first).value == 4


def test_evaluation_submit_needs_every_criterion(evaluation):
    first, second = evaluation.member.jury.criteria.all()

    with pytest.raises(IncompleteDossier) as error:
        services.evaluation_save(
            domain=DEFI_JURY,
            evaluation=evaluation,
            actor=evaluation.member.user,
            version=0,
            scores={first.pk: (3, "")},
            overall_comment="",
            submit=True,
        )

    assert error.value.missing == [second.name]
    evaluation.refresh_from_db()
    assert evaluation.state == "pending"


def test_evaluation_save_refuses_scores_off_the_scale(evaluation):
    first = evaluation.member.jury.criteria.first()

    with pytest.raises(DomainError, match="entre 1 et 4"):
        services.evaluation_save(
            domain=DEFI_JURY,
            evaluation=evaluation,
            actor=evaluation.member.user,
            version=0,
            scores={first.pk: (5, "")},
            overall_comment="",
        )


def test_evaluation_save_refused_after_the_deadline_paris_time(evaluation):
    jury = evaluation.member.jury
    jury.scoring_deadline = datetime.datetime(2027, 3, 1, 18, 0, tzinfo=datetime.UTC)
    jury.save()

    with pytest.raises(DeadlinePassed):
        services.evaluation_save(
            domain=DEFI_JURY,
            evaluation=evaluation,
            actor=evaluation.member.user,
            version=0,
            scores={},
            overall_comment="",
            now=jury.scoring_deadline,
        )


def test_evaluation_save_refused_to_another_user(evaluation, staff):
    with pytest.raises(DomainError, match="pas la vôtre"):
        services.evaluation_save(
            domain=DEFI_JURY,
            evaluation=evaluation,
            actor=staff,
            version=0,
            scores={},
            overall_comment="",
        )


def test_evaluation_reopen_records_who_and_why_and_mails_the_juror(
    evaluation, staff, django_capture_on_commit_callbacks
):
    _submit(evaluation)
    with pytest.raises(InvalidTransition):
        services.evaluation_save(
            domain=DEFI_JURY,
            evaluation=evaluation,
            actor=evaluation.member.user,
            version=1,
            scores=_scores(evaluation, 1),
            overall_comment="",
        )

    with django_capture_on_commit_callbacks(execute=True):
        services.evaluation_reopen(
            domain=DEFI_JURY, evaluation=evaluation, actor=staff, note="Critère 2 à revoir"
        )

    evaluation.refresh_from_db()
    assert (evaluation.state, evaluation.version) == ("draft", 2)
    event = history_for(evaluation).last()
    assert (event.action, event.actor, event.note) == ("reopened", staff, "Critère 2 à revoir")
    assert mail.outbox[-1].to == [evaluation.member.user.email]
    assert "Critère 2 à revoir" in mail.outbox[-1].body


def test_presets_cover_promotions_3_to_7():
    assert {"p3", "p4", "p5", "p6", "p7"} <= set(presets())
    assert all(len(preset["criteria"]) >= 5 for preset in presets().values())


def test_presets_follow_the_reference_criteria():
    # The same folder as `load_reference` (EIG_REFERENCE_DIR); skipped on a machine without
    # it, failed in CI, where it must be.
    folder = default_reference_dir()
    require(folder.is_dir(), f"données de référence absentes ({folder})")
    reference = json.loads((folder / "criteria.json").read_text(encoding="utf-8"))
    names = {
        str(grid["promotion"]) + grid.get("variant", ""): [c["name"] for c in grid["criteria"]]
        for grid in reference["defi_selection"]
    }
    assert [c["name"] for c in presets()["p4"]["criteria"]] == names["4"]
    assert [c["name"] for c in presets()["p6"]["criteria"]] == names["6"]


def test_jury_apply_preset_replaces_the_grid_until_someone_scores(evaluation):
    jury = evaluation.member.jury

    jury_apply_preset(jury=jury, key="p4")

    assert list(jury.criteria.values_list("position", flat=True)) == [1, 2, 3, 4, 5]
    first = jury.criteria.first()
    assert first.name == "Potentiel du défi proposé"
    assert first.scale[0] == (1, "pas du tout satisfaisant")
    services.evaluation_save(
        domain=DEFI_JURY,
        evaluation=evaluation,
        actor=evaluation.member.user,
        version=0,
        scores={first.pk: (3, "")},
        overall_comment="",
    )
    with pytest.raises(DomainError, match="déjà noté"):
        jury_apply_preset(jury=jury, key="p7")
    assert Criterion.objects.filter(jury=jury).count() == 5


def test_jury_deadline_is_compared_in_absolute_time():
    # 18:00 in Paris in winter is 17:00 UTC: one second before is still open.
    from tests.factories import JuryFactory

    deadline = datetime.datetime(2027, 1, 15, 18, 0, tzinfo=timezone.get_default_timezone())
    jury = JuryFactory(scoring_deadline=deadline)
    assert jury.is_scoring_open(datetime.datetime(2027, 1, 15, 16, 59, 59, tzinfo=datetime.UTC))
    assert not jury.is_scoring_open(datetime.datetime(2027, 1, 15, 17, 0, tzinfo=datetime.UTC))


def test_conflict_declare_refused_once_the_evaluation_is_submitted(evaluation):
    _submit(evaluation)

    with pytest.raises(InvalidTransition, match="déjà soumise"):
        services.conflict_declare(
            domain=DEFI_JURY, member=evaluation.member, dossier=evaluation.defi, reason="Regret"
        )

    assert DefiEvaluation.objects.filter(pk=evaluation.pk).exists()
    assert not DefiConflict.objects.exists()


def test_scoring_reminders_go_once_to_jurors_with_work_left(
    call, staff, django_capture_on_commit_callbacks
):
    jury = jury_for_call(call, jurors=2, k=1)
    submitted_defi(call)
    submitted_defi(call)
    services.jury_assign(domain=DEFI_JURY, jury=jury, actor=staff)
    done = DefiEvaluation.objects.select_related("member__user", "member__jury").first()
    _submit(done)
    jury.scoring_deadline = datetime.datetime(2027, 3, 10, 18, 0, tzinfo=datetime.UTC)
    jury.save()
    too_early = jury.scoring_deadline - datetime.timedelta(days=4)
    j3 = jury.scoring_deadline - datetime.timedelta(days=2, hours=12)
    j1 = jury.scoring_deadline - datetime.timedelta(hours=5)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.jury_send_scoring_reminders(domain=DEFI_JURY, now=too_early) == 0
        assert services.jury_send_scoring_reminders(domain=DEFI_JURY, now=j3) == 1
        assert services.jury_send_scoring_reminders(domain=DEFI_JURY, now=j3) == 0
        assert services.jury_send_scoring_reminders(domain=DEFI_JURY, now=j1) == 1
        assert services.jury_send_scoring_reminders(domain=DEFI_JURY, now=j1) == 0

    other = DefiEvaluation.objects.exclude(pk=done.pk).get()
    assert [m.to for m in mail.outbox] == [[other.member.user.email]] * 2
    assert "Il vous reste 1 évaluation" in mail.outbox[0].body


def test_juror_export_and_erasure_keep_the_jurys_work(evaluation, staff, client):
    from django.urls import reverse

    from tests.factories import PASSWORD

    juror = evaluation.member.user
    _submit(evaluation, comment="Solide")
    client.force_login(juror)

    data = json.loads(client.get(reverse("accounts:personal_data_export")).content)
    assert data["jury"][0]["evaluations"][0]["appreciation_generale"] == "Solide"
    assert {note["note"] for note in data["jury"][0]["evaluations"][0]["notes"]} == {3}

    response = client.post(
        reverse("accounts:personal_data"), {"password": PASSWORD, "confirm": "on"}, follow=True
    )
    assert "membre d&#x27;un jury en cours" in response.content.decode()
    assert User.objects.filter(pk=juror.pk).exists()

    services.member_withdraw(domain=DEFI_JURY, member=evaluation.member, actor=staff)
    client.post(reverse("accounts:personal_data"), {"password": PASSWORD, "confirm": "on"})

    assert not User.objects.filter(pk=juror.pk).exists()
    evaluation.refresh_from_db()
    assert evaluation.state == "submitted"
    assert str(evaluation.member) == "Juré dont le compte est supprimé"
