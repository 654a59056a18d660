"""Répartition des dossiers entre les jurés (pure Python, sans Django ni base de données).

Every dossier, whatever its domain, must be scored by exactly ``k`` distinct
jurors. The rules, in order of priority:

1. never a conflicted juror (``forbidden``), never twice the same juror on a dossier;
2. keep existing assignments (``fixed``): they already carry scores, so they count towards
   the dossier's ``k`` and the juror's load and are never undone;
3. give as many dossiers as possible their ``k`` jurors (maximum flow) and, when that is
   impossible, say exactly which dossiers lack jurors and how many;
4. balance the loads: among maximum assignments, the load vector is the
   lexicographically optimal one, so ``max load - min load <= 1`` whenever such an
   assignment exists (and the smallest achievable spread otherwise);
5. only then, match expertise as often as possible.

Why a min-cost flow and not a greedy pass: a greedy "least-loaded free jurors first" can
paint itself into a corner (a juror spent early on an easy dossier is then missing for a
dossier that only they could take), and it has no handle on balance under conflicts.
The flow network is::

    source --(k - fixed)--> dossier --(1, expertise cost)--> juror ==(unit arcs)==> sink

The juror → sink part is a bundle of parallel unit-capacity arcs whose costs grow with the
load level: the ℓ-th unit of a juror's total load (fixed assignments included, so the
first free unit has level ``fixed_load + 1``) costs ``BIG * ℓ``. Since the marginal costs
increase, an optimal flow always uses the cheapest arcs first, and the total level cost is
``BIG * Σ L(L+1)/2``, a separable strictly convex function of the loads. The reachable
load vectors form (a translate of) the bases of a polymatroid, i.e. an M-convex set, and a
minimiser of a separable strictly convex function over it is the lexicographically optimal
(decreasingly minimal) base (Fujishige; Frank & Murota), which simultaneously minimises the
largest load and maximises the smallest one. ``BIG`` exceeds the largest possible total
expertise cost, so expertise never buys imbalance: any two level costs differ by a multiple
of ``BIG``.

``solve_max_flow_with_min_cost`` returns a minimum-cost flow among *maximum* flows, so an
infeasible instance still gets the best partial assignment.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from ortools.graph.python import min_cost_flow

__all__ = ["AssignmentProblem", "AssignmentResult", "assignment_solve"]

Pair = tuple[Hashable, Hashable]

# explain() lists at most this many lacking dossiers by name: a message is read by a human.
_EXPLAIN_MAX_LISTED = 20

# First guess of the slack above the average load for the number of load levels per juror
# (see _solve_flow): doubled until the guess is provably harmless.
_INITIAL_LEVEL_SLACK = 2


def _check_unique(ids: Sequence[Hashable], what: str) -> None:
    seen: set[Hashable] = set()
    duplicates = []
    for item in ids:
        if item in seen:
            duplicates.append(item)
        seen.add(item)
    if duplicates:
        listed = ", ".join(repr(d) for d in duplicates[:5])
        raise ValueError(f"Identifiants de {what} en double : {listed}.")


@dataclass(frozen=True)
class AssignmentProblem:
    """What the solver needs to know, with plain ids so that it stays independent of the ORM.

    ``dossiers`` and ``jurors`` are sequences of distinct hashable ids; their order makes
    the result deterministic (the network is built in that order). Pairs are always
    ``(dossier, juror)``.

    ``forbidden`` and ``expertise`` pairs naming an unknown dossier or juror are ignored, so
    that a programme-wide conflict list can be passed as is. ``fixed`` pairs must name known
    ids (they change the counts, so a typo must not go unnoticed). A fixed pair that is also
    forbidden is kept as given: a conflict declared after the scores were entered is the
    caller's business, not the solver's. A dossier with more fixed pairs than ``k`` keeps
    them all and gets no new juror. ``capacity`` (optional, per juror) caps the juror's
    total load, fixed assignments included; a juror absent from the mapping is unlimited.
    ``demand`` (optional, per dossier) replaces ``k`` for the dossiers it names: a dossier
    already evaluated by a juror who left the jury needs one juror fewer among these.
    """

    dossiers: Sequence[Hashable]
    jurors: Sequence[Hashable]
    k: int
    forbidden: frozenset[Pair] = frozenset()
    fixed: frozenset[Pair] = frozenset()
    expertise: frozenset[Pair] = frozenset()
    capacity: Mapping[Hashable, int] | None = None
    demand: Mapping[Hashable, int] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.k, int) or isinstance(self.k, bool) or self.k < 1:
            raise ValueError(f"Il faut au moins un juré par dossier (k = {self.k!r}).")
        _check_unique(self.dossiers, "dossiers")
        _check_unique(self.jurors, "jurés")
        dossiers = set(self.dossiers)
        jurors = set(self.jurors)
        unknown = [pair for pair in self.fixed if pair[0] not in dossiers or pair[1] not in jurors]
        if unknown:
            listed = ", ".join(repr(p) for p in unknown[:5])
            raise ValueError(
                f"Affectations conservées avec un dossier ou un juré inconnu : {listed}."
            )
        if self.capacity is not None:
            negative = {j: c for j, c in self.capacity.items() if c < 0}
            if negative:
                raise ValueError(f"Capacité négative pour les jurés : {negative!r}.")


@dataclass(frozen=True)
class AssignmentResult:
    """The assignment and what a human needs to judge it.

    ``pairs`` holds every ``(dossier, juror)`` pair, fixed ones included; ``new_pairs`` only
    those the solver added (the ones to create). ``loads`` has an entry for every juror,
    zero included, in the problem's order. ``shortfall`` maps each dossier that lacks
    jurors to the number missing (only positive counts). ``expertise_matches`` counts the
    pairs of ``pairs`` (fixed included) whose expertise matches.
    """

    pairs: frozenset[Pair]
    new_pairs: frozenset[Pair]
    loads: dict[Hashable, int]
    shortfall: dict[Hashable, int]
    expertise_matches: int
    k: int = field(default=0, compare=False)

    @property
    def feasible(self) -> bool:
        """Every dossier has its k jurors."""
        return not self.shortfall

    @property
    def spread(self) -> int:
        """Largest minus smallest load (0 without jurors): the balance criterion."""
        if not self.loads:
            return 0
        values = self.loads.values()
        return max(values) - min(values)

    def explain(self) -> str:
        """A French summary for the jury's organisers: what is missing, or how loads look."""
        sentences = []
        if self.shortfall:
            count = len(self.shortfall)
            listed = [
                f"{dossier} (il en manque {missing})"
                for dossier, missing in list(self.shortfall.items())[:_EXPLAIN_MAX_LISTED]
            ]
            rest = count - len(listed)
            enumeration = ", ".join(listed)
            if rest:
                enumeration += f" et {rest} autre{'s' if rest > 1 else ''}"
            total = sum(self.shortfall.values())
            if count == 1:
                head = "1 dossier n'a pas assez de jurés"
            else:
                head = f"{count} dossiers n'ont pas assez de jurés"
            sentences.append(
                f"{head} : {enumeration}. Il manque {total} affectation"
                f"{'s' if total > 1 else ''} au total : il faut davantage de jurés "
                "disponibles et sans conflit d'intérêts avec ces dossiers."
            )
        elif not self.pairs:
            sentences.append("Aucun dossier à répartir.")
        else:
            if self.k == 1:
                sentences.append("Chaque dossier a son juré.")
            elif self.k:
                sentences.append(f"Chaque dossier a ses {self.k} jurés.")
            else:
                sentences.append("Chaque dossier a tous ses jurés.")
        if self.loads:
            values = list(self.loads.values())
            low, high = min(values), max(values)
            if low == high:
                sentences.append(f"Chaque juré évalue {low} dossier{'s' if low > 1 else ''}.")
            else:
                sentences.append(
                    f"Charge par juré : entre {low} et {high} dossiers (écart {high - low})."
                )
        else:
            sentences.append("Aucun juré n'est disponible.")
        if self.pairs:
            sentences.append(
                f"Expertise correspondante pour {self.expertise_matches} affectation"
                f"{'s' if self.expertise_matches > 1 else ''} sur {len(self.pairs)}."
            )
        return " ".join(sentences)


def _pair_matrix(
    pairs: frozenset[Pair],
    dossier_index: dict[Hashable, int],
    juror_index: dict[Hashable, int],
    shape: tuple[int, int],
) -> np.ndarray:
    """Boolean dossier × juror matrix of the pairs naming known ids (others are ignored)."""
    matrix = np.zeros(shape, dtype=bool)
    rows, cols = [], []
    for dossier, juror in pairs:
        d = dossier_index.get(dossier)
        j = juror_index.get(juror)
        if d is not None and j is not None:
            rows.append(d)
            cols.append(j)
    if rows:
        matrix[np.asarray(rows, dtype=np.intp), np.asarray(cols, dtype=np.intp)] = True
    return matrix


def _solve_flow(
    demand: np.ndarray,
    allowed: np.ndarray,
    expertise_cost: np.ndarray,
    fixed_load: np.ndarray,
    max_levels: np.ndarray,
) -> np.ndarray:
    """Return the 0/1 dossier × juror matrix of new assignments (see the module docstring).

    ``max_levels[j]`` is the most free units juror j could ever take (dossiers it may
    take, capacity). Building that many unit arcs for every juror is correct but makes the
    network large; instead we first offer only ``levels`` arcs per juror, up to a little
    above the average total load, and check afterwards. If no juror filled all the arcs it
    was offered (unless that is all it could ever take), the missing arcs are irrelevant:
    each would run parallel to an unsaturated arc with the same endpoints and a lower cost,
    so it can neither carry an augmenting path nor close a negative-cost cycle that the
    cheaper arc does not already offer. The flow is thus optimal for the full network too.
    Otherwise the slack doubles and we solve again (at worst with every arc).
    """
    n_dossiers, n_jurors = allowed.shape
    total_demand = int(demand.sum())
    # Any two level costs differ by a multiple of BIG > the largest total expertise cost.
    big = total_demand + 1

    d_idx, j_idx = np.nonzero(allowed)
    source = 0
    juror_nodes = 1 + n_dossiers + np.arange(n_jurors, dtype=np.int32)
    sink = 1 + n_dossiers + n_jurors

    average = -(-(total_demand + int(fixed_load.sum())) // max(n_jurors, 1))
    slack = _INITIAL_LEVEL_SLACK
    while True:
        # Levels offered: up to (average + slack) total load, but never beyond what is useful.
        offered = np.clip(average + slack - fixed_load, 1, None)
        levels = np.minimum(max_levels, offered)
        complete = bool(np.all(levels == max_levels))

        smcf = min_cost_flow.SimpleMinCostFlow()
        # source → dossier
        dossier_nodes = 1 + np.arange(n_dossiers, dtype=np.int32)
        smcf.add_arcs_with_capacity_and_unit_cost(
            np.full(n_dossiers, source, dtype=np.int32),
            dossier_nodes,
            demand.astype(np.int64),
            np.zeros(n_dossiers, dtype=np.int64),
        )
        # dossier → juror (only allowed pairs), cost 0 when expertise matches, else 1.
        first_pair_arc = n_dossiers
        smcf.add_arcs_with_capacity_and_unit_cost(
            (1 + d_idx).astype(np.int32),
            juror_nodes[j_idx],
            np.ones(d_idx.size, dtype=np.int64),
            expertise_cost[d_idx, j_idx].astype(np.int64),
        )
        # juror → sink, one unit arc per load level: level ℓ costs BIG * ℓ.
        total_levels = int(levels.sum())
        if total_levels:
            owner = np.repeat(np.arange(n_jurors), levels)
            starts = np.cumsum(levels) - levels
            rank = np.arange(total_levels) - np.repeat(starts, levels)  # 0-based in bundle
            level = fixed_load[owner] + 1 + rank
            smcf.add_arcs_with_capacity_and_unit_cost(
                juror_nodes[owner],
                np.full(total_levels, sink, dtype=np.int32),
                np.ones(total_levels, dtype=np.int64),
                (big * level).astype(np.int64),
            )
        smcf.set_node_supply(source, total_demand)
        smcf.set_node_supply(sink, -total_demand)
        status = smcf.solve_max_flow_with_min_cost()
        if status != smcf.OPTIMAL:
            raise RuntimeError(f"Le solveur de flot a échoué (statut {status}).")

        flows = smcf.flows(np.arange(first_pair_arc, first_pair_arc + d_idx.size))
        chosen = flows > 0
        if not complete:
            load = np.bincount(j_idx[chosen], minlength=n_jurors)
            truncated = levels < max_levels
            if np.any(truncated & (load >= levels)):
                slack *= 2
                continue
        result = np.zeros((n_dossiers, n_jurors), dtype=bool)
        result[d_idx[chosen], j_idx[chosen]] = True
        return result


def assignment_solve(problem: AssignmentProblem) -> AssignmentResult:
    """Assign jurors to dossiers: max coverage, then balanced loads, then expertise.

    See the module docstring for the model and why it is optimal. Deterministic for a given
    problem (ids order included).
    """
    dossiers = list(problem.dossiers)
    jurors = list(problem.jurors)
    n_dossiers, n_jurors = len(dossiers), len(jurors)
    dossier_index = {d: i for i, d in enumerate(dossiers)}
    juror_index = {j: i for i, j in enumerate(jurors)}
    shape = (n_dossiers, n_jurors)

    fixed = _pair_matrix(problem.fixed, dossier_index, juror_index, shape)
    forbidden = _pair_matrix(problem.forbidden, dossier_index, juror_index, shape)
    expertise = _pair_matrix(problem.expertise, dossier_index, juror_index, shape)

    fixed_count = fixed.sum(axis=1).astype(np.int64)
    fixed_load = fixed.sum(axis=0).astype(np.int64)
    wanted = np.full(n_dossiers, problem.k, dtype=np.int64)
    for dossier, count in (problem.demand or {}).items():
        if dossier in dossier_index:
            wanted[dossier_index[dossier]] = count
    demand = np.maximum(wanted - fixed_count, 0)

    allowed = ~forbidden & ~fixed & (demand > 0)[:, None]
    # Free units a juror can take: one per dossier it may take, within its capacity.
    max_levels = allowed.sum(axis=0).astype(np.int64)
    if problem.capacity is not None:
        capacity = np.array(
            [problem.capacity.get(j, np.iinfo(np.int64).max) for j in jurors], dtype=np.int64
        ).reshape(n_jurors)
        max_levels = np.minimum(max_levels, np.maximum(capacity - fixed_load, 0))
    # A juror without any level cannot take anything: drop its arcs, it shrinks the network.
    allowed &= (max_levels > 0)[None, :]
    # A dossier cannot take more jurors than it has arcs to: capping its demand there keeps
    # the costs (and BIG) small even for an absurd k, and changes no solution.
    reachable = np.minimum(demand, allowed.sum(axis=1))

    if allowed.any():
        new = _solve_flow(
            reachable,
            allowed,
            (~expertise).astype(np.int64),
            fixed_load,
            max_levels,
        )
    else:
        new = np.zeros(shape, dtype=bool)

    every = fixed | new
    new_rows, new_cols = np.nonzero(new)
    all_rows, all_cols = np.nonzero(every)
    new_pairs = frozenset(
        (dossiers[d], jurors[j]) for d, j in zip(new_rows.tolist(), new_cols.tolist(), strict=True)
    )
    pairs = frozenset(
        (dossiers[d], jurors[j]) for d, j in zip(all_rows.tolist(), all_cols.tolist(), strict=True)
    )
    load_values = every.sum(axis=0).tolist()
    missing = (demand - new.sum(axis=1)).tolist()
    return AssignmentResult(
        pairs=pairs,
        new_pairs=new_pairs,
        loads=dict(zip(jurors, load_values, strict=True)),
        shortfall={d: m for d, m in zip(dossiers, missing, strict=True) if m > 0},
        expertise_matches=int((every & expertise).sum()),
        k=problem.k,
    )
