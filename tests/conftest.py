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


def _drop_celery_connection_pools():
    # The app keeps its producer pool (kombu keeps a registry of them) on the broker it first
    # reached: drop them so that the next publish uses the broker configured now.
    from kombu import pools

    pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


class DeadBroker:
    URL = "redis://127.0.0.1:1/0"  # a closed local port: every connection is refused

    def __init__(self, settings):
        self.settings = settings

    def returns(self):
        """The broker is back: tasks run again (eagerly, as in the other tests)."""
        self.settings.CELERY_TASK_ALWAYS_EAGER = True
        celery_app.conf.task_always_eager = True


@pytest.fixture
def broker_down(settings):
    """Celery configured with a real broker that is down, as in production when Redis is:
    publishing a task fails (after the short publish retries of the settings)."""
    previous = (celery_app.conf.broker_url, celery_app.conf.task_always_eager)
    settings.CELERY_BROKER_URL = DeadBroker.URL
    settings.CELERY_TASK_ALWAYS_EAGER = False
    celery_app.conf.broker_url = DeadBroker.URL
    celery_app.conf.task_always_eager = False
    _drop_celery_connection_pools()
    yield DeadBroker(settings)
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = previous
    _drop_celery_connection_pools()


@pytest.fixture(params=["defis", "entries"])
def kit(request):
    """The jury engine's tests run once on défis, once on the test-only entries
    (`tests/jury_domain`): see `tests/jury_kit.py`."""
    from tests.jury_kit import KITS

    return KITS[request.param]
