import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DJANGO_ENV": "production",
    "DJANGO_ALLOWED_HOSTS": "eig.numerique.gouv.fr",
    "DATABASE_URL": "postgres://eig:secret@db.invalid:5432/eig",
    "CACHE_URL": "rediscache://redis.invalid:6379/1",
    "CELERY_BROKER_URL": "redis://redis.invalid:6379/0",
}


def _manage(*args, env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_", "CACHE_"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_secret_key():
    result = _manage("check", env=PRODUCTION)

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_settings_pass_check_deploy():
    secret = "k7#Vq9!zP2@xL4$wN8^rT6&yB3*uM1(eH5)cJ0-sD9_fG2+aK7=oQ4"
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={**PRODUCTION, "DJANGO_SECRET_KEY": secret},
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_demo_accounts_are_refused_in_production():
    secret = "k7#Vq9!zP2@xL4$wN8^rT6&yB3*uM1(eH5)cJ0-sD9_fG2+aK7=oQ4"
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DEMO_ALLOWED)",
        env={**PRODUCTION, "DJANGO_SECRET_KEY": secret},
    )

    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr


def test_health_check_answers_ok(client, db):
    response = client.get("/sante/")

    assert (response.status_code, response.content) == (200, b"ok")


def test_trusted_proxy_count_is_read_from_environment():
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings; "
        "print(settings.ALLAUTH_TRUSTED_PROXY_COUNT, settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER)",
        env={
            "DATABASE_URL": "postgres://eig@db.invalid:5432/eig",
            "ALLAUTH_TRUSTED_PROXY_COUNT": "1",
        },
    )

    assert result.stdout.splitlines()[-1].split() == ["1", "None"], result.stderr


def test_every_celery_task_has_limits_below_the_visibility_timeout():
    # Redis hands an unacknowledged task to another worker after the visibility timeout: a
    # task still running, or a retry waiting for its countdown, must never be that old.
    from django.conf import settings

    from eig.celery import app
    from eig.notifications.services import RETRY_MAX_SECONDS

    app.loader.import_default_modules()
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    tasks = [task for name, task in app.tasks.items() if not name.startswith("celery.")]

    assert settings.EMAIL_TIMEOUT == 20
    assert visibility == 600
    assert len(tasks) >= 12
    for task in tasks:
        assert 0 < task.soft_time_limit < task.time_limit < visibility, task.name
        # Celery's own default for a task with autoretry is 600 s: each one sets its own.
        default = 600 if getattr(task, "retry_backoff", 0) else 0
        assert getattr(task, "retry_backoff_max", default) < visibility, task.name
    assert visibility > RETRY_MAX_SECONDS
