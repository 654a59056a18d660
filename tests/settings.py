"""The settings of the test suite: the project's, plus a second jury domain that exists for
the tests only (`tests/jury_domain`), so that the engine is always tested on two kinds of
dossier. `manage.py` and production keep `eig.settings`."""

from eig.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.jury_domain"]  # noqa: F405
