"""Benchmark of the convention PDF: time to render one version with WeasyPrint.

Run from anywhere: ``.venv/bin/python bench/conventions.py [--database-url postgres://…]``.
It migrates the given database (its own: it may be flushed), prepares 100 conventions
through funding.services across the rules of promotions 3 to 7 (1 to 3 défis of 2 or 3 EIGs
each, bands and work times drawn at random), then renders each version's PDF through
`convention_version_render`, as the Celery task does, and times each render. Files go to a
temporary directory. Exit code 1 when the median misses the target, so that it can gate a
CI job.
"""

from __future__ import annotations

import argparse
import datetime
import logging
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._database import database_ensure  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/eig_bench_conventions"
TARGET_MEDIAN_SECONDS = 0.5
PRESETS = ("3", "4", "5", "6", "7")
CODE_PREFIX = "bench-conv-"
STAFF_EMAIL = "equipe.bench.conventions@exemple.gouv.fr"
TOPICS = [
    "Données de santé",
    "Contrôle fiscal",
    "Open data des transports",
    "Détection des fraudes",
    "Accessibilité des démarches",
    "Forêts et climat",
    "Justice numérique",
    "Éducation et orientation",
]


def django_setup(database_url: str, media_root: str) -> None:
    database_ensure(database_url)
    # Settings read the environment at import: set it before Django loads them.
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_ENV"] = "development"
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ["MEDIA_ROOT"] = media_root
    # No broker: the render queued on commit runs in-process, never on someone's worker.
    os.environ["CELERY_BROKER_URL"] = ""
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eig.settings")
    import django

    django.setup()


def seed(*, conventions: int, rng: random.Random) -> list[int]:
    """`conventions` conventions spread over one promotion per preset, each signed by a
    ministry for 1 to 3 of its défis (some hosted by one of its operators). Returns the ids
    of their versions. An existing data set of the same size is kept."""
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from eig.accounts.models import Role, User
    from eig.programme.models import Administration, Promotion, SalaryBand, Specialty, WorkTime
    from eig.programme.presets import promotion_apply_funding_preset
    from funding.models import ConventionVersion
    from funding.services import preparation
    from projects.models import Defi, DefiPosition, ProjectCall

    versions = ConventionVersion.objects.filter(convention__promotion__code__startswith=CODE_PREFIX)
    if versions.count() == conventions:
        print(f"données      : déjà en place ({conventions} conventions), conservées")
        return list(versions.order_by("pk").values_list("pk", flat=True))
    if Promotion.objects.exclude(code__startswith=CODE_PREFIX).exists():
        raise SystemExit(
            "Cette base contient d'autres promotions que celles du bench : elle ne sera pas "
            "vidée. Donnez une base à part avec --database-url."
        )
    print("données      : création…", flush=True)
    started = time.perf_counter()
    call_command("flush", interactive=False, verbosity=0)
    now = timezone.now()
    specialties = [Specialty.DEVELOPMENT, Specialty.DATA_SCIENCE, Specialty.DESIGN]
    staff = User(email=STAFF_EMAIL, first_name="Équipe", last_name="Bench", roles=[Role.STAFF])
    staff.set_unusable_password()
    staff.save()
    promotions = []
    for key in PRESETS:
        with transaction.atomic():
            promotion = Promotion.objects.create(
                code=f"{CODE_PREFIX}{key}",
                number=int(key),
                name=f"Promotion {key}",
                year=2018 + int(key),
            )
            promotion_apply_funding_preset(promotion=promotion, key=key)
            call = ProjectCall.objects.create(
                promotion=promotion,
                title=f"Appel à projets du bench, promotion {key}",
                slug=f"{CODE_PREFIX}{key}",
                opens_at=now - datetime.timedelta(days=90),
                closes_at=now - datetime.timedelta(days=60),
            )
            promotions.append(
                (promotion, call, list(SalaryBand.objects.filter(promotion=promotion)))
            )
    for index in range(conventions):
        promotion, call, bands = promotions[index % len(promotions)]
        with transaction.atomic():
            ministry = Administration.objects.create(
                name=f"Ministère du bench n° {index + 1}",
                kind=Administration.Kind.MINISTRY,
                budget_programme=f"{100 + index % 800}",
                town="Paris",
            )
            operator = Administration.objects.create(
                name=f"Agence nationale du bench n° {index + 1}",
                kind=Administration.Kind.OPERATOR,
                parent=ministry,
                town=rng.choice(["Lyon", "Nantes", "Toulouse", "Lille"]),
            )
            partnership = promotion.funding_rule.convention_kind == "partenariat"
            for number in range(rng.randint(1, 3)):
                # Under a partnership the host signs for itself: no operator there.
                host = operator if (number == 1 and not partnership) else ministry
                defi = Defi.objects.create(
                    call=call,
                    administration=host,
                    state=Defi.State.SELECTED,
                    submitted_at=now - datetime.timedelta(days=61),
                    title=f"{rng.choice(TOPICS)} : défi n° {index + 1}.{number + 1}",
                )
                DefiPosition.objects.bulk_create(
                    DefiPosition(
                        defi=defi,
                        rank=rank,
                        specialty=specialties[rank - 1],
                        missions="Construire le service.",
                        skills="Python",
                        salary_band=rng.choice(bands),
                        work_time=rng.choice(list(WorkTime)),
                    )
                    for rank in range(1, rng.randint(2, 3) + 1)
                )
        preparation.convention_prepare(promotion=promotion, administration=ministry, actor=staff)
    print(f"données      : créées en {time.perf_counter() - started:.1f} s", flush=True)
    return list(versions.order_by("pk").values_list("pk", flat=True))


def renders_reset(version_ids: list[int]) -> None:
    """Forget the files, so that the timed renders render (a render is idempotent)."""
    from funding.models import ConventionVersion

    ConventionVersion.objects.filter(pk__in=version_ids).update(
        pdf="", checksum="", rendered_at=None
    )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--conventions", type=int, default=100)
    parser.add_argument("--target", type=float, default=TARGET_MEDIAN_SECONDS, help="secondes")
    parser.add_argument("--seed", type=int, default=20260901)
    args = parser.parse_args(argv)

    media_root = tempfile.mkdtemp(prefix="eig-bench-conventions-")
    try:
        django_setup(args.database_url, media_root)
        from django.core.management import call_command

        from funding.models import ConventionVersion
        from funding.pdf import convention_version_render

        # One line per render from Celery's eager tasks, and WeasyPrint's notice about
        # HarfBuzz-Subset at each document, would bury the figures.
        logging.getLogger("celery").setLevel(logging.WARNING)
        logging.getLogger("weasyprint").setLevel(logging.ERROR)
        warnings.filterwarnings("ignore", module="weasyprint")
        call_command("migrate", verbosity=0)
        version_ids = seed(conventions=args.conventions, rng=random.Random(args.seed))
        renders_reset(version_ids)

        cold = "weasyprint" not in sys.modules
        load_before = os.getloadavg()[0]
        timings, cpu = [], []
        for version_id in version_ids:
            started, started_cpu = time.perf_counter(), time.process_time()
            convention_version_render(version_id=version_id)
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        load_after = os.getloadavg()[0]

        versions = ConventionVersion.objects.filter(pk__in=version_ids)
        rendered = versions.exclude(rendered_at=None).exclude(pdf="").count()
        sizes = [
            (Path(media_root) / name).stat().st_size
            for name in versions.values_list("pdf", flat=True)
        ]
        eigs = sorted(versions.values_list("eig_count", flat=True))
    finally:
        shutil.rmtree(media_root, ignore_errors=True)

    median, p95, worst = statistics.median(timings), percentile(timings, 0.95), max(timings)
    passed = rendered == len(version_ids) and median < args.target
    print(
        f"conventions  : {len(version_ids)} (promotions {', '.join(PRESETS)}), "
        f"{eigs[0]} à {eigs[-1]} EIG chacune, {rendered} PDF produits"
    )
    print(
        f"PDF          : {statistics.median(sizes) / 1024:.0f} Kio en médiane, "
        f"{max(sizes) / 1024:.0f} Kio au plus"
    )
    if cold:
        print(f"premier rendu: {timings[0]:.3f} s (à froid : import de WeasyPrint, polices)")
    print(
        f"par PDF      : médiane {median:.3f} s, p95 {p95:.3f} s, max {worst:.3f} s "
        f"(cible : médiane < {args.target} s)"
    )
    print(
        f"temps CPU    : médiane {statistics.median(cpu):.3f} s, p95 {percentile(cpu, 0.95):.3f} s"
    )
    # Other processes on the machine lengthen the wall-clock times; the CPU times do not.
    print(f"charge       : {load_before:.2f} avant, {load_after:.2f} après ({os.cpu_count()} CPU)")
    print("résultat     : " + ("PASS" if passed else "FAIL"))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
