"""Benchmark of the last hour before a call for candidates closes.

Run from anywhere: ``.venv/bin/python bench/application_rush.py [--database-url postgres://…]``.
It uses its own database (flushed at each run): one call for candidates closing in an hour,
the selected défis of its promotion with positions in every métier, and as many candidate
accounts as the run may need, each signed in. It starts gunicorn as the Dockerfile runs it
(3 synchronous workers, the cache disabled), then `--clients` clients (8) each fill and
submit applications, one account after another, for `--seconds` (60), as a candidate does
in the browser: the application page, « Commencer », each section (the CV a real PDF sent
as multipart), the wishes, then « Déposer ». A client finishes the application it started.

Reported per step: requests, p50, p95, errors. Then the database is checked: every
application a client submitted is stored exactly once, submitted, with one submission
event and one confirmation mail; no account has two applications; nothing else was
submitted. Exit code 1 when a step's p95 reaches 300 ms or the check fails.

Figures (issue 11; 2 cores, nothing else running; 8 clients, 60 s, gunicorn -w 3, cache
off): 1,201 applications submitted, none interrupted; p95 per step 52 ms (the application
page) to 67 ms (submitting), p50 38–51 ms; every submission stored once, with one event and
one mail. With other engineers' test runs on the same cores: 540 submitted, p95 131–167 ms.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import os
import random
import re
import signal
import sys
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ranking import (  # noqa: E402
    NO_CACHE_URL,
    SERVER_THREADS,
    SERVER_WORKERS,
    django_setup,
    free_port,
    percentile,
    start_gunicorn,
    stop,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/eig_bench_rush"
TARGET_P95_MS = 300
CALL_SLUG = "aac-bench"
STEPS = [
    "page",
    "commencer",
    "presentation",
    "competences",
    "experience",
    "motivation",
    "voeux",
    "informations",
    "deposer",
]
SPECIALTIES = ["developpement", "data_science", "design", "data_engineering"]
TEXT = (
    "Dix ans à construire des services numériques avec des équipes pluridisciplinaires, "
    "au contact des usagers et des agents, en mesurant l'impact de chaque mise en production."
)


def seed(*, accounts: int) -> dict:
    """The call, its positions by métier and `accounts` signed-in candidates: returns
    {"slug", "positions": {specialty: [pk…]}, "cookies": [cookie header…]}."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import transaction
    from django.test import Client
    from django.utils import timezone

    from candidates.models import CandidateCall
    from eig.accounts.models import Role, User
    from eig.programme.models import Administration, Promotion
    from projects.models import Defi, DefiPosition, ProjectCall

    print("données      : création…", flush=True)
    started = time.perf_counter()
    call_command("flush", interactive=False, verbosity=0)
    now = timezone.now()
    with transaction.atomic():
        promotion = Promotion.objects.create(code="rush", number=98, name="Rush", year=2030)
        project_call = ProjectCall.objects.create(
            promotion=promotion,
            title="Appel à projets du bench",
            slug="aap-bench-rush",
            opens_at=now - datetime.timedelta(days=200),
            closes_at=now - datetime.timedelta(days=150),
        )
        call = CandidateCall.objects.create(
            promotion=promotion,
            title="Appel à candidatures du bench",
            slug=CALL_SLUG,
            opens_at=now - datetime.timedelta(days=30),
            # The last hour: the rush runs well within it.
            closes_at=now + datetime.timedelta(hours=1),
        )
        administrations = Administration.objects.bulk_create(
            Administration(name=f"Administration du bench n° {i}") for i in range(12)
        )
        defis = Defi.objects.bulk_create(
            Defi(
                call=project_call,
                administration=administrations[i],
                state=Defi.State.SELECTED,
                title=f"Défi retenu n° {i + 1}",
                summary="Un défi de l'administration, retenu par le jury.",
            )
            for i in range(12)
        )
        positions = DefiPosition.objects.bulk_create(
            DefiPosition(
                defi=defi,
                rank=rank,
                specialty=SPECIALTIES[(i + rank) % len(SPECIALTIES)],
                missions="Construire le service avec ses usagers.",
                skills="Python, design de services",
            )
            for i, defi in enumerate(defis)
            for rank in (1, 2, 3)
        )
        people = User.objects.bulk_create(
            User(
                email=f"candidat{i}@exemple.fr",
                first_name="Candidat",
                last_name=f"Bench {i:04d}",
                roles=[Role.CANDIDATE],
                password="!",
            )
            for i in range(accounts)
        )
    by_specialty = defaultdict(list)
    for position in positions:
        by_specialty[position.specialty].append(position.pk)
    cookies = []
    for user in people:
        client = Client()
        client.force_login(user)
        cookies.append(
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )
    print(f"données      : créées en {time.perf_counter() - started:.1f} s", flush=True)
    return {"slug": call.slug, "positions": dict(by_specialty), "cookies": cookies}


_TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


class Browser:
    """One candidate's connection: their cookies, the CSRF token of the last page."""

    def __init__(self, port: int, cookie: str):
        self.port = port
        self.cookies = dict([cookie.split("=", 1)])
        self.token = ""
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def _headers(self, extra: dict | None = None) -> dict:
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        return {"Cookie": cookie, "Connection": "keep-alive", **(extra or {})}

    def request(self, method: str, path: str, body: bytes | None = None, headers=None):
        try:
            self.connection.request(method, path, body=body, headers=self._headers(headers))
            response = self.connection.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        found = _TOKEN.search(content)
        if found:
            self.token = found.group(1).decode()
        return response.status, content

    def post(self, path: str, fields: dict, files: dict | None = None):
        fields = {"csrfmiddlewaretoken": self.token, **fields}
        if files:
            boundary = uuid.uuid4().hex
            parts = []
            for name, value in fields.items():
                parts.append(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                    f"{value}\r\n".encode()
                )
            for name, (filename, content) in files.items():
                parts.append(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                    f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'.encode()
                    + content
                    + b"\r\n"
                )
            body = b"".join(parts) + f"--{boundary}--\r\n".encode()
            content_type = f"multipart/form-data; boundary={boundary}"
        else:
            from urllib.parse import urlencode

            body = urlencode(fields).encode()
            content_type = "application/x-www-form-urlencoded"
        return self.request(
            "POST",
            path,
            body=body,
            headers={
                "Content-Type": content_type,
                "Referer": f"http://127.0.0.1:{self.port}{path}",
            },
        )


def one_application(browser: Browser, slug: str, positions: dict, cv: bytes, rng, timings):
    """Fill and submit one application; True when every step answered as expected."""
    base = f"/candidater/{slug}/ma-candidature/"
    specialty = rng.choice(SPECIALTIES)
    wishes = rng.sample(positions[specialty], 3)
    steps = [
        ("page", lambda: browser.request("GET", base), 200),
        ("commencer", lambda: browser.post(f"{base}commencer/", {}), 302),
        (
            "presentation",
            lambda: browser.post(
                f"{base}presentation/",
                {"presentation": TEXT, "save_continue": "1"},
                files={"cv": ("cv.pdf", cv)},
            ),
            302,
        ),
        (
            "competences",
            lambda: browser.post(
                f"{base}competences/",
                {"specialty": specialty, "skills_main": TEXT, "save_continue": "1"},
            ),
            302,
        ),
        (
            "experience",
            lambda: browser.post(
                f"{base}experience/",
                {"years_experience": "7", "experience_specialty": TEXT, "save_continue": "1"},
            ),
            302,
        ),
        (
            "motivation",
            lambda: browser.post(f"{base}motivation/", {"motivation": TEXT, "save_continue": "1"}),
            302,
        ),
        (
            "voeux",
            lambda: browser.post(
                f"{base}voeux/",
                {f"voeu_{rank}": pk for rank, pk in enumerate(wishes, start=1)}
                | {"save_continue": "1"},
            ),
            302,
        ),
        (
            "informations",
            lambda: browser.post(
                f"{base}informations/",
                {
                    "phone": "06 12 34 56 78",
                    "birth_year": "1990",
                    "mobility": "france",
                    "available_on": "2030-09-01",
                    "save_continue": "1",
                },
            ),
            302,
        ),
        ("deposer", lambda: browser.post(f"{base}deposer/", {}), 302),
    ]
    for name, step, expected in steps:
        started = time.perf_counter()
        try:
            status, _content = step()
        except (OSError, http.client.HTTPException) as error:
            timings[name]["errors"].append(repr(error))
            return False
        timings[name]["ms"].append((time.perf_counter() - started) * 1000)
        if status != expected:
            timings[name]["errors"].append(f"HTTP {status}")
            return False
    return True


def _cv_pdf() -> bytes:
    """A real two-page PDF, as a CV is: the form reads it with pypdf."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(2):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def rush(*, port: int, data: dict, clients: int, seconds: float, cv: bytes):
    cookies = data["cookies"]  # shared with the next run: an account applies once
    lock = threading.Lock()
    timings = {name: {"ms": [], "errors": []} for name in STEPS}
    submitted, failed = [], []
    deadline = time.monotonic() + seconds

    def client(number):
        rng = random.Random(number)
        while time.monotonic() < deadline:
            with lock:
                if not cookies:
                    return
                cookie = cookies.pop()
            browser = Browser(port, cookie)
            ok = one_application(browser, data["slug"], data["positions"], cv, rng, timings)
            with lock:
                (submitted if ok else failed).append(cookie)
            browser.connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return timings, submitted, failed, time.perf_counter() - started


def check(submitted_cookies: list[str], slug: str) -> list[str]:
    """What the database says of the rush: empty when every submission is there once."""
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore
    from django.db.models import Count

    from candidates.models import Application
    from eig.history.models import Event
    from eig.notifications.models import OutboxMessage

    problems = []
    name = settings.SESSION_COOKIE_NAME
    user_ids = {
        int(SessionStore(session_key=cookie.split("=", 1)[1])["_auth_user_id"])
        for cookie in submitted_cookies
        if cookie.startswith(f"{name}=")
    }
    applications = Application.objects.filter(call__slug=slug)
    doubled = applications.values("candidate_id").annotate(n=Count("pk")).filter(n__gt=1)
    if doubled.exists():
        problems.append(f"{doubled.count()} compte(s) avec deux candidatures")
    done = applications.filter(state=Application.State.SUBMITTED)
    done_ids = set(done.values_list("candidate_id", flat=True))
    if done_ids != user_ids:
        problems.append(
            f"{len(user_ids - done_ids)} dépôt(s) réussi(s) absent(s), "
            f"{len(done_ids - user_ids)} dépôt(s) en trop"
        )
    events = Event.objects.filter(
        subject_id__in=done.values("pk"), action=Application.Action.SUBMITTED
    )
    if events.count() != len(done_ids):
        problems.append(f"{events.count()} événements de dépôt pour {len(done_ids)} dépôts")
    mails = OutboxMessage.objects.filter(idempotency_key__startswith="application-").filter(
        idempotency_key__endswith="-submitted"
    )
    if mails.count() != len(done_ids):
        problems.append(f"{mails.count()} courriels de confirmation pour {len(done_ids)} dépôts")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=5, help="secondes non mesurées")
    parser.add_argument("--accounts", type=int, default=1500)
    parser.add_argument("--workers", type=int, default=SERVER_WORKERS)
    parser.add_argument("--threads", type=int, default=SERVER_THREADS)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    os.environ["CACHE_URL"] = NO_CACHE_URL
    django_setup(args.database_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    data = seed(accounts=args.accounts)
    cv = _cv_pdf()
    port = free_port()
    process = start_gunicorn(
        port=port,
        database_url=args.database_url,
        workers=args.workers,
        threads=args.threads,
        conn_max_age=None,
        cache_url=NO_CACHE_URL,
    )
    try:
        # A few seconds first, not timed: the workers load their templates and connections.
        _, warm_submitted, warm_failed, _ = rush(
            port=port, data=data, clients=args.clients, seconds=args.warmup, cv=cv
        )
        timings, submitted, failed, wall = rush(
            port=port, data=data, clients=args.clients, seconds=args.seconds, cv=cv
        )
        failed += warm_failed
    finally:
        stop(process)

    print(
        f"rush         : {args.clients} clients, {args.seconds:.0f} s, gunicorn -w "
        f"{args.workers} --threads {args.threads}, cache désactivé ; {os.cpu_count()} processeur(s)"
    )
    print(f"candidatures : {len(submitted)} déposées, {len(failed)} interrompues, en {wall:.1f} s")
    print(f"\n{'étape':<14}{'requêtes':>9}{'p50':>8}{'p95':>8}{'erreurs':>9}")
    missed = False
    for name in STEPS:
        values = timings[name]["ms"]
        errors = timings[name]["errors"]
        p50, p95 = (percentile(values, 0.5), percentile(values, 0.95)) if values else (0, 0)
        late = p95 >= TARGET_P95_MS
        missed |= late or bool(errors)
        print(
            f"{name:<14}{len(values):>9}{p50:>7.0f}ms{p95:>6.0f}ms{len(errors):>9}"
            f"{'  ← manqué' if late else ''}"
        )
        for error in sorted(set(errors))[:3]:
            print(f"    {error}")
    problems = check(submitted + warm_submitted, data["slug"])
    print(
        "\nvérification : "
        + ("; ".join(problems) if problems else "chaque dépôt enregistré une fois")
    )
    ok = not missed and not problems and not failed
    print("OK" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
