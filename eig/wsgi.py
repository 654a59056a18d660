import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eig.settings")

application = get_wsgi_application()

# Import every view and its modules now rather than on the first request, then move all
# that was loaded out of the garbage collector's reach (gc.freeze): those objects live as
# long as the process, and each full collection otherwise walks them all again — a few
# milliseconds every few dozen requests on the jury's larger pages (bench/jury_pages.py).
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018 (evaluated for its imports)
gc.freeze()
# The collector runs when the objects created and not yet freed pass a threshold: a jury
# page holds thousands (its rows, their tuples, model instances) until its response is
# written, and with the default threshold (700) the collector walked them about ten times
# a page, 0.6 to 1.4 ms of its CPU. At 50,000 it runs about once a page; what a page
# leaves in cycles waits a little longer.
gc.set_threshold(50_000, 20, 10)
