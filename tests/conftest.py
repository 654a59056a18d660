import pytest

from eig.celery import app as celery_app


@pytest.fixture(autouse=True)
def _celery_runs_eagerly():
    # Tasks run in-process in tests; the one test that needs a real worker switches this off.
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's cost is the point in production and pure waste in tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


@pytest.fixture(autouse=True)
def _no_login_rate_limit_leak():
    # Rate limits live in the cache: clear it so that one test's failed logins never
    # block another's.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
