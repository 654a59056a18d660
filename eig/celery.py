"""The Celery application: mail, reminders (beat) and PDF rendering run here.

Configuration comes from Django settings prefixed CELERY_; without a broker the tasks run
eagerly in-process (see settings).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eig.settings")

app = Celery("eig")
# The default app of every thread, not only of the one that imported this module: shared
# tasks called from a server's worker threads must find this configuration too.
app.set_default()
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(
    ["eig.notifications", "eig.jury", "projects", "candidates", "missions", "funding"]
)
