"""Settings of the EIG platform, read from environment variables.

Three environments, chosen by DJANGO_ENV:
- "development" (default): embedded PostgreSQL when DATABASE_URL is unset, Celery tasks run
  eagerly when CELERY_BROKER_URL is unset, mail printed to the console;
- "test": like development, used by pytest;
- "production": every secret must come from the environment, and `check --deploy` passes.
`.env.example` lists every variable.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV inconnu : {DJANGO_ENV!r}")
PRODUCTION = DJANGO_ENV == "production"

if PRODUCTION:
    # No default: a production server must never run with a key that is in the repository.
    SECRET_KEY = env.str("DJANGO_SECRET_KEY")
    DEBUG = False
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
else:
    SECRET_KEY = env.str(
        "DJANGO_SECRET_KEY", default="dev-only-insecure-key-0123456789-abcdefghijklmnopqrstuvwxyz"
    )
    DEBUG = env.bool("DJANGO_DEBUG", default=DJANGO_ENV == "development")
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "eig.admin_site.EigAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "crispy_forms",
    "csp",
    "django_filters",
    # django-rules: each app declares the permissions on its objects in its `rules.py`.
    "rules.apps.AutodiscoverRulesConfig",
    "dsfr",
    "eig.accounts",
    "eig.programme",
    "eig.notifications",
    "eig.history",
    "eig.jury",
    "projects",
    "candidates",
    "missions",
    "funding",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "eig.security.DebugErrorPagesMiddleware",
    "eig.security.PermissionsPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "eig.accounts.middleware.StaffTwoFactorMiddleware",
]

ROOT_URLCONF = "eig.urls"
WSGI_APPLICATION = "eig.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "eig.context_processors.site_config",
                "eig.context_processors.platform",
            ],
            "libraries": {"eig_forms": "eig.formtags", "eig_pages": "eig.pagetags"},
        },
    },
]

# Database: DATABASE_URL when given, otherwise an embedded PostgreSQL in .pgdata/ so that a
# fresh machine runs the app with one command. Production has no fallback.
if PRODUCTION or env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    from eig.embedded_db import embedded_database_config

    DATABASES = {
        "default": embedded_database_config(
            Path(env.str("EMBEDDED_PGDATA", default=str(BASE_DIR / ".pgdata")))
        )
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Persistent connections: opening one costs PostgreSQL a process per request otherwise. The
# health check drops a connection the server closed (restart, idle timeout) before use.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Parameters bound by the server, and each query's plan prepared once it has run twice on a
# connection: a page sends the same dozen queries at every render, and PostgreSQL took as
# long to plan the jury's larger ones as to run them. Turn it off behind a pooler in
# transaction mode (PgBouncer), which cannot keep a connection's prepared statements.
if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"server_side_binding": True, "prepare_threshold": 2}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": env.cache_url("CACHE_URL", default="locmemcache://eig")
    if not PRODUCTION
    else env.cache_url("CACHE_URL")
}

AUTH_USER_MODEL = "accounts.User"
# Both backends load the session's user with a "has_totp" flag, so that the staff two-factor
# check costs no query of its own (see eig/accounts/backends.py).
AUTHENTICATION_BACKENDS = [
    # Object permissions (`user.has_perm("projects.edit_defi", defi)`) are the predicates of
    # each app's `rules.py`; Django's model permissions below only open the admin.
    "rules.permissions.ObjectPermissionBackend",
    "eig.accounts.backends.ModelBackend",
    "eig.accounts.backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:dashboard"
LOGOUT_REDIRECT_URL = "projects:home"

# django-allauth: e-mail is the login, verified before first use; failed logins are rate
# limited per address and per IP (the limits live in the cache).
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SIGNUP_FORM_CLASS = "eig.accounts.forms.SignupForm"
ACCOUNT_ADAPTER = "eig.accounts.adapters.AccountAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[EIG] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if PRODUCTION else "http"
ACCOUNT_RATE_LIMITS = {
    "login_failed": env.str("LOGIN_FAILED_RATE_LIMIT", default="10/m/ip,5/5m/key"),
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
}
# The client IP that the "ip" rate limits count: behind N proxies of ours, the N-th address
# from the right of X-Forwarded-For (the one our outermost proxy saw). At 0 the header is
# ignored and REMOTE_ADDR is used: right without a proxy, but behind one every visitor would
# share the proxy's address and one attacker would lock everybody out. A proxy that sets a
# header of its own (X-Real-IP, CF-Connecting-IP) can be named instead.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("ALLAUTH_TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = env.str("ALLAUTH_TRUSTED_CLIENT_IP_HEADER", default="") or None

# Two-factor authentication (allauth.mfa): an authenticator app (TOTP) and recovery codes.
# Required for programme staff (eig.accounts.middleware), offered to everyone else.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Programme EIG"
MFA_ADAPTER = "eig.accounts.adapters.MFAAdapter"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    # Uploaded files (pitch decks, CVs) are personal or unpublished: they live outside any
    # served URL and are streamed by views that check permissions first.
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env.path("MEDIA_ROOT", default=BASE_DIR / "media")},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
# Outside production, WhiteNoise serves straight from the apps' static folders.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
# The largest file any form takes, in Mo (1024 × 1024 bytes): a form's own limit is never
# above it (eig.files.validate_pdf). The proxy in front must let such a request through and
# no larger: nginx's `client_max_body_size` a little above, e.g. 16m for 15 (see README).
MAX_UPLOAD_SIZE_MB = env.int("MAX_UPLOAD_SIZE_MB", default=15)
MAX_UPLOAD_SIZE = MAX_UPLOAD_SIZE_MB * 1024 * 1024
# Files above 2.5 Mo are streamed to a temporary file rather than held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = min(2_621_440, MAX_UPLOAD_SIZE)
FILE_UPLOAD_HANDLERS = [
    # Stops storing a file past MAX_UPLOAD_SIZE, should the proxy let it through.
    "eig.files.UploadSizeLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# The rest of a request (its text fields, files excluded): every text field has a maximum
# length, the longest form holds well under 100 Ko; Django's default of 2.5 Mo is plenty.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# Django's renderer with the project's <option> first: the blank choice reads « Choisir… ».
FORM_RENDERER = "eig.forms.FormRenderer"

CRISPY_ALLOWED_TEMPLATE_PACKS = ["dsfr_crispy"]
CRISPY_TEMPLATE_PACK = "dsfr_crispy"
CRISPY_FAIL_SILENTLY = not DEBUG

# Mail: console in development unless EMAIL_URL says otherwise (smtp://…, filemail://…).
_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
for _key in (
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS",
    "EMAIL_USE_SSL",
    "EMAIL_FILE_PATH",
):
    if _key in _email:
        globals()[_key] = _email[_key]
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="EIG <contact@eig.numerique.gouv.fr>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Seconds an SMTP connection or command may block: a mail server that hangs fails the
# attempt, which the outbox retries, instead of holding a worker forever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
# The outbox (eig.notifications): attempts before a mail is marked failed, and how long a
# pending mail waits before the beat sweep queues it again.
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=5)
OUTBOX_SWEEP_AFTER = env.int("OUTBOX_SWEEP_AFTER", default=120)
# Seconds after which a PDF still not rendered (convention, decision record) is queued again.
PDF_RENDER_REQUEUE_AFTER = env.int("PDF_RENDER_REQUEUE_AFTER", default=600)

# Celery: a broker URL runs tasks on workers; without one, tasks run in-process at once, so a
# newcomer's machine needs no Redis.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# A broker down must fail a request's publish in about a second, not hang it: the work is
# in the database and a beat sweep queues it again (see eig/dispatch.py).
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # A task taken by a worker that died (kill -9) goes back to the queue after this many
    # seconds. It must exceed every task's hard time limit and every retry countdown, or a
    # task still running or waiting would be delivered twice.
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=600),
    "socket_connect_timeout": env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0),
}
# Default limits of every task (seconds); the PDF renders and the outbox set their own.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=90)
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {
        "task": "eig.notifications.tasks.sweep_outbox",
        "schedule": 60.0,
    },
    "convention-pdf-requeue": {
        "task": "funding.tasks.requeue_unrendered_versions",
        "schedule": crontab(minute="*/5"),
    },
    "decision-record-pdf-requeue": {
        "task": "eig.jury.tasks.requeue_decision_records",
        "schedule": crontab(minute="*/5"),
    },
    "defi-draft-reminders": {
        "task": "projects.tasks.send_draft_reminders",
        # Hourly: a tick that fires twice, or a retried task, sends nothing twice because
        # every reminder is recorded before it is considered sent.
        "schedule": crontab(minute=5),
    },
    "jury-scoring-reminders": {
        "task": "eig.jury.tasks.send_scoring_reminders",
        "schedule": crontab(minute=20),
    },
    "hearing-slot-reminders": {
        # Hourly: each dossier convoked or booked on a slot within 24 hours is reminded once.
        "task": "eig.jury.tasks.send_hearing_reminders",
        "schedule": crontab(minute=50),
    },
    "convention-signature-reminders": {
        "task": "funding.tasks.send_signature_reminders",
        "schedule": crontab(minute=35, hour="8-18"),
    },
    "candidate-data-retention": {
        "task": "candidates.tasks.retention_apply",
        # Daily; a second run erases and asks nothing more (`candidates/retention.py`).
        "schedule": crontab(minute=10, hour=3),
    },
}

# How long candidates' data is kept, per purpose: the CNIL's recruitment guide (three
# months after the end of the selection; two years in the talent pool after the last
# contact, the consent asked again a month before). See candidates/retention.py.
CANDIDATE_SELECTION_RETENTION_DAYS = env.int("CANDIDATE_SELECTION_RETENTION_DAYS", default=92)
CANDIDATE_POOL_RETENTION_DAYS = env.int("CANDIDATE_POOL_RETENTION_DAYS", default=730)
CANDIDATE_RECONSENT_NOTICE_DAYS = env.int("CANDIDATE_RECONSENT_NOTICE_DAYS", default=30)

# Security: production-grade by default in production, relaxed on a developer's machine.
SESSION_COOKIE_HTTPONLY = True
# Sessions read from the cache (Redis in production), written through to the database: one
# query less on every page, nothing lost when the cache is flushed.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): scripts and styles only from our own files, never
# inline, so that injected markup cannot run. The DSFR's scripts, icons and fonts are served
# from static/ like ours; "data:" images are the DSFR's inline SVG icons in its CSS. The
# browser tests fail on any violation (tests/browser/conftest.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        # 'report-sample' puts the first characters of blocked code in violation reports.
        "script-src": [SELF, "'report-sample'"],
        "style-src": [SELF, "'report-sample'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Permissions-Policy (eig.security): the platform needs no device or sensor; refusing them
# all means that a script that slips in cannot ask for them either.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^sante/$"]  # the containers' health check speaks plain HTTP
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Demo accounts (see `manage.py load_demo`) are refused in production.
DEMO_ALLOWED = not PRODUCTION

ADMINS = [("Équipe EIG", a) for a in env.list("DJANGO_ADMINS", default=[])]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # pgserver logs every start and stop of the embedded database at INFO, even at exit.
        "pgserver": {"level": "WARNING"},
        # WeasyPrint narrates every rendering step at INFO; the worker log needs only problems.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
