"""Embedded PostgreSQL for machines that have no database server.

When DATABASE_URL is unset, settings call `embedded_database_config()`: the `pgserver` package
ships PostgreSQL binaries, initialises a cluster in a git-ignored data folder of the checkout
on first use and starts it; later calls reuse the running server. The server is left running
when the process exits (cleanup_mode=None) so that `runserver`'s reloader, the Celery worker
and `manage.py` commands all share it.
"""

from pathlib import Path
from urllib.parse import parse_qs, urlparse

DATABASE_NAME = "eig"


def embedded_database_config(data_dir: Path) -> dict:
    import warnings

    with warnings.catch_warnings():
        # platformdirs, used by pgserver, warns when XDG_RUNTIME_DIR is unset (as for root).
        warnings.simplefilter("ignore")
        import pgserver

    server = pgserver.get_server(str(data_dir), cleanup_mode=None)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    uri = urlparse(server.get_uri())
    query = parse_qs(uri.query)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": uri.username or "postgres",
        "PASSWORD": uri.password or "",
        # pgserver listens on a Unix socket in its own folder, never on a TCP port.
        "HOST": query.get("host", [uri.hostname or ""])[0],
        "PORT": str(uri.port or ""),
    }
