"""Maillage settings, read from environment variables.

With none set you get the embedded default: SQLite under var/, local-memory cache,
in-memory channel layer, Celery tasks run inline, e-mail printed to the console.
DATABASE_URL and REDIS_URL switch to PostgreSQL and Redis. Every variable is listed
in the README.
"""

import os
import re
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("MAILLAGE_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    """A boolean variable; anything but a clear yes or no is an error, not False."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [])
if DEBUG:
    SECRET_KEY = SECRET_KEY or "insecure-embedded-default-key-change-me-in-production"
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "testserver", "[::1]"]
elif not SECRET_KEY or not ALLOWED_HOSTS:
    raise ImproperlyConfigured("With DEBUG off, set SECRET_KEY and ALLOWED_HOSTS.")
# The public address of this server: units and content get stable absolute URIs from it.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "treebeard",
    "django_htmx",
    "channels",
    "members",
    "federation",
    "organising.apps.OrganisingConfig",  # the API's strict string fields
    "organising.audit",
    "organising.messaging",
    "organising.dues",
    "organising.agenda",
    "organising.contacts",
    "organising.petitions",
    "organising.documents",
    "organising.votes",
    "organising.demo",  # seed_demo: above every other app
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "organising.hardening.NulByteMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, refusing a cached session whose row is gone (organising.sessions).
    "organising.sessions.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Refuses too large uploads before anything reads them (organising/files.py).
    "organising.files.UploadSizeLimitMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # The site's 404 page, not Django's debug page, under DEBUG too (organising/errors)
    "organising.errors.SiteNotFoundMiddleware",
    "organising.ratelimits.RateLimitMiddleware",
    "organising.hardening.PrivateCacheMiddleware",
]

if not DEBUG:  # in development runserver serves static files itself
    MIDDLEWARE.insert(2, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = os.environ.get("MAILLAGE_ROOT_URLCONF", "organising.urls")
WSGI_APPLICATION = "organising.wsgi.application"
ASGI_APPLICATION = "organising.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "members.context_processors.navigation",
            ],
        },
    }
]

# Databases: SQLite under var/ unless DATABASE_URL names another (PostgreSQL).
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60)
        )
    }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "maillage.sqlite3",
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: cache, channel layer and Celery broker. Without it everything stays in process.
REDIS_URL = os.environ.get("REDIS_URL", "")
# The Celery broker apart from the cache: the cache's Redis runs without persistence
# (docker-compose.yml), queued tasks must survive a restart.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
# A cache call that does not answer within this many milliseconds is a miss, and the
# cache is left alone for the rest of the request (organising.cached). Redis answers
# in well under a millisecond; 25 ms timed out now and then on a 2-core machine
# shared by a busy test suite, hence the margin.
CACHE_TIMEOUT_MS = env_int("CACHE_TIMEOUT_MS", 100)


def _release() -> str:
    """Cache keys change with each release (the package version and the commit, or
    MAILLAGE_RELEASE): a new release never reads what an old one stored."""
    if os.environ.get("MAILLAGE_RELEASE"):
        return os.environ["MAILLAGE_RELEASE"]
    from importlib import metadata

    try:
        release = metadata.version("maillage")
    except metadata.PackageNotFoundError:
        release = "0"
    head = BASE_DIR / ".git" / "HEAD"
    try:
        ref = head.read_text().strip()
        if ref.startswith("ref: "):
            ref = (BASE_DIR / ".git" / ref[5:]).read_text().strip()
        release += "-" + ref[:12]
    except OSError:
        pass
    return release


if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "organising.cached.ForgivingRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": _release(),
            "OPTIONS": {
                "socket_connect_timeout": CACHE_TIMEOUT_MS / 1000,
                "socket_timeout": CACHE_TIMEOUT_MS / 1000,
            },
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
    CELERY_RESULT_BACKEND = CELERY_BROKER_URL  # kept an hour: callers may wait on them
    CELERY_RESULT_EXPIRES = 3600
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CELERY_BROKER_URL = CELERY_BROKER_URL or "memory://"
    CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL == "memory://"
# A broker that does not answer fails a publish within about a second instead of
# retrying for 20 (organising.queueing logs it; the work is found again later).
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 1,
    "socket_timeout": 2,
    "max_retries": 0,
}
CELERY_TASK_PUBLISH_RETRY = False
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 1
CELERY_REDIS_SOCKET_TIMEOUT = 2
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TIMEZONE = "Europe/Paris"
CELERY_BEAT_SCHEDULE: dict = {}
# Messaging: e-mail what stayed unread (members choose immediate, daily or none).
CELERY_BEAT_SCHEDULE["messaging-email-immediate"] = {
    "task": "organising.messaging.tasks.email_unread_notifications",
    "schedule": 300.0,
    "kwargs": {"frequency": "immediate"},
}
CELERY_BEAT_SCHEDULE["messaging-email-daily"] = {
    "task": "organising.messaging.tasks.email_unread_notifications",
    "schedule": crontab(hour=7, minute=0),
    "kwargs": {"frequency": "daily"},
}
# Join requests waiting JOIN_REMINDER_DAYS days: their officers are reminded once.
CELERY_BEAT_SCHEDULE["members-join-reminders"] = {
    "task": "members.tasks.join_reminders_task",
    "schedule": crontab(hour=9, minute=15),
}
JOIN_REMINDER_DAYS = env_int("JOIN_REMINDER_DAYS", 3)
# Seconds between two checks that a live socket's session or token is still valid.
MESSAGING_WS_RECHECK_SECONDS = env_int("MESSAGING_WS_RECHECK_SECONDS", 60)
# Seconds between two checks that a live socket's channel layer answers (after an
# outage the socket resubscribes from the database).
MESSAGING_WS_LAYER_CHECK_SECONDS = env_int("MESSAGING_WS_LAYER_CHECK_SECONDS", 15)
# Agenda: the day-before reminders (each answer reminded once, by a marker row).
CELERY_BEAT_SCHEDULE["agenda-reminders"] = {
    "task": "organising.agenda.tasks.reminders_send_task",
    "schedule": 900.0,
}
# Petitions: unconfirmed signatures whose link expired are deleted (the signer's data
# kept no longer than the link).
CELERY_BEAT_SCHEDULE["petitions-purge"] = {
    "task": "organising.petitions.tasks.signatures_purge_task",
    "schedule": 3600.0,
}
# Votes: open and close on time (a sweep every minute; each vote locked as it changes).
CELERY_BEAT_SCHEDULE["votes-sweep"] = {
    "task": "organising.votes.tasks.votes_sweep_task",
    "schedule": 60.0,
}
# Dues: call each period's dues, remind late members (once per period), and send
# treasurers their monthly summary. Every job is safe to run twice.
CELERY_BEAT_SCHEDULE["dues-charges"] = {
    "task": "organising.dues.tasks.charges_issue_task",
    "schedule": crontab(hour=2, minute=30),
}
CELERY_BEAT_SCHEDULE["dues-reminders"] = {
    "task": "organising.dues.tasks.reminders_send_task",
    "schedule": crontab(hour=10, minute=0),
}
CELERY_BEAT_SCHEDULE["dues-treasurer-summaries"] = {
    "task": "organising.dues.tasks.treasurer_summaries_task",
    "schedule": crontab(day_of_month=1, hour=7, minute=30),
}
# Direct debits enter the ledger on their collection date.
CELERY_BEAT_SCHEDULE["dues-debits-collect"] = {
    "task": "organising.dues.tasks.debits_collect_task",
    "schedule": crontab(hour=6, minute=0),
}
# Dues: who issues the tax receipts and who collects direct debits (SEPA creditor).
DUES_RECEIPT_ISSUER = os.environ.get(
    "DUES_RECEIPT_ISSUER", "Association de financement du parti"
)
# Receipts are refused until both are set (a fictitious address in development).
DUES_RECEIPT_ISSUER_ADDRESS = os.environ.get(
    "DUES_RECEIPT_ISSUER_ADDRESS",
    "1 rue de la Démonstration\n75011 Paris" if DEBUG else "",
).replace("\\n", "\n")
# What a person may give (dues and gifts) to political parties in a year (art. 11-4
# of the law of 11 March 1988), and how early members hear of a direct debit.
DUES_YEARLY_CEILING_CENTS = env_int("DUES_YEARLY_CEILING_CENTS", 750_000)
DUES_SEPA_PRENOTIFICATION_DAYS = env_int("DUES_SEPA_PRENOTIFICATION_DAYS", 14)
# In development a fictitious creditor lets the demo show direct debits.
_DEMO_CREDITOR = {
    "NAME": "Association de financement (démo)",
    "IBAN": "FR7630004000031234567890143",
    "BIC": "BNPAFRPPXXX",
    "ID": "FR72ZZZ123456",
}
DUES_SEPA_CREDITOR_NAME, DUES_SEPA_CREDITOR_IBAN, DUES_SEPA_CREDITOR_BIC = (
    os.environ.get(f"DUES_SEPA_CREDITOR_{key}", _DEMO_CREDITOR[key] if DEBUG else "")
    for key in ("NAME", "IBAN", "BIC")
)
DUES_SEPA_CREDITOR_ID = os.environ.get(
    "DUES_SEPA_CREDITOR_ID", _DEMO_CREDITOR["ID"] if DEBUG else ""
)
DUES_REMINDER_GRACE_DAYS = env_int("DUES_REMINDER_GRACE_DAYS", 7)

AUTH_USER_MODEL = "members.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
_VALIDATORS = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_VALIDATORS}.UserAttributeSimilarityValidator"},
    {
        "NAME": f"{_VALIDATORS}.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": f"{_VALIDATORS}.CommonPasswordValidator"},
    {"NAME": f"{_VALIDATORS}.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# django-allauth: e-mail is the login; its rate limits stay on (they use the cache).
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = os.environ.get("ACCOUNT_EMAIL_VERIFICATION", "mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_ADAPTER = "members.adapters.AccountAdapter"
ACCOUNT_RATE_LIMITS = {
    # Per network (10 a minute), and per account *from one network* in growing
    # windows (3 a minute, 6 in 10 minutes, 10 an hour): never a lock-out of the
    # account itself (members.adapters).
    "login_failed": "10/m/ip,3/m/key,6/10m/key,10/h/key",
    "login": "30/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "signup": "20/m/ip",
    "change_password": "5/m/user",
}
# Behind nginx the client is the last X-Forwarded-For hop (allauth's and our limits).
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# Rate limits on what people or bots can repeat (organising/ratelimits.py): per member
# and per client network (IPv4 /24, IPv6 /64); "n/m" per minute, h hour, d day, and
# several windows all apply. RATE_LIMIT_<ACTION> / RATE_LIMIT_<ACTION>_NETWORK override.
RATE_LIMITS = {
    "post": "10/m,100/h",
    "reply": "20/m,300/h",
    "message": "30/m,500/h",
    "conversation": "10/m,60/h",
    "reaction": "60/m,1000/h",
    "mention": "30/m,150/h",  # people notified by @mentions
    "invitation": "30/h,200/d",
    # Contacts typed in or imported by a member (organising/contacts).
    "contact": "60/m,1000/h",
    "contact_import": "20/h",
    "ballot": "30/m,300/h",  # votes: casting and changing ballots
    # Petition signatures by anonymous visitors: per client address, and e-mails
    # sent to one address (confirmation links asked again and again).
    "petition_sign": "10/m,60/h",
    "petition_email": "3/h,6/d",
}
RATE_LIMITS_NETWORK = {
    "post": "60/m",
    "reply": "120/m",
    "message": "200/m",
    "conversation": "60/m",
    "reaction": "400/m",
    "mention": "200/m",
    "invitation": "300/h",
    "contact": "300/m",
    "contact_import": "60/h",
    "ballot": "600/m",  # votes: a meeting room shares one network
    "petition_sign": "120/m,2000/h",
    "petition_email": "",
}
_RATE = re.compile(r"\s*\d+\s*/\s*\d*\s*[smhd]\s*")
for _action in RATE_LIMITS:
    for _name, _limits in (
        (f"RATE_LIMIT_{_action.upper()}", RATE_LIMITS),
        (f"RATE_LIMIT_{_action.upper()}_NETWORK", RATE_LIMITS_NETWORK),
    ):
        _limits[_action] = os.environ.get(_name, _limits[_action])
        _rates = [r for r in _limits[_action].split(",") if r.strip()]
        if not all(_RATE.fullmatch(r) for r in _rates):
            raise ImproperlyConfigured(f"{_name}: write rates like 10/m,100/h")

# Petitions (organising/petitions): hours a confirmation link stays valid; at most so
# many unconfirmed signatures per e-mail domain in an hour (a script inventing
# addresses at one domain), that many times more at the large providers below.
PETITION_CONFIRM_HOURS = env_int("PETITION_CONFIRM_HOURS", 72)
PETITION_UNCONFIRMED_PER_DOMAIN_HOUR = env_int(
    "PETITION_UNCONFIRMED_PER_DOMAIN_HOUR", 200
)
PETITION_LARGE_PROVIDER_FACTOR = env_int("PETITION_LARGE_PROVIDER_FACTOR", 50)
PETITION_LARGE_EMAIL_PROVIDERS = frozenset(
    env_list(
        "PETITION_LARGE_EMAIL_PROVIDERS",
        [
            *("gmail.com", "orange.fr", "wanadoo.fr", "free.fr", "sfr.fr"),
            *("laposte.net", "hotmail.com", "hotmail.fr", "outlook.com"),
            *("outlook.fr", "live.fr", "yahoo.com", "yahoo.fr", "icloud.com"),
            *("proton.me", "protonmail.com", "gmx.fr", "bbox.fr", "neuf.fr"),
        ],
    )
)

MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Maillage"
# Tracking every request would cost a database write per page; the session list still
# shows where and when each session started.
USERSESSIONS_TRACK_ACTIVITY = False

# E-mail: printed to the console in development; SMTP (EMAIL_HOST, default localhost)
# with DEBUG off or whenever EMAIL_HOST is set.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "" if DEBUG else "localhost")
if EMAIL_HOST:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": EMAIL_HOST,
                "port": env_int("EMAIL_PORT", 587),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", True),
            },
        }
    }
elif os.environ.get("EMAIL_FILE_PATH"):
    # Every message written to a file in that folder (tests of real worker processes).
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": os.environ["EMAIL_FILE_PATH"]},
        }
    }
else:
    # Printed readable (8-bit, decoded headers): links can be copied from the console.
    MAILERS = {"default": {"BACKEND": "organising.mail.ReadableConsoleBackend"}}
del EMAIL_HOST  # deprecated setting name in Django 6.1: MAILERS replaces it
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "Maillage <noreply@localhost>"
)

# Internationalisation: French first, English available.
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates as each language writes them ("2 déc. 2026 à 00 h 04", "2 Dec 2026, 00:04").
FORMAT_MODULE_PATH = ["organising.formats"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
# Uploaded files are never served at a public address: a view checks access, then
# Django streams the file, nginx sends it (X-Accel-Redirect to an internal location)
# or the S3-compatible storage does (a redirect to a URL signed for a minute).
MEDIA_URL = "/media/"  # no URL serves it; Django's FileSystemStorage wants one
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
if AWS_STORAGE_BUCKET_NAME:
    _MEDIA_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "location": os.environ.get("AWS_LOCATION", ""),
            "signature_version": "s3v4",
            "querystring_auth": True,
            "file_overwrite": False,
            "default_acl": None,  # objects stay private: only signed URLs read them
        },
    }
else:
    _MEDIA_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _MEDIA_STORAGE,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_SERVE = os.environ.get(
    "MEDIA_SERVE",
    "s3" if AWS_STORAGE_BUCKET_NAME else ("django" if DEBUG else "x-accel"),
)
if MEDIA_SERVE not in ("django", "x-accel", "s3"):
    raise ImproperlyConfigured(
        f"MEDIA_SERVE must be django, x-accel or s3, not {MEDIA_SERVE!r}"
    )
if MEDIA_SERVE == "s3" and not AWS_STORAGE_BUCKET_NAME:
    raise ImproperlyConfigured("MEDIA_SERVE=s3 needs AWS_STORAGE_BUCKET_NAME.")
MEDIA_ACCEL_PREFIX = "/protected-media/"  # nginx's internal location (deploy/)
MEDIA_URL_EXPIRE_SECONDS = env_int("MEDIA_URL_EXPIRE_SECONDS", 60)
# Uploads: a request announcing more is refused before it is read (413); a file past
# UPLOAD_MAX_FILE_BYTES stops being stored while it arrives (its field says so).
UPLOAD_MAX_FILE_BYTES = 10 * 1024 * 1024
UPLOAD_MAX_REQUEST_BYTES = 41 * 1024 * 1024  # four images; nginx: client_max_body_size
FILE_UPLOAD_HANDLERS = [
    "organising.files.CappedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024  # the fields other than files

# Security: the deploy checks pass with DEBUG off.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 14 * 24 * 3600
# Every signed-in page reads the session: from the cache (Redis), written through to
# the database, which keeps it when the cache loses it or is down.
SESSION_ENGINE = "organising.sessions"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}


def map_tiles_source(url: str) -> str:
    """The CSP source of a tile server's URL template ({s} subdomains: a wildcard),
    or ImproperlyConfigured when it is not an http(s) template with {z}, {x}, {y}."""
    from urllib.parse import urlsplit

    from django.core.exceptions import ImproperlyConfigured

    parts = urlsplit(url)
    host = parts.netloc.replace("{s}", "*")
    if (
        parts.scheme not in ("https", "http")
        or not host
        or not all(key in url for key in ("{z}", "{x}", "{y}"))
        or any(c in host for c in "{}@ ;,'\"")
    ):
        raise ImproperlyConfigured(
            "MAP_TILES_URL must be an http(s) URL template with {z}, {x} and {y}, "
            "e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png"
        )
    return f"{parts.scheme}://{host}"


# Agenda: the map of events near me (Leaflet, served from static/). Empty: no map,
# the list alone, and the CSP allows no tile host.
MAP_TILES_URL = os.environ.get("MAP_TILES_URL", "").strip()
MAP_TILES_ATTRIBUTION = os.environ.get(
    "MAP_TILES_ATTRIBUTION", "© OpenStreetMap contributors"
)
if MAP_TILES_URL:
    SECURE_CSP["img-src"].append(map_tiles_source(MAP_TILES_URL))
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "members.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "organising.api_errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Maillage API",
    "DESCRIPTION": "Organise a party inside its tree of units.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets whose field names collide across apps get names of their own.
    "ENUM_NAME_OVERRIDES": {
        "MembershipStatusEnum": "members.models.Membership.Status",
        "EventKindEnum": "organising.agenda.models.Event.Kind",
        "EventStatusEnum": "organising.agenda.models.Event.Status",
        "InteractionKindEnum": "organising.contacts.models.Interaction.Kind",
        "AmendmentKindEnum": "organising.documents.models.Amendment.Kind",
        "AmendmentStatusEnum": "organising.documents.models.Amendment.Status",
        "DocumentEditorsEnum": "organising.documents.models.Document.Editors",
        "PetitionStatusEnum": "organising.petitions.models.Petition.Status",
        "VoteKindEnum": "organising.votes.models.Vote.Kind",
        "VoteStatusEnum": "organising.votes.models.Vote.Status",
        "VoteElectorateEnum": "organising.votes.serializers.ELECTORATES",
        "AudienceEnum": "federation.models.Audience",
        "RoleKindEnum": "members.models.Role.Kind",
        "PetitionLocationEnum": "organising.petitions.models.Petition.Location",
    },
    # Every operation's error answers (400/401/403/404/429), declared in one place.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "organising.api_schema.add_error_responses",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"one_line_per_request": {"()": "organising.logs.OneLinePerRequest"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["one_line_per_request"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # Django's own console handler and the root's printed every line twice: Django's
    # loggers (the development server's line per request included) use ours only.
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
