"""What the platform's PDFs share: the State's typeface, read from django-dsfr's static
files on disk (never from the network), so that WeasyPrint embeds it, and the font
configuration WeasyPrint lays text out with."""

import threading
from functools import cache
from pathlib import Path

from django.contrib.staticfiles import finders

# Celery options of every PDF render task: retried on I/O errors; a PDF takes longer than
# the default limits allow, and the hard limit stays below Redis' visibility timeout, so that
# a render still running is never handed to a second worker.
PDF_RENDER_TASK_OPTIONS = {
    "autoretry_for": (OSError,),
    "retry_backoff": 10,
    "retry_backoff_max": 300,
    "max_retries": 5,
    "soft_time_limit": 240,
    "time_limit": 300,
}

MARIANNE = {
    "regular": "Marianne-Regular.woff2",
    "bold": "Marianne-Bold.woff2",
    "italic": "Marianne-Regular_Italic.woff2",
}


@cache
def _marianne_paths() -> tuple[tuple[str, str], ...]:
    found = ((key, finders.find(f"dsfr/dist/fonts/{name}")) for key, name in MARIANNE.items())
    return tuple((key, Path(path).as_uri()) for key, path in found if path)


def marianne_urls() -> dict[str, str]:
    """file:// URLs of Marianne's regular, bold and italic faces, by key; a face missing
    from the static files is left out (the template then falls back to a system font)."""
    return dict(_marianne_paths())


_local = threading.local()


def font_configuration():
    """WeasyPrint's font configuration, one per thread and kept between documents.

    A new one per document reloads Fontconfig's system fonts and decodes the WOFF2 faces
    each time; kept, it decodes each face once and keeps its layout caches, which saves
    a tenth of a convention's render. Pango's font maps are not thread-safe, hence one per
    thread (a Celery worker process has one)."""
    configuration = getattr(_local, "font_configuration", None)
    if configuration is None:
        from weasyprint.text.fonts import FontConfiguration

        configuration = _local.font_configuration = FontConfiguration()
    return configuration
