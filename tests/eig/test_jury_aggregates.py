"""The stored per-dossier figures (`DossierAggregate`): kept equal to a recomputation from
the scores by every service that changes an evaluation, and the score normalised per juror."""

import pytest
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eig.exceptions import DomainError
from eig.jury import services
from eig.jury.models import DossierAggregate
from eig.jury.selectors import jury_ranking
from projects.jury import DEFI_JURY
from projects.models import Defi, DefiEvaluation, DefiScore
from projects.services import defi_withdraw
from tests.factories import (
    DefiFactory,
    JuryMemberFactory,
    ProjectCallFactory,
    StaffFactory,
    jury_for_call,
)

pytestmark = pytest.mark.django_db

State = DefiEvaluation.State


def _stored_equals_computed(jury):
    stored = list(jury_ranking(DEFI_JURY, jury, fields=("pk",)))
    computed = list(jury_ranking(DEFI_JURY, jury, fields=("pk",), computed=True))
    assert stored == computed
    # A row for each of the jury's dossiers with evaluations, none for the others (a défi
    # withdrawn keeps its evaluations, outside the jury).
    with_evaluations = set(
        DEFI_JURY.evaluations(jury)
        .filter(defi__in=DEFI_JURY.dossiers(jury))
        .values_list("defi_id", flat=True)
        .distinct()
    )
    assert set(DossierAggregate.objects.filter(jury=jury).values_list("dossier_id", flat=True)) == (
        with_evaluations
    )


def _scores(jury, values):
    criteria = list(jury.criteria.order_by("position"))
    return {criterion.pk: (value, "") for criterion, value in zip(criteria, values, strict=False)}


def _apply(operation, jury, staff):
    """One operation of the sequence, on the evaluation or member `pick` points to (modulo
    what exists). Refusals of the services (a juror who left, a started evaluation…) are
    part of the game: they must leave the figures as they were."""
    name, pick, values = operation
    evaluations = list(DEFI_JURY.evaluations(jury).select_related("member__user").order_by("pk"))
    members = list(jury.members.order_by("pk"))
    defis = list(Defi.objects.filter(call__jury=jury).order_by("pk"))
    evaluation = evaluations[pick % len(evaluations)] if evaluations else None
    try:
        with transaction.atomic():
            if name in ("submit", "draft") and evaluation is not None:
                services.evaluation_save(
                    domain=DEFI_JURY,
                    evaluation=evaluation,
                    actor=evaluation.member.user,
                    version=evaluation.version,
                    scores=_scores(jury, values),
                    overall_comment="",
                    submit=name == "submit",
                )
            elif name == "reopen" and evaluation is not None:
                services.evaluation_reopen(domain=DEFI_JURY, evaluation=evaluation, actor=staff)
            elif name == "juror_reopen" and evaluation is not None:
                # The défi is submitted again with changes: the juror takes their evaluation
                # back to update it.
                Defi.objects.filter(pk=evaluation.defi_id).update(
                    submitted_version=F("submitted_version") + 1
                )
                services.evaluation_update_for_new_version(
                    domain=DEFI_JURY, evaluation=evaluation, actor=evaluation.member.user
                )
            elif name == "unassign" and evaluation is not None:
                services.evaluation_unassign(domain=DEFI_JURY, evaluation=evaluation)
            elif name == "assign":
                services.evaluation_assign(
                    domain=DEFI_JURY,
                    member=members[pick % len(members)],
                    dossier=defis[values[0] % len(defis)],
                    actor=staff,
                )
            elif name == "conflict" and evaluation is not None:
                services.conflict_declare(
                    domain=DEFI_JURY, member=evaluation.member, dossier=evaluation.defi
                )
            elif name == "withdraw":
                services.member_withdraw(
                    domain=DEFI_JURY, member=members[pick % len(members)], actor=staff
                )
            elif name == "assign_all":
                services.jury_assign(domain=DEFI_JURY, jury=jury, actor=staff)
            elif name == "withdraw_defi":
                # The agent withdraws a défi while the call is open: it leaves the jury.
                defi = defis[pick % len(defis)]
                defi_withdraw(defi=defi, actor=defi.owner)
    except DomainError:
        pass


OPERATIONS = st.tuples(
    st.sampled_from(
        [
            "submit",
            "submit",
            "submit",
            "draft",
            "reopen",
            "juror_reopen",
            "unassign",
            "assign",
            "conflict",
            "withdraw",
            "assign_all",
            "withdraw_defi",
        ]
    ),
    st.integers(min_value=0, max_value=60),
    st.tuples(*[st.integers(min_value=1, max_value=4)] * 2),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(OPERATIONS, min_size=1, max_size=12))
def test_stored_figures_equal_a_recomputation_after_any_sequence_of_services(operations):
    with transaction.atomic():
        staff = StaffFactory()
        jury = jury_for_call(ProjectCallFactory(), criteria=2, jurors=5, k=2)
        for _ in range(4):
            DefiFactory(call=jury.project_call, state=Defi.State.SUBMITTED, submitted_version=1)
        services.jury_assign(domain=DEFI_JURY, jury=jury, actor=staff)
        for operation in operations:
            _apply(operation, jury, staff)
            _stored_equals_computed(jury)
        # Each example starts from an empty database.
        transaction.set_rollback(True)


def test_aggregates_rebuild_repairs_figures_written_around_the_services():
    staff = StaffFactory()
    jury = jury_for_call(ProjectCallFactory(), criteria=2, jurors=3, k=2)
    DefiFactory(call=jury.project_call, state=Defi.State.SUBMITTED)
    services.jury_assign(domain=DEFI_JURY, jury=jury, actor=staff)
    evaluation = DEFI_JURY.evaluations(jury).first()
    # A score written by hand, as an import would: the stored figures do not know it.
    DefiEvaluation.objects.filter(pk=evaluation.pk).update(state=State.SUBMITTED)
    DefiScore.objects.bulk_create(
        DefiScore(evaluation=evaluation, criterion=criterion, value=4)
        for criterion in jury.criteria.all()
    )
    assert DossierAggregate.objects.get(jury=jury).done == 0

    services.jury_aggregates_rebuild(domain=DEFI_JURY, jury=jury)

    aggregate = DossierAggregate.objects.get(jury=jury)
    assert (aggregate.done, aggregate.weighted, aggregate.overall_min) == (1, 4.0, 4.0)
    _stored_equals_computed(jury)


# --- The score normalised per juror -------------------------------------------------------


def _submit(member, defi, value):
    evaluation = services.evaluation_assign(
        domain=DEFI_JURY, member=member, dossier=defi, actor=StaffFactory()
    )
    services.evaluation_save(
        domain=DEFI_JURY,
        evaluation=evaluation,
        actor=member.user,
        version=evaluation.version,
        scores=_scores(member.jury, [value, value]),
        overall_comment="",
        submit=True,
    )


def test_a_harsh_and_a_lenient_juror_no_longer_decide_the_order():
    """The lenient juror gives 4, 3, 2 to their three défis, the harsh one 3, 2, 1 to
    theirs: the same judgement, one point apart. By the raw score the harsh juror's best
    défi ties with the lenient one's second; normalised, the two best défis share the top."""
    jury = jury_for_call(ProjectCallFactory(), criteria=2, jurors=0, k=1)
    lenient, harsh = JuryMemberFactory(jury=jury), JuryMemberFactory(jury=jury)
    defis = {}
    for member, name, values in [
        (lenient, "L", (4, 3, 2)),
        (harsh, "H", (3, 2, 1)),
    ]:
        for place, value in enumerate(values, start=1):
            defi = DefiFactory(call=jury.project_call, state=Defi.State.SUBMITTED)
            defis[defi.pk] = f"{name}{place}"
            _submit(member, defi, value)

    rows = {defis[row["pk"]]: row for row in jury_ranking(DEFI_JURY, jury)}

    assert {name: row["rank"] for name, row in rows.items()} == {
        "L1": 1,
        "L2": 2,
        "H1": 2,
        "L3": 4,
        "H2": 4,
        "H3": 6,
    }
    assert {name: row["normalised_rank"] for name, row in rows.items()} == {
        "L1": 1,
        "H1": 1,
        "L2": 3,
        "H2": 3,
        "L3": 5,
        "H3": 5,
    }
    # z-scores of 4, 3, 2 over a mean of 3 and a population deviation of √(2/3).
    assert rows["H1"]["normalised"] == pytest.approx(1 / (2 / 3) ** 0.5)
    assert rows["L2"]["normalised"] == pytest.approx(0)
    # The raw score stays beside it.
    assert (rows["H1"]["weighted"], rows["L1"]["weighted"]) == (3.0, 4.0)


def test_normalised_score_of_a_juror_with_one_evaluation_or_equal_scores_is_zero():
    jury = jury_for_call(ProjectCallFactory(), criteria=2, jurors=0, k=1)
    single, flat = JuryMemberFactory(jury=jury), JuryMemberFactory(jury=jury)
    alone = DefiFactory(call=jury.project_call, state=Defi.State.SUBMITTED)
    _submit(single, alone, 4)
    flats = [DefiFactory(call=jury.project_call, state=Defi.State.SUBMITTED) for _ in range(2)]
    for defi in flats:
        _submit(flat, defi, 2)

    rows = {row["pk"]: row["normalised"] for row in jury_ranking(DEFI_JURY, jury)}

    assert rows == {alone.pk: 0, flats[0].pk: 0, flats[1].pk: 0}


def test_ranking_page_orders_by_the_normalised_score_and_shows_both(client):
    jury = jury_for_call(ProjectCallFactory(), criteria=2, jurors=0, k=1)
    lenient, harsh = JuryMemberFactory(jury=jury), JuryMemberFactory(jury=jury)
    titles = []
    for member, values, name in [(lenient, (4, 3), "Indulgent"), (harsh, (2, 1), "Sévère")]:
        for place, value in enumerate(values, start=1):
            title = f"{name} {place}"
            defi = DefiFactory(call=jury.project_call, state=Defi.State.SUBMITTED, title=title)
            titles.append(title)
            _submit(member, defi, value)
    client.force_login(StaffFactory())
    url = reverse("jury:selection_ranking", args=[jury.pk])

    raw = client.get(url).content.decode()
    normalised = client.get(url, {"tri": "normalised"}).content.decode()

    def order(html):
        return sorted(titles, key=html.index)

    assert order(raw) == ["Indulgent 1", "Indulgent 2", "Sévère 1", "Sévère 2"]
    assert order(normalised)[:2] in (["Indulgent 1", "Sévère 1"], ["Sévère 1", "Indulgent 1"])
    assert "Note normalisée" in normalised
    assert "−1,00" in normalised and "4,00" in normalised


def test_rebuild_command_rewrites_the_figures_of_every_jury():
    from io import StringIO

    from django.core.management import call_command

    staff = StaffFactory()
    jury = jury_for_call(ProjectCallFactory(), criteria=2, jurors=2, k=1)
    DefiFactory(call=jury.project_call, state=Defi.State.SUBMITTED)
    services.jury_assign(domain=DEFI_JURY, jury=jury, actor=staff)
    DossierAggregate.objects.filter(jury=jury).delete()
    out = StringIO()

    call_command("jury_rebuild_aggregates", stdout=out)

    assert DossierAggregate.objects.get(jury=jury).due == 1
    assert f"{jury} : résultats recalculés." in out.getvalue()


def test_assignment_runs_again_after_a_scored_defi_is_withdrawn():
    """A défi scored while the call is open, then withdrawn by its agent, keeps its
    submitted evaluation outside the jury; running the assignment again must not trip on
    it (it used to raise « Affectations conservées avec un dossier ou un juré inconnu »)."""
    staff = StaffFactory()
    jury = jury_for_call(ProjectCallFactory(), criteria=2, jurors=2, k=1)
    kept, withdrawn = (
        DefiFactory(call=jury.project_call, state=Defi.State.SUBMITTED) for _ in range(2)
    )
    services.jury_assign(domain=DEFI_JURY, jury=jury, actor=staff)
    evaluation = DEFI_JURY.evaluations(jury).select_related("member__user").get(defi=withdrawn)
    services.evaluation_save(
        domain=DEFI_JURY,
        evaluation=evaluation,
        actor=evaluation.member.user,
        version=evaluation.version,
        scores=_scores(jury, [3, 3]),
        overall_comment="",
        submit=True,
    )
    defi_withdraw(defi=withdrawn, actor=withdrawn.owner)

    result = services.jury_assign(domain=DEFI_JURY, jury=jury, actor=staff)

    assert result.feasible
    assert DEFI_JURY.evaluations(jury).get(defi=withdrawn).state == State.SUBMITTED
    assert set(DossierAggregate.objects.filter(jury=jury).values_list("dossier_id", flat=True)) == {
        kept.pk
    }
    _stored_equals_computed(jury)
