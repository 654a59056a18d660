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
