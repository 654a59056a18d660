"""The jury engine's writes (conflicts, assignment, scoring, reminders), on every domain: each
test runs on défis and on the test-only entries (`kit`, see tests/jury_kit.py). The défi's
own rules (administrations, ministries, profiles sought, personal data) are tested in
tests/projects/test_jury_defi_domain.py."""

import datetime
import json

import pytest
from django.core import mail
from django.utils import timezone

from eig.exceptions import DeadlinePassed, DomainError, IncompleteDossier, InvalidTransition
from eig.history.models import Event
from eig.history.selectors import history_for, history_latest
from eig.jury import services
from eig.jury.models import Criterion
from eig.jury.presets import jury_apply_preset, presets
from eig.notifications.models import OutboxMessage
from projects.management.commands.load_reference import default_reference_dir
from tests.factories import AgentFactory, StaffFactory
from tests.services import require

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return StaffFactory()


def _loads(kit, jury):
    loads = {member.pk: 0 for member in jury.members.filter(withdrawn_at__isnull=True)}
    for _dossier, member in kit.pairs(jury):
        loads[member] += 1
    return loads


def _submit(kit, evaluation, *, comment=""):
    """The evaluation's juror scores every criterion 3 and submits, from version 0."""
    return services.evaluation_save(
        domain=kit.domain,
        evaluation=evaluation,
        actor=evaluation.member.user,
        version=0,
        scores=_scores(evaluation),
        overall_comment=comment,
        submit=True,
    )


def _scores(evaluation, value=3):
    return {criterion.pk: (value, "") for criterion in evaluation.member.jury.criteria.all()}


def test_jury_assign_gives_each_dossier_k_jurors_balanced(kit, staff):
    jury = kit.jury(jurors=4, k=2)
    dossiers = [kit.dossier(jury) for _ in range(6)]

    result = services.jury_assign(domain=kit.domain, jury=jury, actor=staff)

    assert result.feasible
    pairs = kit.pairs(jury)
    assert {dossier_id for dossier_id, _ in pairs} == {dossier.pk for dossier in dossiers}
    assert all(sum(1 for d, _ in pairs if d == dossier.pk) == 2 for dossier in dossiers)
    assert sorted(_loads(kit, jury).values()) == [3, 3, 3, 3]
    assert history_latest(kit.domain.evaluation_model, action="assigned").count() == 12


def test_jury_assign_never_gives_a_juror_a_dossier_they_are_in_conflict_with(kit, staff):
    jury = kit.jury(jurors=3, k=2)
    dossier = kit.dossier(jury)
    conflicted = kit.conflicting_member(jury, dossier)

    result = services.jury_assign(domain=kit.domain, jury=jury, actor=staff)

    assert result.feasible
    assigned = {member for d, member in kit.pairs(jury) if d == dossier.pk}
    assert conflicted.pk not in assigned
    assert len(assigned) == 2


def test_jury_assign_says_which_dossiers_lack_jurors(kit, staff):
    jury = kit.jury(jurors=0, k=2)
    dossier = kit.dossier(jury)
    kit.conflicting_member(jury, dossier)
    other = kit.dossier(jury)
    kit.member(jury)

    result = services.jury_assign(domain=kit.domain, jury=jury, actor=staff)

    assert not result.feasible
    assert result.shortfall == {dossier.pk: 1}
    assert "il en manque 1" in result.explain()
    assert sum(1 for d, _ in kit.pairs(jury) if d == other.pk) == 2


def test_jury_assign_keeps_started_evaluations_and_fills_gaps(kit, staff):
    jury = kit.jury(jurors=3, k=2)
    first = kit.dossier(jury)
    services.jury_assign(domain=kit.domain, jury=jury, actor=staff)
    evaluation = kit.evaluations_of(first).first()
    services.evaluation_save(
        domain=kit.domain,
        evaluation=evaluation,
        actor=evaluation.member.user,
        version=0,
        scores=_scores(evaluation),
        overall_comment="",
    )
    before = kit.pairs(jury)
    second = kit.dossier(jury)

    services.jury_assign(domain=kit.domain, jury=jury, actor=staff, rebalance=True)

    after = kit.pairs(jury)
    assert (first.pk, evaluation.member_id) in after
    assert sum(1 for d, _ in after if d == second.pk) == 2
    assert len(after) == len(before) + 2


def test_jury_assign_twice_changes_nothing(kit, staff):
    jury = kit.jury(jurors=3, k=2)
    for _ in range(3):
        kit.dossier(jury)
    services.jury_assign(domain=kit.domain, jury=jury, actor=staff)
    before = kit.pairs(jury)

    result = services.jury_assign(domain=kit.domain, jury=jury, actor=staff)

    assert kit.pairs(jury) == before
    assert result.new_pairs == frozenset()


def test_jury_assign_matches_expertise_when_it_costs_no_balance(kit, staff):
    jury = kit.jury(jurors=0, k=1)
    dossier = kit.dossier(jury)
    expert = kit.expert_member(jury, dossier)
    kit.member(jury, expertise=[])

    services.jury_assign(domain=kit.domain, jury=jury, actor=staff)

    assert kit.pairs(jury) == {(dossier.pk, expert.pk)}


def test_member_withdraw_reassigns_their_unfinished_dossiers(kit, staff):
    jury = kit.jury(jurors=4, k=2)
    for _ in range(4):
        kit.dossier(jury)
    services.jury_assign(domain=kit.domain, jury=jury, actor=staff)
    leaving = jury.members.first()
    kept = kit.evaluations(member=leaving).first()
    _submit(kit, kept)

    result = services.member_withdraw(domain=kit.domain, member=leaving, actor=staff)

    assert result.feasible
    leaving.refresh_from_db()
    assert leaving.withdrawn_at is not None
    assert list(kit.evaluations(member=leaving)) == [kept]
    field = kit.domain.dossier_id_field
    for dossier_id in {d for d, _ in kit.pairs(jury)}:
        active = kit.evaluations(**{field: dossier_id}, member__withdrawn_at__isnull=True)
        submitted_by_leaver = kit.evaluations(**{field: dossier_id}, member=leaving)
        assert active.count() + submitted_by_leaver.count() == 2


def test_jury_notify_jurors_mails_each_juror_once(kit, staff, django_capture_on_commit_callbacks):
    jury = kit.jury(jurors=2, k=1)
    first = kit.dossier(jury, name="Données de santé")
    second = kit.dossier(jury, name="Cadastre solaire")
    services.jury_assign(domain=kit.domain, jury=jury, actor=staff)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.jury_notify_jurors(domain=kit.domain, jury=jury) == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert services.jury_notify_jurors(domain=kit.domain, jury=jury) == 0

    assert len(mail.outbox) == 2
    bodies = "".join(message.body for message in mail.outbox)
    # Jurors know each dossier by its label for them: its title, or its number when the
    # jury is anonymous (then « Données de santé » is a name they must not read).
    for dossier in (first, second):
        assert kit.domain.label_for_juror(dossier) in bodies
    if kit.domain.anonymous:
        assert "Données de santé" not in bodies and "Cadastre solaire" not in bodies
    else:
        assert "Données de santé" in bodies and "Cadastre solaire" in bodies
    assert "/jury/" in bodies


def test_evaluation_assign_by_hand_refuses_a_conflicted_juror(kit, staff):
    jury = kit.jury(jurors=1, k=1)
    member = jury.members.get()
    dossier = kit.dossier(jury)
    services.conflict_declare(
        domain=kit.domain, member=member, dossier=dossier, reason="Ancien collègue"
    )

    with pytest.raises(DomainError, match="conflit"):
        services.evaluation_assign(domain=kit.domain, member=member, dossier=dossier, actor=staff)


def test_evaluation_assign_by_hand_refuses_an_automatic_conflict(kit, staff):
    jury = kit.jury(jurors=0, k=1)
    dossier = kit.dossier(jury)
    member = kit.conflicting_member(jury, dossier)

    with pytest.raises(DomainError, match="conflit"):
        services.evaluation_assign(domain=kit.domain, member=member, dossier=dossier, actor=staff)

    assert not kit.evaluations_of(dossier).exists()


def test_evaluation_assign_by_hand_is_kept_by_rebalancing(kit, staff):
    jury = kit.jury(jurors=2, k=1)
    member = jury.members.first()
    dossier = kit.dossier(jury)
    services.evaluation_assign(domain=kit.domain, member=member, dossier=dossier, actor=staff)

    services.jury_assign(domain=kit.domain, jury=jury, actor=staff, rebalance=True)

    assert kit.pairs(jury) == {(dossier.pk, member.pk)}


def test_evaluation_assign_by_hand_refuses_a_dossier_of_another_jury(kit, staff):
    jury = kit.jury(jurors=1, k=1)

    with pytest.raises(DomainError, match="pas soumis à ce jury"):
        services.evaluation_assign(
            domain=kit.domain, member=jury.members.get(), dossier=kit.other_dossier(), actor=staff
        )


def test_evaluation_unassign_refused_once_started(kit, staff):
    jury = kit.jury(jurors=1, k=1)
    dossier = kit.dossier(jury)
    services.jury_assign(domain=kit.domain, jury=jury, actor=staff)
    evaluation = kit.evaluations_of(dossier).get()
    services.evaluation_save(
        domain=kit.domain,
        evaluation=evaluation,
        actor=evaluation.member.user,
        version=0,
        scores={},
        overall_comment="Début",
    )

    with pytest.raises(InvalidTransition):
        services.evaluation_unassign(domain=kit.domain, evaluation=evaluation)


def test_conflict_declare_removes_the_jurors_evaluation(kit, staff):
    jury = kit.jury(jurors=1, k=1)
    dossier = kit.dossier(jury)
    services.jury_assign(domain=kit.domain, jury=jury, actor=staff)
    member = jury.members.get()

    services.conflict_declare(
        domain=kit.domain, member=member, dossier=dossier, reason="Mon ancien service"
    )

    assert not kit.evaluations(member=member).exists()
    assert kit.conflicts().get().reason == "Mon ancien service"


@pytest.fixture
def evaluation(kit, staff):
    jury = kit.jury(jurors=1, k=1, criteria=2)
    kit.dossier(jury)
    services.jury_assign(domain=kit.domain, jury=jury, actor=staff)
    return kit.evaluations().select_related("member__user", "member__jury").get()


def test_conflict_declared_on_a_scored_draft_takes_it_back_and_keeps_its_history(kit, evaluation):
    # Scores are protected from cascades: the draft goes through the one unassignment.
    juror = evaluation.member.user
    first, second = evaluation.member.jury.criteria.all()
    services.evaluation_save(
        domain=kit.domain,
        evaluation=evaluation,
        actor=juror,
        version=evaluation.version,
        scores={first.pk: (3, "Bien"), second.pk: (None, "")},
        overall_comment="",
        submit=False,
    )
    dossier = getattr(evaluation, kit.domain.dossier_field)

    services.conflict_declare(
        domain=kit.domain, member=evaluation.member, dossier=dossier, reason="Ancien collègue"
    )

    assert not kit.evaluations(pk=evaluation.pk).exists()
    assert not kit.domain.score_model.objects.filter(evaluation_id=evaluation.pk).exists()
    event = history_latest(kit.domain.evaluation_model, action="unassigned").get()
    assert (event.subject_id, event.actor, event.note) == (
        evaluation.pk,
        juror,
        "Conflit d'intérêts déclaré",
    )
    assert event.data["draft_scores"][str(first.pk)] == [3, "Bien"]


def test_evaluation_save_draft_then_submit(kit, evaluation):
    juror = evaluation.member.user
    first, second = evaluation.member.jury.criteria.all()

    services.evaluation_save(
        domain=kit.domain,
        evaluation=evaluation,
        actor=juror,
        version=0,
        scores={first.pk: (4, "Fort impact"), second.pk: (None, "")},
        overall_comment="À finir",
    )
    evaluation.refresh_from_db()
    assert (evaluation.state, evaluation.version) == ("draft", 1)

    services.evaluation_save(
        domain=kit.domain,
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


def test_evaluation_save_refuses_a_stale_version_and_keeps_the_saved_scores(kit, evaluation):
    juror = evaluation.member.user
    first, second = evaluation.member.jury.criteria.all()
    services.evaluation_save(
        domain=kit.domain,
        evaluation=evaluation,
        actor=juror,
        version=0,
        scores={first.pk: (4, "")},
        overall_comment="Onglet 1",
    )

    with pytest.raises(services.StaleEvaluation):
        services.evaluation_save(
            domain=kit.domain,
            evaluation=evaluation,
            actor=juror,
            version=0,
            scores={first.pk: (1, "")},
            overall_comment="Onglet 2",
        )

    evaluation.refresh_from_db()
    assert evaluation.overall_comment == "Onglet 1"
    assert evaluation.scores.get(criterion=first).value == 4


def test_evaluation_submit_needs_every_criterion(kit, evaluation):
    first, second = evaluation.member.jury.criteria.all()

    with pytest.raises(IncompleteDossier) as error:
        services.evaluation_save(
            domain=kit.domain,
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


def test_evaluation_save_refuses_scores_off_the_scale(kit, evaluation):
    first = evaluation.member.jury.criteria.first()

    with pytest.raises(DomainError, match="entre 1 et 4"):
        services.evaluation_save(
            domain=kit.domain,
            evaluation=evaluation,
            actor=evaluation.member.user,
            version=0,
            scores={first.pk: (5, "")},
            overall_comment="",
        )


def test_evaluation_save_refused_after_the_deadline_paris_time(kit, evaluation):
    jury = evaluation.member.jury
    jury.scoring_deadline = datetime.datetime(2027, 3, 1, 18, 0, tzinfo=datetime.UTC)
    jury.save()

    with pytest.raises(DeadlinePassed):
        services.evaluation_save(
            domain=kit.domain,
            evaluation=evaluation,
            actor=evaluation.member.user,
            version=0,
            scores={},
            overall_comment="",
            now=jury.scoring_deadline,
        )


def test_evaluation_save_refused_to_another_user(kit, evaluation, staff):
    with pytest.raises(DomainError, match="pas la vôtre"):
        services.evaluation_save(
            domain=kit.domain,
            evaluation=evaluation,
            actor=staff,
            version=0,
            scores={},
            overall_comment="",
        )


def test_evaluation_reopen_records_who_and_why_and_mails_the_juror(
    kit, evaluation, staff, django_capture_on_commit_callbacks
):
    _submit(kit, evaluation)
    with pytest.raises(InvalidTransition):
        services.evaluation_save(
            domain=kit.domain,
            evaluation=evaluation,
            actor=evaluation.member.user,
            version=1,
            scores=_scores(evaluation, 1),
            overall_comment="",
        )

    with django_capture_on_commit_callbacks(execute=True):
        services.evaluation_reopen(
            domain=kit.domain, evaluation=evaluation, actor=staff, note="Critère 2 à revoir"
        )

    evaluation.refresh_from_db()
    assert (evaluation.state, evaluation.version) == ("draft", 2)
    event = history_for(evaluation).last()
    assert (event.action, event.actor, event.note) == ("reopened", staff, "Critère 2 à revoir")
    assert mail.outbox[-1].to == [evaluation.member.user.email]
    assert "Critère 2 à revoir" in mail.outbox[-1].body
    dossier = getattr(evaluation, kit.domain.dossier_field)
    assert kit.domain.label_for_juror(dossier) in mail.outbox[-1].subject


def test_evaluation_update_for_new_version_refused_on_an_unversioned_or_current_dossier(
    kit, evaluation
):
    # Défis are versioned, entries are not: either way, an evaluation made on the dossier
    # as it reads now is not the juror's to take back.
    _submit(kit, evaluation)

    with pytest.raises(InvalidTransition, match="version actuelle"):
        services.evaluation_update_for_new_version(
            domain=kit.domain, evaluation=evaluation, actor=evaluation.member.user
        )

    evaluation.refresh_from_db()
    assert evaluation.state == "submitted"


def test_presets_cover_promotions_3_to_7():
    assert {"p3", "p4", "p5", "p6", "p7"} <= set(presets())
    # The défis' grids; the candidates' (`"domains"`) have 2 to 6 criteria.
    defis = [preset for preset in presets().values() if "domains" not in preset]
    assert all(len(preset["criteria"]) >= 5 for preset in defis)


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


def test_jury_apply_preset_replaces_the_grid_until_someone_scores(kit, evaluation):
    jury = evaluation.member.jury

    jury_apply_preset(jury=jury, key="p4")

    assert list(jury.criteria.values_list("position", flat=True)) == [1, 2, 3, 4, 5]
    first = jury.criteria.first()
    assert first.name == "Potentiel du défi proposé"
    assert first.scale[0] == (1, "pas du tout satisfaisant")
    services.evaluation_save(
        domain=kit.domain,
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


def test_conflict_declare_refused_once_the_evaluation_is_submitted(kit, evaluation):
    _submit(kit, evaluation)

    with pytest.raises(InvalidTransition, match="déjà soumise"):
        services.conflict_declare(
            domain=kit.domain,
            member=evaluation.member,
            dossier=getattr(evaluation, kit.domain.dossier_field),
            reason="Regret",
        )

    assert kit.evaluations(pk=evaluation.pk).exists()
    assert not kit.conflicts().exists()


def test_scoring_reminders_go_once_to_jurors_with_work_left(
    kit, staff, django_capture_on_commit_callbacks
):
    jury = kit.jury(jurors=2, k=1)
    kit.dossier(jury)
    kit.dossier(jury)
    services.jury_assign(domain=kit.domain, jury=jury, actor=staff)
    done = kit.evaluations().select_related("member__user", "member__jury").first()
    _submit(kit, done)
    jury.scoring_deadline = datetime.datetime(2027, 3, 10, 18, 0, tzinfo=datetime.UTC)
    jury.save()
    too_early = jury.scoring_deadline - datetime.timedelta(days=4)
    j3 = jury.scoring_deadline - datetime.timedelta(days=2, hours=12)
    j1 = jury.scoring_deadline - datetime.timedelta(hours=5)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.jury_send_scoring_reminders(domain=kit.domain, now=too_early) == 0
        assert services.jury_send_scoring_reminders(domain=kit.domain, now=j3) == 1
        assert services.jury_send_scoring_reminders(domain=kit.domain, now=j3) == 0
        assert services.jury_send_scoring_reminders(domain=kit.domain, now=j1) == 1
        assert services.jury_send_scoring_reminders(domain=kit.domain, now=j1) == 0

    other = kit.evaluations().exclude(pk=done.pk).get()
    assert [m.to for m in mail.outbox] == [[other.member.user.email]] * 2
    assert "Il vous reste 1 évaluation" in mail.outbox[0].body


def test_beat_reminds_the_jurors_of_every_domain(staff, django_capture_on_commit_callbacks):
    from eig.jury.tasks import send_scoring_reminders
    from tests.jury_kit import KITS

    jurors = []
    for kit in KITS.values():
        jury = kit.jury(jurors=1, k=1)
        kit.dossier(jury)
        services.jury_assign(domain=kit.domain, jury=jury, actor=staff)
        jury.scoring_deadline = timezone.now() + datetime.timedelta(hours=5)
        jury.save(update_fields=["scoring_deadline"])
        jurors.append(jury.members.get().user.email)

    with django_capture_on_commit_callbacks(execute=True):
        assert send_scoring_reminders.delay().get() == 2

    assert sorted(message.to[0] for message in mail.outbox) == sorted(jurors)


# --- Who may act: each service asks the rule of eig/jury/rules.py, whoever calls it ------


def _written(kit, jury) -> tuple:
    """What a refused service must leave as it found it: the history, the jury's
    evaluations (state, version) and scores, its members' withdrawals, the conflicts and
    the outbox."""
    return (
        Event.objects.count(),
        sorted(kit.domain.evaluations(jury).values_list("pk", "member_id", "state", "version")),
        kit.domain.score_model.objects.count(),
        sorted(jury.members.values_list("pk", "withdrawn_at")),
        kit.conflicts().count(),
        OutboxMessage.objects.count(),
    )


def _save(kit, evaluation, actor):
    return services.evaluation_save(
        domain=kit.domain,
        evaluation=evaluation,
        actor=actor,
        version=evaluation.version,
        scores=_scores(evaluation),
        overall_comment="Solide",
        submit=True,
    )


@pytest.mark.parametrize("who", ["another juror", "withdrawn juror", "deactivated juror"])
def test_evaluation_save_refused_to_anyone_but_its_sitting_juror_writes_nothing(
    kit, evaluation, who
):
    jury = evaluation.member.jury
    actor = evaluation.member.user
    if who == "another juror":
        actor = kit.member(jury).user
    elif who == "withdrawn juror":
        evaluation.member.withdrawn_at = timezone.now()
        evaluation.member.save(update_fields=["withdrawn_at"])
    else:
        actor.is_active = False
        actor.save(update_fields=["is_active"])
    before = _written(kit, jury)

    with pytest.raises(DomainError, match="Cette évaluation n'est pas la vôtre.") as refused:
        _save(kit, evaluation, actor)

    assert refused.value.code == "forbidden"
    assert _written(kit, jury) == before


@pytest.mark.parametrize("conflict", ["declared", "automatic"])
def test_evaluation_save_refused_to_a_juror_in_conflict_writes_nothing(kit, evaluation, conflict):
    # Reached around the screens (they answer 404) and around the services that take the
    # dossier back: an admin, a command, a conflict that appeared after the assignment.
    jury = evaluation.member.jury
    dossier = kit.domain.dossier_of(evaluation)
    if conflict == "declared":
        kit.domain.conflict_model.objects.create(
            member=evaluation.member,
            reason="Ancien collègue",
            **{kit.domain.dossier_field: dossier},
        )
    else:
        evaluation = kit.domain.evaluation_model.objects.create(
            member=kit.conflicting_member(jury, dossier),
            stage=evaluation.stage,
            **{kit.domain.dossier_field: dossier},
        )
    before = _written(kit, jury)

    with pytest.raises(DomainError, match="Vous êtes en conflit d'intérêts avec ce dossier"):
        _save(kit, evaluation, evaluation.member.user)

    assert _written(kit, jury) == before


def test_evaluation_update_for_new_version_refused_to_another_juror_writes_nothing(kit, evaluation):
    _submit(kit, evaluation)
    jury = evaluation.member.jury
    other = kit.member(jury)
    before = _written(kit, jury)

    with pytest.raises(DomainError, match="pas la vôtre"):
        services.evaluation_update_for_new_version(
            domain=kit.domain, evaluation=evaluation, actor=other.user
        )

    assert _written(kit, jury) == before


@pytest.mark.parametrize("who", ["withdrawn juror", "deactivated juror"])
def test_conflict_declare_refused_to_a_member_who_left_writes_nothing(kit, evaluation, who):
    member = evaluation.member
    if who == "withdrawn juror":
        member.withdrawn_at = timezone.now()
        member.save(update_fields=["withdrawn_at"])
    else:
        member.user.is_active = False
        member.user.save(update_fields=["is_active"])
    before = _written(kit, member.jury)

    with pytest.raises(DomainError, match="siège encore dans ce jury") as refused:
        services.conflict_declare(
            domain=kit.domain,
            member=member,
            dossier=kit.domain.dossier_of(evaluation),
            reason="Ancien collègue",
        )

    assert refused.value.code == "not_member"
    assert _written(kit, member.jury) == before


def _refused_to_non_staff(kit, jury, act) -> None:
    """`act(actor)` refused to the jury's own juror and to an agent, neither of whom is
    programme staff, with nothing written."""
    for actor in (jury.members.first().user, AgentFactory()):
        before = _written(kit, jury)
        with pytest.raises(DomainError, match="Seule l'équipe du programme peut") as refused:
            act(actor)
        assert refused.value.code == "not_staff"
        assert _written(kit, jury) == before


def test_jury_assign_refused_to_non_staff(kit):
    jury = kit.jury(jurors=2, k=1)
    kit.dossier(jury)

    _refused_to_non_staff(
        kit, jury, lambda actor: services.jury_assign(domain=kit.domain, jury=jury, actor=actor)
    )

    assert kit.pairs(jury) == set()


def test_jury_assign_by_the_system_asks_no_one(kit):
    # A task or a command acts with no person behind it: no rule to ask.
    jury = kit.jury(jurors=2, k=1)
    dossier = kit.dossier(jury)

    services.jury_assign(domain=kit.domain, jury=jury, actor=None)

    assert {dossier_id for dossier_id, _ in kit.pairs(jury)} == {dossier.pk}


def test_evaluation_assign_refused_to_non_staff(kit, evaluation):
    jury = evaluation.member.jury
    other = kit.member(jury)
    dossier = kit.domain.dossier_of(evaluation)

    _refused_to_non_staff(
        kit,
        jury,
        lambda actor: services.evaluation_assign(
            domain=kit.domain, member=other, dossier=dossier, actor=actor
        ),
    )


def test_evaluation_unassign_refused_to_non_staff(kit, evaluation):
    _refused_to_non_staff(
        kit,
        evaluation.member.jury,
        lambda actor: services.evaluation_unassign(
            domain=kit.domain, evaluation=evaluation, actor=actor
        ),
    )

    assert kit.evaluations(pk=evaluation.pk).exists()


def test_member_withdraw_refused_to_non_staff(kit, evaluation):
    member = evaluation.member

    _refused_to_non_staff(
        kit,
        member.jury,
        lambda actor: services.member_withdraw(domain=kit.domain, member=member, actor=actor),
    )


def test_evaluation_reopen_refused_to_non_staff(kit, evaluation):
    _submit(kit, evaluation)

    _refused_to_non_staff(
        kit,
        evaluation.member.jury,
        lambda actor: services.evaluation_reopen(
            domain=kit.domain, evaluation=evaluation, actor=actor, note="À revoir"
        ),
    )

    evaluation.refresh_from_db()
    assert evaluation.state == "submitted"
