"""Jury assignment solver: invariants on random instances, optimality against brute force.

Pure Python: these tests use no database.
"""

from __future__ import annotations

import itertools
from unittest import mock

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import eig.jury.assignment as assignment_module
from eig.jury.assignment import AssignmentProblem, AssignmentResult, assignment_solve


@st.composite
def problems(
    draw,
    min_dossiers: int = 0,
    min_jurors: int = 0,
    max_dossiers: int = 40,
    max_jurors: int = 12,
    max_k: int = 4,
    with_capacity: bool = True,
) -> AssignmentProblem:
    """Random instances; conflicts are sometimes concentrated on a few jurors so that
    balance is forced apart and some dossiers lack jurors."""
    n_dossiers = draw(st.integers(min_dossiers, max_dossiers))
    n_jurors = draw(st.integers(min_jurors, max_jurors))
    k = draw(st.integers(1, max_k))
    dossiers = [f"d{i}" for i in range(n_dossiers)]
    jurors = [f"j{i}" for i in range(n_jurors)]
    all_pairs = [(d, j) for d in dossiers for j in jurors]
    conflict_rate = draw(st.sampled_from([0.0, 0.1, 0.3, 0.7]))
    fixed_rate = draw(st.sampled_from([0.0, 0.05, 0.2]))
    expertise_rate = draw(st.sampled_from([0.0, 0.3, 0.7]))
    rng = draw(st.randoms(use_true_random=False))
    forbidden = frozenset(p for p in all_pairs if rng.random() < conflict_rate)
    fixed = frozenset(p for p in all_pairs if rng.random() < fixed_rate)
    expertise = frozenset(p for p in all_pairs if rng.random() < expertise_rate)
    capacity = None
    if with_capacity and jurors and draw(st.booleans()):
        capacity = {j: rng.randint(0, 2 * k + 2) for j in jurors if rng.random() < 0.5}
    return AssignmentProblem(
        dossiers=dossiers,
        jurors=jurors,
        k=k,
        forbidden=forbidden,
        fixed=fixed,
        expertise=expertise,
        capacity=capacity,
    )


def _count(pairs, index: int, key) -> int:
    return sum(1 for pair in pairs if pair[index] == key)


def _sum_of_squares(loads: dict) -> int:
    return sum(load * load for load in loads.values())


def _brute_force(problem: AssignmentProblem) -> dict:
    """Exhaustive dynamic programme over dossiers, state = load vector.

    Returns the optimum of each criterion among assignments of maximum size:
    ``pairs`` (max number of pairs), ``min_spread``, ``min_max_load``, ``max_min_load``,
    ``min_squares`` and ``max_expertise`` (among the assignments minimising the sum of
    squares: the solver's lexicographic objective).
    """
    jurors = list(problem.jurors)
    capacity = problem.capacity or {}
    fixed_load = tuple(_count(problem.fixed, 1, j) for j in jurors)
    # state: load vector -> (pairs so far, best expertise so far)
    states = {fixed_load: (len(problem.fixed), 0)}
    for dossier in problem.dossiers:
        demand = max(problem.k - _count(problem.fixed, 0, dossier), 0)
        free = [
            i
            for i, j in enumerate(jurors)
            if (dossier, j) not in problem.forbidden and (dossier, j) not in problem.fixed
        ]
        options = [
            combo
            for size in range(min(demand, len(free)) + 1)
            for combo in itertools.combinations(free, size)
        ]
        following: dict[tuple, tuple[int, int]] = {}
        for loads, (n_pairs, matches) in states.items():
            for combo in options:
                new_loads = list(loads)
                for i in combo:
                    new_loads[i] += 1
                if any(new_loads[i] > capacity.get(jurors[i], 10**9) for i in combo):
                    continue
                gained = sum((dossier, jurors[i]) in problem.expertise for i in combo)
                candidate = (n_pairs + len(combo), matches + gained)
                key = tuple(new_loads)
                if key not in following or following[key][1] < candidate[1]:
                    following[key] = candidate
        states = following
    # The number of pairs is the sum of the loads, so it is a function of the state.
    best_pairs = max(n_pairs for n_pairs, _ in states.values())
    best = {loads: matches for loads, (n_pairs, matches) in states.items() if n_pairs == best_pairs}
    min_squares = min(sum(x * x for x in loads) for loads in best)
    return {
        "pairs": best_pairs,
        "min_spread": min((max(v) - min(v)) if v else 0 for v in best),
        "min_max_load": min(max(v, default=0) for v in best),
        "max_min_load": max(min(v, default=0) for v in best),
        "min_squares": min_squares,
        "max_expertise": max(
            matches for loads, matches in best.items() if sum(x * x for x in loads) == min_squares
        )
        + sum(1 for pair in problem.fixed if pair in problem.expertise),
    }


def _assert_invariants(problem: AssignmentProblem, result: AssignmentResult) -> None:
    capacity = problem.capacity or {}
    assert problem.fixed <= result.pairs
    assert result.new_pairs == result.pairs - problem.fixed
    assert result.new_pairs & problem.forbidden == frozenset()
    assert {d for d, _ in result.pairs} <= set(problem.dossiers)
    assert {j for _, j in result.pairs} <= set(problem.jurors)
    assert list(result.loads) == list(problem.jurors)
    for juror in problem.jurors:
        assert result.loads[juror] == _count(result.pairs, 1, juror)
        if juror in capacity:
            assert result.loads[juror] <= max(capacity[juror], _count(problem.fixed, 1, juror))
    expected_shortfall = {}
    for dossier in problem.dossiers:
        n_fixed = _count(problem.fixed, 0, dossier)
        n_new = _count(result.new_pairs, 0, dossier)
        # Pairs are a set, so a juror appears at most once per dossier by construction.
        assert n_new <= max(problem.k - n_fixed, 0)
        if n_fixed + n_new < problem.k:
            expected_shortfall[dossier] = problem.k - n_fixed - n_new
        if not capacity:
            # Without capacities every dossier takes whatever its free jurors allow.
            available = sum(
                1
                for j in problem.jurors
                if (dossier, j) not in problem.forbidden and (dossier, j) not in problem.fixed
            )
            assert n_new == min(max(problem.k - n_fixed, 0), available)
    assert result.shortfall == expected_shortfall
    assert result.feasible == (expected_shortfall == {})
    assert result.expertise_matches == len(result.pairs & problem.expertise)


@settings(max_examples=200, deadline=None)
@given(problems())
def test_assignment_solve_keeps_invariants_on_random_instances(problem):
    result = assignment_solve(problem)

    _assert_invariants(problem, result)
    assert assignment_solve(problem) == result


@settings(max_examples=200, deadline=None)
@given(problems(min_dossiers=3, min_jurors=2, max_dossiers=5, max_jurors=4, max_k=2))
def test_assignment_solve_matches_brute_force_optimum(problem):
    result = assignment_solve(problem)
    best = _brute_force(problem)

    assert len(result.pairs) == best["pairs"]
    assert result.spread == best["min_spread"]
    assert max(result.loads.values(), default=0) == best["min_max_load"]
    assert min(result.loads.values(), default=0) == best["max_min_load"]
    assert _sum_of_squares(result.loads) == best["min_squares"]
    assert result.expertise_matches == best["max_expertise"]


@settings(max_examples=150, deadline=None)
@given(problems(min_dossiers=4, min_jurors=3, max_dossiers=7, max_jurors=4, max_k=3))
def test_assignment_solve_matches_brute_force_optimum_with_larger_k(problem):
    result = assignment_solve(problem)
    best = _brute_force(problem)

    assert (len(result.pairs), result.spread, _sum_of_squares(result.loads)) == (
        best["pairs"],
        best["min_spread"],
        best["min_squares"],
    )
    assert result.expertise_matches == best["max_expertise"]


@settings(max_examples=100, deadline=None)
@given(problems(min_dossiers=5, min_jurors=2, max_dossiers=30, max_jurors=8))
def test_assignment_solve_truncated_levels_match_full_network(problem):
    """The solver offers few load levels per juror first; offering all must not do better."""
    result = assignment_solve(problem)
    with mock.patch.object(assignment_module, "_INITIAL_LEVEL_SLACK", 10**6):
        full = assignment_solve(problem)

    assert (len(result.pairs), _sum_of_squares(result.loads), result.expertise_matches) == (
        len(full.pairs),
        _sum_of_squares(full.loads),
        full.expertise_matches,
    )


@settings(max_examples=50, deadline=None)
@given(
    n_dossiers=st.integers(0, 60),
    n_jurors=st.integers(1, 12),
    k=st.integers(1, 4),
)
# Zero dossiers with more jurors asked than there are: nothing to assign, so the empty
# assignment is complete (the property once said infeasible and failed when drawn).
@example(n_dossiers=0, n_jurors=1, k=2)
def test_assignment_solve_spread_at_most_one_without_constraints(n_dossiers, n_jurors, k):
    problem = AssignmentProblem(
        dossiers=list(range(n_dossiers)), jurors=[f"j{i}" for i in range(n_jurors)], k=k
    )
    result = assignment_solve(problem)

    assert result.feasible == (n_dossiers == 0 or k <= n_jurors)
    assert result.spread <= 1
    if n_dossiers == 0:
        assert (result.pairs, result.shortfall) == (frozenset(), {})


def _greedy(problem: AssignmentProblem) -> dict:
    """The naive approach: each dossier in turn takes the least-loaded free jurors."""
    loads = dict.fromkeys(problem.jurors, 0)
    for dossier in problem.dossiers:
        free = [j for j in problem.jurors if (dossier, j) not in problem.forbidden]
        for juror in sorted(free, key=lambda j: loads[j])[: problem.k]:
            loads[juror] += 1
    return loads


def test_assignment_solve_beats_greedy_on_conflicts():
    # "a" and "b" could go to anyone; "c" and "d" only to x. Greedy hands a and b to x
    # first (tie on order), then x must also take c and d.
    problem = AssignmentProblem(
        dossiers=["a", "b", "c", "d"],
        jurors=["x", "y", "z"],
        k=1,
        forbidden=frozenset({("c", "y"), ("c", "z"), ("d", "y"), ("d", "z")}),
    )

    result = assignment_solve(problem)

    assert _greedy(problem) == {"x": 3, "y": 1, "z": 0}
    assert result.loads == {"x": 2, "y": 1, "z": 1}
    assert result.pairs >= {("c", "x"), ("d", "x")}
    assert result.spread == 1


def test_assignment_solve_balances_around_a_forced_overload():
    # Only x may score the first 20 dossiers: the 10 others go to y and z, none to x.
    dossiers = [f"d{i}" for i in range(30)]
    problem = AssignmentProblem(
        dossiers=dossiers,
        jurors=["x", "y", "z"],
        k=1,
        forbidden=frozenset((d, j) for d in dossiers[:20] for j in ("y", "z")),
    )

    result = assignment_solve(problem)

    assert result.loads == {"x": 20, "y": 5, "z": 5}
    assert result.feasible


def test_assignment_solve_prefers_balance_over_expertise():
    # Everyone's expertise is with x, yet x cannot take both dossiers without imbalance.
    problem = AssignmentProblem(
        dossiers=["a", "b"],
        jurors=["x", "y"],
        k=1,
        expertise=frozenset({("a", "x"), ("b", "x")}),
    )

    result = assignment_solve(problem)

    assert result.loads == {"x": 1, "y": 1}
    assert result.expertise_matches == 1


def test_assignment_solve_matches_expertise_when_balance_allows():
    problem = AssignmentProblem(
        dossiers=["a", "b", "c"],
        jurors=["x", "y", "z"],
        k=1,
        expertise=frozenset({("a", "z"), ("b", "x"), ("c", "y")}),
    )

    result = assignment_solve(problem)

    assert result.pairs == frozenset({("a", "z"), ("b", "x"), ("c", "y")})
    assert result.expertise_matches == 3


def test_assignment_solve_reassigns_withdrawn_jurors_dossiers():
    dossiers = [f"d{i}" for i in range(12)]
    jurors = ["ana", "bob", "chloé", "dina", "éric"]
    first = assignment_solve(AssignmentProblem(dossiers=dossiers, jurors=jurors, k=2))
    withdrawn = "chloé"
    orphans = {d for d, j in first.pairs if j == withdrawn}
    kept = frozenset((d, j) for d, j in first.pairs if j != withdrawn)

    second = assignment_solve(
        AssignmentProblem(
            dossiers=dossiers, jurors=[j for j in jurors if j != withdrawn], k=2, fixed=kept
        )
    )

    assert first.feasible
    assert len(orphans) == 5
    assert second.loads == {"ana": 6, "bob": 6, "dina": 6, "éric": 6}
    assert second.feasible
    assert kept <= second.pairs
    assert {d for d, _ in second.new_pairs} == orphans
    assert len(second.new_pairs) == len(orphans)


def test_assignment_solve_lists_dossiers_lacking_jurors():
    problem = AssignmentProblem(
        dossiers=["santé", "climat", "justice", "culture"],
        jurors=["x", "y", "z"],
        k=2,
        forbidden=frozenset({("santé", "x"), ("santé", "y"), ("climat", "z"), ("climat", "y")}),
    )

    result = assignment_solve(problem)

    assert result.shortfall == {"santé": 1, "climat": 1}
    assert not result.feasible
    # The other dossiers still get their jurors.
    assert _count(result.pairs, 0, "justice") == 2
    assert _count(result.pairs, 0, "culture") == 2
    explanation = result.explain()
    assert "2 dossiers n'ont pas assez de jurés" in explanation
    assert "santé (il en manque 1)" in explanation
    assert "climat (il en manque 1)" in explanation


def test_assignment_result_explain_summarises_loads_when_feasible():
    result = assignment_solve(AssignmentProblem(dossiers=["a", "b", "c"], jurors=["x", "y"], k=1))

    assert result.explain() == (
        "Chaque dossier a son juré. Charge par juré : entre 1 et 2 dossiers (écart 1). "
        "Expertise correspondante pour 0 affectation sur 3."
    )


def test_assignment_solve_keeps_fixed_pairs_beyond_k_and_conflicted():
    problem = AssignmentProblem(
        dossiers=["a", "b"],
        jurors=["x", "y", "z"],
        k=1,
        fixed=frozenset({("a", "x"), ("a", "y")}),
        forbidden=frozenset({("a", "x")}),
    )

    result = assignment_solve(problem)

    assert result.pairs == frozenset({("a", "x"), ("a", "y"), ("b", "z")})
    assert result.new_pairs == frozenset({("b", "z")})
    assert result.shortfall == {}


def test_assignment_solve_counts_fixed_load_towards_balance():
    # x already scores two dossiers: the new ones go to y.
    problem = AssignmentProblem(
        dossiers=["a", "b", "c", "d"],
        jurors=["x", "y"],
        k=1,
        fixed=frozenset({("a", "x"), ("b", "x")}),
    )

    result = assignment_solve(problem)

    assert result.new_pairs == frozenset({("c", "y"), ("d", "y")})
    assert result.loads == {"x": 2, "y": 2}


def test_assignment_solve_respects_capacity():
    problem = AssignmentProblem(
        dossiers=["a", "b", "c", "d"],
        jurors=["x", "y"],
        k=1,
        capacity={"x": 1, "y": 2},
    )

    result = assignment_solve(problem)

    assert result.loads == {"x": 1, "y": 2}
    assert sum(result.shortfall.values()) == 1


def test_assignment_solve_without_jurors_reports_every_dossier():
    result = assignment_solve(AssignmentProblem(dossiers=["a", "b"], jurors=[], k=3))

    assert result.shortfall == {"a": 3, "b": 3}
    assert result.pairs == frozenset()
    assert result.spread == 0
    assert result.explain().startswith("2 dossiers n'ont pas assez de jurés : a (il en manque 3)")


def test_assignment_solve_without_dossiers_is_empty():
    result = assignment_solve(AssignmentProblem(dossiers=[], jurors=["x"], k=2))

    assert (result.pairs, result.loads, result.shortfall) == (frozenset(), {"x": 0}, {})
    assert result.explain().startswith("Aucun dossier à répartir.")


def test_assignment_solve_without_dossiers_is_feasible_even_short_of_jurors():
    result = assignment_solve(AssignmentProblem(dossiers=[], jurors=["x"], k=3))

    assert result.feasible
    assert (result.pairs, result.spread) == (frozenset(), 0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"dossiers": ["a"], "jurors": ["x"], "k": 0},
        {"dossiers": ["a", "a"], "jurors": ["x"], "k": 1},
        {"dossiers": ["a"], "jurors": ["x", "x"], "k": 1},
        {"dossiers": ["a"], "jurors": ["x"], "k": 1, "fixed": frozenset({("a", "ghost")})},
        {"dossiers": ["a"], "jurors": ["x"], "k": 1, "capacity": {"x": -1}},
    ],
)
def test_assignment_problem_refuses_invalid_input(kwargs):
    with pytest.raises(ValueError):
        AssignmentProblem(**kwargs)


def test_assignment_problem_ignores_unknown_ids_in_conflicts_and_expertise():
    problem = AssignmentProblem(
        dossiers=["a"],
        jurors=["x"],
        k=1,
        forbidden=frozenset({("other", "x"), ("a", "ghost")}),
        expertise=frozenset({("a", "ghost")}),
    )

    assert assignment_solve(problem).pairs == frozenset({("a", "x")})


def test_assignment_demand_overrides_k_for_the_dossiers_it_names():
    problem = AssignmentProblem(dossiers=["a", "b"], jurors=["x", "y", "z"], k=2, demand={"a": 1})

    result = assignment_solve(problem)

    assert result.feasible
    assert sum(1 for d, _ in result.pairs if d == "a") == 1
    assert sum(1 for d, _ in result.pairs if d == "b") == 2
