import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings


def test_the_wsgi_application_loads_its_views_then_freezes_them_out_of_the_collector():
    # In a process of its own: freezing this one would change every other test's memory.
    code = (
        "import gc, sys, eig.wsgi; "
        "assert 'projects.views.defis' in sys.modules and 'candidates.views.application' "
        "in sys.modules; print(gc.get_freeze_count())"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(settings.BASE_DIR),
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "eig.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert int(done.stdout.strip().splitlines()[-1]) > 10_000
