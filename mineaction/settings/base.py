"""Settings shared by every environment, read from the process environment (or `.env`).

Every variable is documented in `.env.example`. A bad value stops start-up with
`ImproperlyConfigured` rather than running on a guess.
"""

import datetime
from pathlib import Path
from zoneinfo import available_timezones

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


class _SecretFiles(environ.FileAwareMapping):
    """`NAME_FILE` (a Docker or Kubernetes secret mounted as a file) gives NAME's value, without the
    file's final newline; otherwise NAME as usual."""

    def __getitem__(self, key):
        value = super().__getitem__(key)
        return value.rstrip("\r\n") if self.env.get(f"{key}_FILE") else value


env = environ.Env()
env.ENVIRON = _SecretFiles()
# A local `.env` is a convenience for `make run`; real deployments pass the environment.
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=True):
    env.read_env(BASE_DIR / ".env", overwrite=False)


def _bool(name: str, *, default: bool) -> bool:
    # django-environ reads any unknown word as False; a typo must not switch DEBUG off silently.
    raw = env.str(name, default=str(default)).strip().lower()
    if raw not in {"true", "false", "1", "0", "yes", "no", "on", "off"}:
        raise ImproperlyConfigured(f"{name} must be True or False, not {raw!r}")
    return raw in {"true", "1", "yes", "on"}


def _required_url(name: str, schemes: tuple[str, ...], default: str) -> str:
    value = env.str(name, default=default)
    if value.split("://", 1)[0] not in schemes:
        raise ImproperlyConfigured(f"{name} must start with one of {', '.join(s + '://' for s in schemes)}")
    return value


def _date(name: str, *, default: str) -> datetime.date:
    raw = env.str(name, default=default).strip()
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a date as YYYY-MM-DD, not {raw!r}") from None


SECRET_KEY = env.str("SECRET_KEY")
DEBUG = _bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_gis",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "rest_framework.authtoken",
    # An optional second factor (TOTP) for the authority's staff (accounts.second_factor).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_celery_beat",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    # Locks an account or an address after repeated failed logins, on every login form.
    "axes",
    # The Content-Security-Policy header of every answer (CONTENT_SECURITY_POLICY below).
    "csp",
    "core",
    "accounts",
    "reference",
    "hazards",
    "incidents",
    "education",
    "assistance",
    "community",
    "demo",
    "quality",
    "dashboard",
    "gis",
    "reports",
    "field",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # After the language is chosen (its answers are translated), before anything reads the request.
    "core.middleware.APIRequestGuardMiddleware",
    # A view that lost the database answers 503 (JSON for the API), never 500.
    "core.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every change made through a page is recorded with its user and URL.
    "pghistory.middleware.HistoryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: it answers a locked-out login with its own page.
    "axes.middleware.AxesMiddleware",
]
# A read changes nothing to record: without GET here, pghistory does not prepend its context to
# every statement of every read (a tenth of the time of an API page in Python).
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

ROOT_URLCONF = "mineaction.urls"
WSGI_APPLICATION = "mineaction.wsgi.application"
ASGI_APPLICATION = "mineaction.asgi.application"

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
                "django.template.context_processors.i18n",
                "core.pages.navigation",
                "gis.context.map_settings",
            ],
        },
    },
]

DATABASE_URL = _required_url(
    "DATABASE_URL",
    ("postgis",),
    "postgis://mineaction:mineaction@127.0.0.1:5432/mineaction",
)
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# PostGIS functions declare high costs, so PostgreSQL JIT-compiles queries that run in
# milliseconds: compiling took 1.7 of 2.2 s of the map's national box of a million incidents.
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
# A pool of open connections per process (psycopg_pool), for the web service: gunicorn.conf.py sets
# one connection per thread. A request then takes a connection already open, checked first (one a
# PostgreSQL restart broke is discarded and replaced, never handed out), instead of opening one;
# only the requests caught by the restart answer 503 (tests/faults). Celery's forked workers keep
# their own connections (DATABASE_POOL_SIZE 0).
DATABASE_POOL_SIZE = env.int("DATABASE_POOL_SIZE", default=0)
if DATABASE_POOL_SIZE:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": 1,
        "max_size": DATABASE_POOL_SIZE,
        # Each connection is checked as it is taken (CONN_HEALTH_CHECKS above). While PostgreSQL is
        # down a request waits this long for the pool's reconnection, then answers 503.
        "timeout": env.int("DATABASE_POOL_TIMEOUT", default=10),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Every door that sets a password (admin, password change page, createsuperuser, changepassword,
# ensure_superuser) asks these; 12 characters at least, as the national authority's accounts read
# casualty identities.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# French first: the national authority works in French; English for partners. Spanish,
# Portuguese and Arabic (right to left) let other countries' authorities run it in theirs.
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="fr")
LANGUAGES = [
    ("fr", _("French")),
    ("en", _("English")),
    ("es", _("Spanish")),
    ("pt", _("Portuguese")),
    ("ar", _("Arabic")),
]
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured(f"LANGUAGE_CODE must be one of {', '.join(dict(LANGUAGES))}")
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Africa/Bamako")
if TIME_ZONE not in available_timezones():
    raise ImproperlyConfigured(f"TIME_ZONE {TIME_ZONE!r} is not an IANA time zone name")
USE_I18N = True
USE_TZ = True

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# django-axes first, so that a locked account or address is refused before its password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.AccountBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
# Each criterion locks on its own: one account tried from many addresses, or one address trying many accounts.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
# Lockouts are still logged as warnings; every successful login is not.
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_USERNAME_CALLABLE = "accounts.backends.attempted_username"
# Behind a reverse proxy every request comes from the proxy's address: the client's is the last
# one the proxy appended to X-Forwarded-For. Direct connections (the default) trust no header.
if _bool("BEHIND_PROXY", default=False):
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
    AXES_IPWARE_PROXY_COUNT = 1

# Seconds the dashboard keeps its figures per reader's scope, filters and language; every write
# through the services starts new ones at once. 0: computed for every page.
DASHBOARD_CACHE_SECONDS = env.int("DASHBOARD_CACHE_SECONDS", default=600)

# The map's background tiles, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png; empty: none,
# the map draws only the boundaries, hazards and incidents of our own database (works offline).
MAP_TILE_URL = env.str("MAP_TILE_URL", default="")
MAP_TILE_ATTRIBUTION = env.str("MAP_TILE_ATTRIBUTION", default="")


def _tile_source(url: str) -> list[str]:
    # The origin of the tile URL for img-src; a {a-c} subdomain template becomes CSP's leftmost wildcard.
    if not url:
        return []
    scheme, _sep, rest = url.partition("://")
    host = rest.split("/", 1)[0]
    labels = host.split(".")
    if "{" in labels[0]:
        labels[0] = "*"
    if scheme not in {"http", "https"} or not host or "{" in ".".join(labels):
        raise ImproperlyConfigured(
            "MAP_TILE_URL must be an http(s) URL whose host is fixed, or templated only in its first label "
            f"(https://{{a-c}}.tile.example.org/{{z}}/{{x}}/{{y}}.png), not {url!r}"
        )
    return [f"{scheme}://{'.'.join(labels)}"]


# No inline script anywhere: every page's script is a static file, and the data a page hands its
# script is JSON (`json_script`), which the browser never runs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # Style attributes and <style> blocks stay allowed: the map legend's swatches take their colour
        # from the layer configuration, a few pages and Swagger UI's page carry a <style> block, and
        # OpenLayers and Chart.js size their elements with inline styles. A style cannot run script.
        "style-src": ["'self'", "'unsafe-inline'"],
        # data: for the small SVG icons the admin's and Swagger UI's style sheets embed.
        "img-src": ["'self'", "data:", *_tile_source(MAP_TILE_URL)],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default="") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Celery: JSON only, bounded tasks, and a task is acknowledged after it ran so a worker
# that dies mid-task hands it to another.
CELERY_BROKER_URL = _required_url("CELERY_BROKER_URL", ("redis", "rediss"), "redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or CELERY_BROKER_URL
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
if CELERY_TASK_SOFT_TIME_LIMIT >= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured("CELERY_TASK_SOFT_TIME_LIMIT must be lower than CELERY_TASK_TIME_LIMIT")
# Redis hands a task whose whole worker died (SIGKILL, lost host) to another worker after this many
# seconds. Longer than the hard time limit, or a task still running would be delivered twice.
BROKER_VISIBILITY_TIMEOUT = int(env.str("CELERY_VISIBILITY_TIMEOUT", default="") or 2 * CELERY_TASK_TIME_LIMIT)
if BROKER_VISIBILITY_TIMEOUT <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured("CELERY_VISIBILITY_TIMEOUT must be longer than CELERY_TASK_TIME_LIMIT")
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": BROKER_VISIBILITY_TIMEOUT}

# The name an authenticator app shows beside the code.
OTP_TOTP_ISSUER = "Mine Action IMS"

# Days an API token opens the API after it was issued (accounts.authentication).
API_TOKEN_DAYS = env.int("API_TOKEN_DAYS", default=90)
if API_TOKEN_DAYS < 1:
    raise ImproperlyConfigured("API_TOKEN_DAYS must be at least 1")

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Token first: an anonymous request gets 401 with a WWW-Authenticate header.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.JSONParser"],
    # `?format=geojson` wins over a GIS client's own Accept header (core.api.negotiation).
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "core.api.negotiation.ExplicitFormatNegotiation",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.RecordPagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
    # Per account at the "user" rate, or per organisation at its own rate (accounts.models.ApiQuota).
    "DEFAULT_THROTTLE_CLASSES": [
        "accounts.throttling.OrganisationRateThrottle",
        "rest_framework.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env.str("API_THROTTLE_USER", default="6000/hour"),
        "anon": env.str("API_THROTTLE_ANON", default="120/hour"),
        "token": env.str("API_THROTTLE_TOKEN", default="20/minute"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# Throttling counts requests across every web process: the cache lives in Redis. Unreachable,
# it fails open (core.cache): a read is a miss, a write is skipped, no request fails for it.
CACHES = {
    "default": {
        "BACKEND": "core.cache.FailOpenRedisCache",
        "LOCATION": env.str("CACHE_URL", default="redis://127.0.0.1:6379/1"),
        "KEY_PREFIX": "mineaction",
    }
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Mine Action IMS API",
    "DESCRIPTION": "National mine action information management system: hazards, land release, "
    "incidents and casualties, risk education, victim assistance.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.add_common_responses",
    ],
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "OrdnanceCategoryEnum": "reference.models.OrdnanceCategory",
        "CasualtyOutcomeEnum": "incidents.models.Casualty.Outcome",
        "AssistanceOutcomeEnum": "assistance.models.AssistanceService.Outcome",
        "CommunityReportOutcomeEnum": "community.models.CommunityReport.Outcome",
        "RecordStatusEnum": "core.models.RecordStatus",
        # Counted and reported contamination types share one enum (one class in generated clients).
        "ContaminationTypesEnum": "hazards.models.ContaminationType",
        "WorkflowActionEnum": "core.workflow.ACTIONS",
    },
    # Swagger UI and its assets come from the sidecar package: no CDN on slow links.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# Debian 12 ships GDAL 3.6, which cannot block network access from spatial references;
# GDAL here only reads files an administrator names on the command line.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

# Reconciliation: incidents probably the same event, hazards overlapping an open one.
RECONCILIATION_DAYS = env.int("RECONCILIATION_DAYS", default=3)
RECONCILIATION_DISTANCE_M = env.int("RECONCILIATION_DISTANCE_M", default=5000)
HAZARD_OVERLAP_THRESHOLD = env.float("HAZARD_OVERLAP_THRESHOLD", default=0.5)
# Casualty identities older than this are pseudonymised by `pseudonymise_identities`.
IDENTITY_RETENTION_YEARS = env.int("IDENTITY_RETENTION_YEARS", default=10)
# Event dates (incidents, surveys, activities, sessions, reports) before this day are refused
# as typing mistakes (year 1, 1800): no mine action record is that old.
PLAUSIBLE_DATE_FLOOR = _date("PLAUSIBLE_DATE_FLOOR", default="1940-01-01")

# generate_demo_data writes invented records: refused where this is False (production).
DEMO_DATA_ALLOWED = _bool("DEMO_DATA_ALLOWED", default=True)

# The country this installation serves (ISO 3166-1 alpha-2); its boundaries come from
# reference data files, never from code.
COUNTRY_ISO = env.str("COUNTRY_ISO", default="ML").strip().upper()
if len(COUNTRY_ISO) != 2 or not COUNTRY_ISO.isalpha() or not COUNTRY_ISO.isascii():
    raise ImproperlyConfigured(f"COUNTRY_ISO must be an ISO 3166-1 alpha-2 code such as ML, not {COUNTRY_ISO!r}")
# Its data folder (manifest.json: levels, authority, language, extent, files to load); a relative
# path starts at the project folder. The manifest is checked at start-up (check reference.E001).
COUNTRY_DATA_DIR = BASE_DIR / (env.str("COUNTRY_DATA_DIR", default="").strip() or f"reference/data/{COUNTRY_ISO}")
# Metres within which a point or polygon just outside the country is accepted, placed in the
# nearest area and listed by the quality report; 0 refuses anything outside.
try:
    BORDER_TOLERANCE_M = float(env.str("BORDER_TOLERANCE_M", default="0"))
except ValueError:
    raise ImproperlyConfigured("BORDER_TOLERANCE_M must be a number of metres, e.g. 500") from None
if not 0 <= BORDER_TOLERANCE_M <= 100_000:
    raise ImproperlyConfigured("BORDER_TOLERANCE_M must lie between 0 and 100000 metres")

# Exports of filtered lists (reports): files are written here by workers and deleted once expired.
EXPORT_ROOT = Path(env.str("EXPORT_ROOT", default="") or BASE_DIR / "var" / "exports")
EXPORT_EXPIRY_HOURS = env.int("EXPORT_EXPIRY_HOURS", default=24)
# Files brought in for import (field), kept with their import; and what field submissions carry
# (photos), kept with the submission. Web and worker services must share both folders.
IMPORT_ROOT = Path(env.str("IMPORT_ROOT", default="") or BASE_DIR / "var" / "imports")
FIELD_ATTACHMENT_ROOT = Path(env.str("FIELD_ATTACHMENT_ROOT", default="") or BASE_DIR / "var" / "field")
# Largest file an import accepts (bytes); a national file of 100,000 incidents is about 20 MB.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=200 * 1024 * 1024)
# True: the aggregated open data (/api/v1/open-data/, HXL-tagged CSV) is readable without an account.
OPEN_DATA_PUBLIC = _bool("OPEN_DATA_PUBLIC", default=False)
if EXPORT_EXPIRY_HOURS < 1:
    raise ImproperlyConfigured("EXPORT_EXPIRY_HOURS must be at least 1")
# An export's status is its own enum in generated clients, not the records' workflow status.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["ExportStatusEnum"] = "reports.models.Export.Status"
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["ImportRecordTypeEnum"] = "field.models.IMPORT_TYPES"
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["ImportStatusEnum"] = "field.models.RecordImport.Status"
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["ImportRowActionEnum"] = "field.models.ImportRow.Action"
