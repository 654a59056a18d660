"""The ranking selector: its figures, computed in SQL, against values worked out by hand, on
every domain (`kit`: défis, then the test-only entries)."""

import datetime

import pytest
from django.utils import timezone

from eig.jury.models import AbstractEvaluation
from eig.jury.selectors import jury_ranking, ranking_criterion_key
from eig.jury.services import jury_aggregates_rebuild
from tests.factories import JuryMemberFactory

pytestmark = pytest.mark.django_db

State = AbstractEvaluation.State


@pytest.fixture
def jury(kit):
    # Two criteria, weights 1 and 2 (see jury_with_grid), and three jurors.
    return kit.jury(criteria=2, jurors=3, k=3)


def _dossier(kit, jury, state="submitted"):
    return kit.dossier(jury, state=state)


def _evaluate(kit, dossier, member, values, *, state=State.SUBMITTED):
    """`member`'s evaluation of `dossier` with one value per criterion (None: not scored)."""
    evaluation = kit.domain.evaluation_model.objects.create(
        member=member,
        state=state,
        submitted_at=timezone.now() if state == State.SUBMITTED else None,
        **{kit.domain.dossier_field: dossier},
    )
    criteria = list(member.jury.criteria.order_by("position"))
    kit.domain.score_model.objects.bulk_create(
        kit.domain.score_model(evaluation=evaluation, criterion=criterion, value=value)
        for criterion, value in zip(criteria, values, strict=True)
    )
    return evaluation


def _fields(kit):
    return ("pk", kit.label_field)


def _rows(kit, jury, **kwargs):
    """The ranking as the pages read it, from the stored figures, once rebuilt (the
    evaluations above are written around the services); the same as computed."""
    jury_aggregates_rebuild(domain=kit.domain, jury=jury)
    rows = list(jury_ranking(kit.domain, jury, fields=_fields(kit), **kwargs))
    computed = jury_ranking(kit.domain, jury, fields=_fields(kit), computed=True, **kwargs)
    assert rows == list(computed)
    return rows


def _pending(kit, dossier, member):
    return kit.domain.evaluation_model.objects.create(
        member=member, **{kit.domain.dossier_field: dossier}
    )


def _review(kit, jury, dossier, **kwargs):
    return kit.domain.review_model.objects.create(
        jury=jury, **{kit.domain.dossier_field: dossier}, **kwargs
    )


def _members(jury):
    return list(jury.members.order_by("pk"))


def test_ranking_figures_equal_hand_computed_values(kit, jury):
    dossier = _dossier(kit, jury)
    first, second, third = _members(jury)
    # Overall scores (weights 1 and 2): (4 + 2×1)/3 = 2, (2 + 2×4)/3 = 10/3, (3 + 2×3)/3 = 3.
    _evaluate(kit, dossier, first, [4, 1])
    _evaluate(kit, dossier, second, [2, 4])
    _evaluate(kit, dossier, third, [3, 3])
    criteria = list(jury.criteria.order_by("position"))

    [row] = _rows(kit, jury)

    assert (row["pk"], row["rank"], row["due"], row["done"]) == (dossier.pk, 1, 3, 3)
    assert row[ranking_criterion_key(criteria[0])] == pytest.approx(3)  # (4 + 2 + 3) / 3
    assert row[ranking_criterion_key(criteria[1])] == pytest.approx(8 / 3)  # (1 + 4 + 3) / 3
    assert row["weighted"] == pytest.approx(25 / 9)  # (1×3 + 2×8/3) / 3
    assert row["mean"] == pytest.approx(25 / 9)  # (2 + 10/3 + 3) / 3
    assert row["median"] == pytest.approx(3)
    assert row["spread"] == pytest.approx(4 / 3)  # 10/3 − 2
    assert row["spread_flagged"] is False  # threshold 2
    assert row["shortlisted_at"] is None


def test_ranking_mean_differs_from_weighted_when_a_juror_left_a_criterion_out(kit, jury):
    """A criterion added after a submission: that juror's overall score stands on the
    criteria they scored, and the criterion's mean on the jurors who scored it."""
    dossier = _dossier(kit, jury)
    first, second, third = _members(jury)
    fourth = JuryMemberFactory(jury=jury)
    _evaluate(kit, dossier, first, [4, 1])
    _evaluate(kit, dossier, second, [2, 4])
    _evaluate(kit, dossier, third, [3, 3])
    _evaluate(kit, dossier, fourth, [1, None])  # overall score 1

    [row] = _rows(kit, jury)

    assert row["done"] == 4
    assert row["weighted"] == pytest.approx((2.5 + 2 * 8 / 3) / 3)
    assert row["mean"] == pytest.approx((2 + 10 / 3 + 3 + 1) / 4)
    assert row["median"] == pytest.approx(2.5)  # of 1, 2, 3, 10/3
    assert row["spread"] == pytest.approx(10 / 3 - 1)


def test_ranking_counts_only_submitted_evaluations(kit, jury):
    dossier = _dossier(kit, jury)
    first, second, third = _members(jury)
    _evaluate(kit, dossier, first, [4, 4])
    _evaluate(kit, dossier, second, [1, 1], state=State.DRAFT)
    _pending(kit, dossier, third)  # pending, no scores

    [row] = _rows(kit, jury)

    assert (row["due"], row["done"]) == (3, 1)
    assert (row["weighted"], row["mean"], row["median"], row["spread"]) == (4, 4, 4, 0)


def test_ranking_dossier_without_submission_sorts_last_with_empty_figures(kit, jury):
    scored = _dossier(kit, jury)
    drafted = _dossier(kit, jury)
    untouched = _dossier(kit, jury)
    first, second, _third = _members(jury)
    _evaluate(kit, scored, first, [1, 1])
    _evaluate(kit, drafted, second, [4, 4], state=State.DRAFT)
    criteria = list(jury.criteria.order_by("position"))

    rows = _rows(kit, jury)

    assert [row["pk"] for row in rows] == [scored.pk, drafted.pk, untouched.pk]
    for row, due in zip(rows[1:], [1, 0], strict=True):
        assert row["due"] == due
        assert row["done"] == 0
        assert row["rank"] is None
        assert row["spread_flagged"] is False
        figures = [row[name] for name in ("weighted", "mean", "median", "spread")]
        figures += [row[ranking_criterion_key(criterion)] for criterion in criteria]
        assert figures == [None] * 6


def test_ranking_orders_by_weighted_score_then_ties_share_a_rank_in_pk_order(kit, jury):
    first, second, third = _members(jury)
    low, tie_a, tie_b = _dossier(kit, jury), _dossier(kit, jury), _dossier(kit, jury)
    _evaluate(kit, low, first, [1, 1])
    # Equal weighted scores reached through different sums: 7/3 both times.
    _evaluate(kit, tie_a, first, [1, 3])
    _evaluate(kit, tie_a, second, [3, 2])
    _evaluate(kit, tie_b, third, [3, 2])
    _evaluate(kit, tie_b, second, [1, 3])

    rows = _rows(kit, jury)

    assert [(row["pk"], row["rank"]) for row in rows] == [(tie_a.pk, 1), (tie_b.pk, 1), (low.pk, 3)]


def test_ranking_flags_a_spread_above_the_threshold_only(kit, jury):
    jury.spread_threshold = 1
    jury.save(update_fields=["spread_threshold"])
    first, second, _third = _members(jury)
    equal, above = _dossier(kit, jury), _dossier(kit, jury)
    # Overall scores 2 and 3: a spread of exactly 1, not above.
    _evaluate(kit, equal, first, [2, 2])
    _evaluate(kit, equal, second, [3, 3])
    # Overall scores 2 and 10/3.
    _evaluate(kit, above, first, [4, 1])
    _evaluate(kit, above, second, [2, 4])

    flagged = {row["pk"]: row["spread_flagged"] for row in _rows(kit, jury)}

    assert flagged == {equal.pk: False, above.pk: True}


def test_ranking_shows_the_shortlist_and_keeps_dossiers_without_review(kit, jury):
    shortlisted, reviewed, plain = _dossier(kit, jury), _dossier(kit, jury), _dossier(kit, jury)
    at = timezone.now() - datetime.timedelta(days=1)
    _review(kit, jury, shortlisted, shortlisted_at=at)
    _review(kit, jury, reviewed)

    rows = {row["pk"]: row["shortlisted_at"] for row in _rows(kit, jury)}

    assert rows == {shortlisted.pk: at, reviewed.pk: None, plain.pk: None}


def test_ranking_leaves_out_other_juries_and_dossiers_not_submitted(kit, jury):
    mine = _dossier(kit, jury)
    _dossier(kit, jury, state="draft")
    other_jury = kit.jury(criteria=2, jurors=1)
    other = _dossier(kit, other_jury)
    _evaluate(kit, other, other_jury.members.get(), [4, 4])

    jury_aggregates_rebuild(domain=kit.domain, jury=jury)
    rows = jury_ranking(kit.domain, jury, fields=_fields(kit))

    assert [row["pk"] for row in rows] == [mine.pk]
    assert rows.count() == 1


def test_ranking_filters_and_counts_on_figures(kit, jury):
    first, second, _third = _members(jury)
    complete, partial = _dossier(kit, jury), _dossier(kit, jury)
    _evaluate(kit, complete, first, [4, 4])
    _evaluate(kit, partial, first, [2, 2])
    _pending(kit, partial, second)
    jury_aggregates_rebuild(domain=kit.domain, jury=jury)
    rows = jury_ranking(kit.domain, jury, fields=_fields(kit))

    assert rows.filter(weighted__gt=3).count() == 1
    assert [row["pk"] for row in rows.filter(due=2)] == [partial.pk]
    assert [row["pk"] for row in rows.order_by("weighted", "pk")] == [partial.pk, complete.pk]


def test_ranking_of_a_jury_without_criteria_lists_its_dossiers(kit, jury):
    jury.criteria.all().delete()
    dossier = _dossier(kit, jury)

    [row] = _rows(kit, jury, criteria=[])

    assert (row["pk"], row["weighted"], row["due"]) == (dossier.pk, None, 0)
