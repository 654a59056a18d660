"""The jury engine's reads on every domain (`kit`: défis, then the test-only entries): loads,
progress, conflicts, a juror's list, a dossier's evaluations, the ranking as it follows changes."""

import pytest
from django.http import Http404

from eig.jury import services, shortlist
from eig.jury.selectors import (
    evaluation_list_for_juror,
    jury_conflicts,
    jury_dossier,
    jury_dossier_evaluations,
    jury_member_loads,
    jury_progress,
    jury_ranking,
    member_conflict_reason,
)
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return StaffFactory()


def _save(kit, evaluation, *, submit):
    return services.evaluation_save(
        domain=kit.domain,
        evaluation=evaluation,
        actor=evaluation.member.user,
        version=evaluation.version,
        scores={criterion.pk: (3, "") for criterion in evaluation.member.jury.criteria.all()},
        overall_comment="",
        submit=submit,
    )


@pytest.fixture
def assigned(kit, staff):
    """A jury of two jurors, three dossiers each: one submitted, one draft, the rest
    pending."""
    jury = kit.jury(jurors=2, k=2, criteria=2)
    dossiers = [kit.dossier(jury) for _ in range(3)]
    services.jury_assign(domain=kit.domain, jury=jury, actor=staff)
    first = jury.members.order_by("pk").first()
    submitted, draft = kit.evaluations(member=first).select_related("member__jury")[:2]
    _save(kit, submitted, submit=True)
    _save(kit, draft, submit=False)
    return jury, dossiers, first


def test_jury_member_loads_counts_each_jurors_evaluations(kit, assigned):
    jury, _dossiers, first = assigned

    loads = {
        member.pk: (member.load, member.submitted) for member in jury_member_loads(kit.domain, jury)
    }

    second = jury.members.exclude(pk=first.pk).get()
    assert loads == {first.pk: (3, 1), second.pk: (3, 0)}


def test_jury_progress_counts_evaluations_by_state(kit, assigned):
    jury, _dossiers, _first = assigned

    assert jury_progress(kit.domain, jury) == {
        "due": 6,
        "submitted": 1,
        "draft": 1,
        "pending": 4,
        "percent": 17,
    }


def test_evaluation_list_for_juror_brings_the_dossier_in_one_query(
    kit, assigned, django_assert_num_queries
):
    _jury, dossiers, first = assigned
    juror = first.user

    with django_assert_num_queries(1):
        listed = [
            getattr(evaluation, kit.domain.dossier_field).pk
            for evaluation in evaluation_list_for_juror(kit.domain, juror)
        ]

    assert sorted(listed) == sorted(dossier.pk for dossier in dossiers)


def test_evaluation_list_for_juror_leaves_out_a_jury_they_left(kit, assigned, staff):
    _jury, _dossiers, first = assigned

    services.member_withdraw(domain=kit.domain, member=first, actor=staff)

    assert list(evaluation_list_for_juror(kit.domain, first.user)) == []


def test_jury_dossier_evaluations_in_three_queries(kit, assigned, django_assert_num_queries):
    jury, _dossiers, first = assigned
    dossier = getattr(
        kit.evaluations(member=first, state="submitted").get(), kit.domain.dossier_field
    )

    with django_assert_num_queries(3):
        evaluations = list(jury_dossier_evaluations(kit.domain, jury, dossier))
        summary = [
            (
                evaluation.member.user.email,
                [score.criterion.name for score in evaluation.scores.all()],
                [event.actor for event in evaluation.history],
            )
            for evaluation in evaluations
        ]

    assert len(summary) == 2
    assert [len(names) for _email, names, _actors in summary if names] == [2]


def test_jury_dossier_is_404_for_a_dossier_of_another_jury(kit, assigned):
    jury, dossiers, _first = assigned

    assert jury_dossier(kit.domain, jury, dossiers[0].pk) == dossiers[0]
    with pytest.raises(Http404):
        jury_dossier(kit.domain, jury, kit.other_dossier().pk)


def test_jury_conflicts_lists_declared_and_automatic_ones(kit, staff):
    jury = kit.jury(jurors=1, k=1)
    declared_on, automatic_on = kit.dossier(jury), kit.dossier(jury)
    member = jury.members.get()
    services.conflict_declare(
        domain=kit.domain, member=member, dossier=declared_on, reason="Ancien collègue"
    )
    conflicted = kit.conflicting_member(jury, automatic_on)

    conflicts = jury_conflicts(kit.domain, jury)

    assert conflicts[(declared_on.pk, member.pk)] == "Déclaré par le juré : Ancien collègue"
    assert (automatic_on.pk, conflicted.pk) in conflicts
    assert member_conflict_reason(kit.domain, member, declared_on) == (
        "Déclaré par le juré : Ancien collègue"
    )
    assert (
        member_conflict_reason(kit.domain, conflicted, automatic_on)
        == (conflicts[(automatic_on.pk, conflicted.pk)])
    )
    assert member_conflict_reason(kit.domain, member, automatic_on) is None


def test_jury_ranking_follows_scores_and_the_shortlist_at_once(kit, staff):
    # No cache stands between the pages and the figures: each change shows at the next read.
    jury = kit.jury(jurors=1, k=1, criteria=2, closed=True)
    dossier = kit.dossier(jury)
    services.jury_assign(domain=kit.domain, jury=jury, actor=staff)

    def row():
        return next(iter(jury_ranking(kit.domain, jury)))

    before = row()
    _save(kit, kit.evaluations().select_related("member__jury").get(), submit=True)
    scored = row()
    shortlist.review_shortlist(domain=kit.domain, jury=jury, dossier=dossier, actor=staff)
    shortlisted = row()

    assert (before["done"], before["weighted"], before["rank"]) == (0, None, None)
    assert scored["done"] == 1 and scored["weighted"] is not None and scored["rank"] == 1
    assert scored["shortlisted_at"] is None and shortlisted["shortlisted_at"] is not None
