"""Benchmark of the jury assignment solver (no Django, no database).

Run from anywhere: ``.venv/bin/python bench/assignment.py [--seed 1] [--dossiers 2000] ...``.
Exit code 1 when the best time misses the target, so that it can gate a CI job.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

# The project root, so that ``eig`` imports without installing the package or Django setup.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eig.jury.assignment import AssignmentProblem, assignment_solve  # noqa: E402

TARGET_SECONDS = 2.0
RUNS = 5


def build_problem(
    seed: int, n_dossiers: int, n_jurors: int, k: int, conflicts: float, expertise: float
) -> AssignmentProblem:
    """A random instance: each (dossier, juror) pair is a conflict / an expertise match
    with the given probabilities, independently."""
    rng = random.Random(seed)
    dossiers = [f"D{i:05d}" for i in range(n_dossiers)]
    jurors = [f"J{i:03d}" for i in range(n_jurors)]
    forbidden = set()
    matches = set()
    for dossier in dossiers:
        for juror in jurors:
            if rng.random() < conflicts:
                forbidden.add((dossier, juror))
            if rng.random() < expertise:
                matches.add((dossier, juror))
    return AssignmentProblem(
        dossiers=dossiers,
        jurors=jurors,
        k=k,
        forbidden=frozenset(forbidden),
        expertise=frozenset(matches),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20240901)
    parser.add_argument("--dossiers", type=int, default=2000)
    parser.add_argument("--jurors", type=int, default=60)
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--conflicts", type=float, default=0.05, help="probabilité de conflit")
    parser.add_argument("--expertise", type=float, default=0.30, help="probabilité d'expertise")
    parser.add_argument("--target", type=float, default=TARGET_SECONDS, help="secondes")
    args = parser.parse_args(argv)

    problem = build_problem(
        args.seed, args.dossiers, args.jurors, args.k, args.conflicts, args.expertise
    )
    timings = []
    result = None
    for _ in range(RUNS):
        start = time.perf_counter()
        result = assignment_solve(problem)
        timings.append(time.perf_counter() - start)
    assert result is not None

    best, median = min(timings), statistics.median(timings)
    loads = list(result.loads.values()) or [0]
    passed = best < args.target
    print(
        f"instance     : {args.dossiers} dossiers, {args.jurors} jurés, k={args.k}, "
        f"conflits {args.conflicts:.0%}, expertise {args.expertise:.0%}, seed {args.seed}"
    )
    print(f"temps        : meilleur {best:.3f} s, médiane {median:.3f} s ({RUNS} essais)")
    print(f"faisable     : {'oui' if result.feasible else 'non'}")
    print(f"charges      : min {min(loads)}, max {max(loads)}, écart {result.spread}")
    print(f"expertise    : {result.expertise_matches} / {len(result.pairs)} affectations")
    if not result.feasible:
        print(f"manques      : {sum(result.shortfall.values())} ({len(result.shortfall)} dossiers)")
    print(f"objectif     : < {args.target:.1f} s -> {'PASS' if passed else 'FAIL'}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
