"""Benchmark of the staff ranking page under concurrent load.

Run from anywhere: ``.venv/bin/python bench/ranking.py [--database-url postgres://…]``.
It migrates the given database (its own: it may be flushed), seeds one call of 2,000
submitted défis with a jury of 5 criteria and 60 jurors, 3 submitted evaluations per défi,
starts gunicorn on a free port, and times GET of the ranking page with concurrent clients:
once with the cache the settings give, once more with the cache disabled for the server
(``CACHE_URL=dummycache://``), so that every render computes the ranking. Exit code 1 when
the page misses its targets either way, so that it can gate a CI job.

Figures (issue 10, part B; 2 cores shared with other engineers' runs, load average 3 to
5): before, the branch's base (630bdd2), which computed the ranking from the scores at
each render; after, the ranking read from the stored per-dossier figures
(`DossierAggregate`) and its rows joined as strings by the view.

                          before                      after
    with the cache        p95 152 ms, 90 req/s        p95 131 ms, 91 req/s
    without the cache     p95 688 ms, 23 req/s        p95 317 ms, 34 req/s
    one render            51 ms computed, 11 cached   34 ms computed, 11 cached
    SQL per render        11 (8 cached)               11 (8 cached)

(On the quiet machine of the issue, before: p95 284 ms with the cache, 52 requests/s.)

Issue 10, second session, on a machine about half as fast (see bench/jury_pages.py):
ranks stored with the figures, no cache in front of the page any more (the settings'
cache now serves only the session), prepared statements, gunicorn with 3 synchronous
workers as the Dockerfile runs it: p95 180 ms with the settings' cache, 173 ms without,
61 and 65 requests/s; one render 34 ms; 8 queries (7 with the session in the cache).

Issue 10, fourth session (2 cores, nothing else running; see bench/jury_pages.py for what
moved): p95 110 ms with the settings' cache, 109 ms without, 92 and 89 requests/s; one
render 26 ms; 8 queries (7 with the session in the cache). PASS.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._database import database_ensure  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/eig_bench_ranking"
# Django's dummy cache stores nothing: every page is computed as on its first render.
NO_CACHE_URL = "dummycache://"
TARGET_P95_MS = 150
# gunicorn as the Dockerfile and docker-compose.yml run it: 3 synchronous workers. Threads
# in a worker share its interpreter lock: on 2 cores, 2 workers of 4 threads served the
# jury's overview page with a p95 of 289 ms where 3 single-threaded workers gave 155 ms,
# for the same requests per second. `--workers` and `--threads` measure other setups.
SERVER_WORKERS = 3
SERVER_THREADS = 1
TARGET_QUERIES = 20
CALL_SLUG = "bench-classement"
STAFF_EMAIL = "equipe.bench@exemple.gouv.fr"
# A bench-only account on a bench-only database: its secret may be public.
BENCH_TOTP_SECRET = "BENCHBENCHBENCHBENCHBENCHBENCH23"


def django_setup(database_url: str) -> None:
    database_ensure(database_url)
    # Settings read the environment at import: set it before Django loads them.
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_ENV"] = "development"
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eig.settings")
    import django

    django.setup()


def _site_settings() -> None:
    """django-dsfr's site settings row in French, as `load_demo` writes it and as a deployed
    site has it: without one, django-dsfr reads twice per page to find none."""
    from dsfr.models import DsfrConfig

    DsfrConfig.objects.get_or_create(
        language="fr",
        defaults={
            "site_title": "Entrepreneurs d'intérêt général",
            "site_tagline": "Programme de la DINUM",
        },
    )


def seed(*, defis: int, jurors: int, per_defi: int, criteria: int, rng: random.Random):
    """The bench's data set, written with bulk_create: a few seconds for 30,000 scores.

    Returns the jury. An existing data set of the same size is kept as is."""
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from eig.accounts.models import Role, User
    from eig.jury.models import Criterion, DossierAggregate, Jury, JuryMember, JuryStage
    from eig.jury.services import jury_aggregates_rebuild
    from eig.programme.models import Administration, Promotion
    from projects.jury import DEFI_JURY
    from projects.models import (
        Defi,
        DefiEvaluation,
        DefiReview,
        DefiScore,
        ProjectCall,
    )

    _site_settings()
    call = ProjectCall.objects.filter(slug=CALL_SLUG).select_related("jury").first()
    if (
        call is not None
        and call.jury is not None
        and Defi.objects.filter(call=call).count() == defis
        and DefiScore.objects.filter(evaluation__defi__call=call).count()
        == defis * per_defi * criteria
        and User.objects.filter(email=STAFF_EMAIL).exists()
    ):
        print(f"données      : déjà en place ({defis} défis), conservées")
        if not DossierAggregate.objects.filter(jury=call.jury).exists():
            # A data set seeded before the figures were stored.
            jury_aggregates_rebuild(domain=DEFI_JURY, jury=call.jury)
        return call.jury

    if ProjectCall.objects.exclude(slug=CALL_SLUG).exists():
        raise SystemExit(
            "Cette base contient d'autres appels à projets que celui du bench : elle ne sera "
            "pas vidée. Donnez une base à part avec --database-url."
        )
    print("données      : création…", flush=True)
    started = time.perf_counter()
    call_command("flush", interactive=False, verbosity=0)
    _site_settings()
    now = timezone.now()
    with transaction.atomic():
        promotion = Promotion.objects.create(code="bench", number=99, name="Bench", year=2030)
        jury = Jury.objects.create(
            name="Jury du bench", domain=DEFI_JURY.key, jurors_per_dossier=per_defi
        )
        # bulk_create skips the default of a row's stage: name the jury's first one.
        stage = JuryStage.objects.first_for(jury)
        call = ProjectCall.objects.create(
            promotion=promotion,
            title="Appel à projets du bench",
            slug=CALL_SLUG,
            opens_at=now - datetime.timedelta(days=60),
            closes_at=now - datetime.timedelta(days=30),
            jury=jury,
        )
        grid = Criterion.objects.bulk_create(
            Criterion(
                jury=jury,
                stage=stage,
                position=position,
                name=f"Critère {position}",
                weight=1 + position % 3,
                scale_min=1,
                scale_max=4,
            )
            for position in range(1, criteria + 1)
        )
        administrations = Administration.objects.bulk_create(
            Administration(name=f"Direction du bench n° {i}", town="Paris") for i in range(80)
        )
        people = User.objects.bulk_create(
            User(
                email=f"jure{i}@exemple.gouv.fr",
                first_name="Juré",
                last_name=f"Bench {i:02d}",
                roles=[Role.JUROR],
                password="!",
            )
            for i in range(jurors)
        )
        members = JuryMember.objects.bulk_create(
            JuryMember(jury=jury, user=user) for user in people
        )
        staff = User(email=STAFF_EMAIL, first_name="Équipe", last_name="Bench", roles=[Role.STAFF])
        staff.set_unusable_password()
        staff.save()
        dossiers = Defi.objects.bulk_create(
            Defi(
                call=call,
                administration=administrations[i % len(administrations)],
                state=Defi.State.SUBMITTED,
                submitted_at=now - datetime.timedelta(days=31, minutes=i),
                title=f"Défi n° {i + 1} : {rng.choice(TOPICS)}",
            )
            for i in range(defis)
        )
        evaluations = DefiEvaluation.objects.bulk_create(
            DefiEvaluation(
                defi=defi,
                stage=stage,
                member=members[(i * per_defi + j) % len(members)],
                state=DefiEvaluation.State.SUBMITTED,
                version=1,
                assigned_at=now - datetime.timedelta(days=29),
                submitted_at=now - datetime.timedelta(days=rng.randint(1, 20)),
                overall_comment="Appréciation générale du juré.",
            )
            for i, defi in enumerate(dossiers)
            for j in range(per_defi)
        )
        DefiScore.objects.bulk_create(
            (
                DefiScore(
                    evaluation=evaluation,
                    criterion=criterion,
                    value=rng.randint(criterion.scale_min, criterion.scale_max),
                )
                for evaluation in evaluations
                for criterion in grid
            ),
            batch_size=5000,
        )
        DefiReview.objects.bulk_create(
            DefiReview(
                jury=jury, stage=stage, defi=defi, shortlisted_at=now if i % 10 == 0 else None
            )
            for i, defi in enumerate(dossiers)
            if i % 5 == 0
        )
        # Written around the services: the stored figures are computed once, as the
        # services would have kept them.
        jury_aggregates_rebuild(domain=DEFI_JURY, jury=jury)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"données      : créées en {time.perf_counter() - started:.1f} s", flush=True)
    return jury


TOPICS = [
    "données de santé",
    "contrôle fiscal",
    "open data des transports",
    "détection des fraudes",
    "accessibilité des démarches",
    "forêts et climat",
    "justice numérique",
    "éducation et orientation",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_staff():
    """The bench's staff member, enrolled in two-factor authentication as every staff member
    must be to reach a staff page (a data set seeded before that rule gets it too)."""
    from allauth.mfa.models import Authenticator

    from eig.accounts.models import User
    from eig.accounts.services import user_two_factor_set

    staff = User.objects.get(email=STAFF_EMAIL)
    if not Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists():
        user_two_factor_set(user=staff, totp_secret=BENCH_TOTP_SECRET)
    return staff


def session_cookie() -> str:
    """A staff session stored in the database, which the gunicorn workers read too."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(bench_staff())
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def queries_per_render(path: str, *, cached: bool) -> tuple[int, float]:
    """SQL queries of one render of the page, in-process through the test client, and the
    time of that render (ms): computed (cache emptied first) or from the cache."""
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    client.force_login(bench_staff())
    client.get(path)  # warm: templates compiled, connection open, results cached
    if not cached:
        cache.clear()
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"La page répond {response.status_code} au client de test.")
    return len(captured.captured_queries), elapsed


def gunicorn_path() -> Path:
    """gunicorn of the virtualenv running the bench (a git worktree has no .venv of its own)."""
    beside = Path(sys.executable).parent / "gunicorn"
    return beside if beside.exists() else ROOT / ".venv" / "bin" / "gunicorn"


def start_gunicorn(
    *,
    port: int,
    database_url: str,
    workers: int,
    threads: int,
    conn_max_age,
    cache_url: str | None = None,
):
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_ENV": "development",
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
    }
    if conn_max_age is not None:
        env["DATABASE_CONN_MAX_AGE"] = str(conn_max_age)
    if cache_url is not None:
        env["CACHE_URL"] = cache_url
    log = open(Path(tempfile.gettempdir()) / "eig-bench-ranking-gunicorn.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [
            str(gunicorn_path()),
            "eig.wsgi",
            "-w",
            str(workers),
            "--threads",
            str(threads),
            "-b",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopped as one, by its id
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn s'est arrêté ; voir {log.name}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/sante/")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.2)
    stop(process)
    raise SystemExit("gunicorn ne répond pas après 30 s.")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def load(
    *,
    port: int,
    paths: list[str],
    cookie: str,
    requests: int,
    concurrency: int,
    marker: bytes,
    timeout: float = 30,
):
    """`requests` GETs spread over `concurrency` threads, each on its own keep-alive
    connection, going through `paths` in turn (the pages of the ranking, as staff browse
    it). Returns (latencies in ms, wall-clock seconds, errors)."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    remaining = [requests]

    def client():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        headers = {"Cookie": cookie, "Connection": "keep-alive"}
        while True:
            with lock:
                if remaining[0] == 0:
                    break
                remaining[0] -= 1
                path = paths[remaining[0] % len(paths)]
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException) as error:
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
                with lock:
                    errors.append(repr(error))
                continue
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if response.status != 200 or marker not in body:
                    errors.append(f"HTTP {response.status}")
                else:
                    latencies.append(elapsed)
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, time.perf_counter() - started, errors


def timed_load(args, *, paths: list[str], cookie: str, cache_url: str | None):
    """One run of the load on a gunicorn of its own (its cache given by `cache_url`, the
    settings' one when None): warm-up, then the timed requests."""
    port = free_port()
    process = start_gunicorn(
        port=port,
        database_url=args.database_url,
        workers=args.workers,
        threads=args.threads,
        conn_max_age=args.conn_max_age,
        cache_url=cache_url,
    )
    try:
        marker = "Classement des défis par le jury".encode()
        _, _, errors = load(
            port=port,
            paths=paths,
            cookie=cookie,
            requests=args.warmup,
            concurrency=args.concurrency,
            marker=marker,
        )
        if errors:
            raise SystemExit(f"échauffement en erreur : {errors[:3]}")
        return load(
            port=port,
            paths=paths,
            cookie=cookie,
            requests=args.requests,
            concurrency=args.concurrency,
            marker=marker,
        )
    finally:
        stop(process)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--defis", type=int, default=2000)
    parser.add_argument("--jurors", type=int, default=60)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=SERVER_WORKERS)
    parser.add_argument("--threads", type=int, default=SERVER_THREADS)
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=None,
        help="DATABASE_CONN_MAX_AGE des workers (par défaut : celui de l'environnement, 0)",
    )
    parser.add_argument("--seed", type=int, default=20260901)
    args = parser.parse_args(argv)
    # A SIGTERM ends the run through the `finally` that stops gunicorn.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    django_setup(args.database_url)
    from django.core.management import call_command
    from django.urls import reverse

    call_command("migrate", verbosity=0)
    jury = seed(
        defis=args.defis,
        jurors=args.jurors,
        per_defi=3,
        criteria=5,
        rng=random.Random(args.seed),
    )
    path = reverse("jury:selection_ranking", args=[jury.pk])
    pages = -(-args.defis // 250)
    paths = [f"{path}?page={number}" for number in range(1, pages + 1)]
    # The first render of a page computes it; the next ones reuse it until a figure changes.
    queries, render_ms = queries_per_render(path, cached=False)
    cached_queries, cached_ms = queries_per_render(path, cached=True)
    cookie = session_cookie()

    cached_run = timed_load(args, paths=paths, cookie=cookie, cache_url=None)
    uncached_run = timed_load(args, paths=paths, cookie=cookie, cache_url=NO_CACHE_URL)

    latencies, wall, errors = cached_run
    p50, p95 = percentile(latencies, 0.50), percentile(latencies, 0.95)
    uncached_latencies, uncached_wall, uncached_errors = uncached_run
    uncached_p50 = percentile(uncached_latencies, 0.50)
    uncached_p95 = percentile(uncached_latencies, 0.95)
    passed = (
        not errors
        and not uncached_errors
        and p95 < TARGET_P95_MS
        and uncached_p95 < TARGET_P95_MS
        and max(queries, cached_queries) < TARGET_QUERIES
    )
    print(
        f"instance     : {args.defis} défis, {args.jurors} jurés, 5 critères, "
        f"3 évaluations soumises par défi ; pages de 250 lignes ({pages}), tri par défaut"
    )
    print(
        f"serveur      : gunicorn -w {args.workers} --threads {args.threads}, DEBUG off, "
        f"CONN_MAX_AGE {args.conn_max_age if args.conn_max_age is not None else 'par défaut'} ; "
        f"{os.cpu_count()} processeur(s)"
    )
    print(f"charge       : {args.requests} requêtes, {args.concurrency} clients simultanés")
    print(
        f"latence      : p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {max(latencies):.0f} ms "
        f"(cible p95 < {TARGET_P95_MS} ms)"
    )
    print(f"débit        : {len(latencies) / wall:.1f} requêtes/s")
    print(
        f"sans cache   : p50 {uncached_p50:.0f} ms, p95 {uncached_p95:.0f} ms, "
        f"max {max(uncached_latencies):.0f} ms (cible p95 < {TARGET_P95_MS} ms) ; "
        f"{len(uncached_latencies) / uncached_wall:.1f} requêtes/s (CACHE_URL={NO_CACHE_URL})"
    )
    print(
        f"requêtes SQL : {queries} par rendu calculé, {cached_queries} par rendu en cache "
        f"(cible < {TARGET_QUERIES}) ; un rendu seul : {render_ms:.0f} ms calculé, "
        f"{cached_ms:.0f} ms en cache"
    )
    errors = errors + uncached_errors
    if errors:
        print(f"erreurs      : {len(errors)} ({errors[:3]})")
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
