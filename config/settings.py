"""Ardoise settings: one module, every value from the environment through typed helpers.

An integration switches on when its credentials are present (EMAIL_HOST; the payment providers'
credentials are per shop, in Settings → Online payment, encrypted with ENCRYPTION_KEYS). Nothing
secret lives here: in production SECRET_KEY and ENCRYPTION_KEYS must be set, and DEBUG defaults
to off.
"""

import sys
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.database import database_from_url, sqlite_database
from config.env import env_bool, env_int, env_list, env_path, env_str, fernet_key

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = env_path("ARDOISE_VAR_DIR", BASE_DIR / "var")
VAR_DIR.mkdir(parents=True, exist_ok=True)  # the SQLite file, uploads and mail files live here

DEBUG = env_bool("DEBUG", default=False)
# Under pytest the suite runs with fast hashing and an insecure key; nowhere else.
TESTING = env_bool("ARDOISE_TESTING", default="pytest" in sys.modules)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "ardoise.core",
    "ardoise.audit",
    "ardoise.shops",
    "ardoise.customers",
    "ardoise.ledger",
    "ardoise.invoicing",
    "ardoise.payments",
    "ardoise.statements",
    "ardoise.exports",
    "ardoise.api",
    "ardoise.staff",
    "ardoise.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "ardoise.core.security.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "ardoise.staff.middleware.MemberLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "ardoise.api.middleware.ApiAuditMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ardoise.staff.context.member",
            ],
        },
    }
]

DATABASE_URL = env_str("DATABASE_URL")
DATABASES = {
    "default": database_from_url(DATABASE_URL)
    if DATABASE_URL
    else sqlite_database(VAR_DIR / "ardoise.sqlite3")
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "shops.User"
LOGIN_URL = "staff:login"
LOGIN_REDIRECT_URL = "staff:home"
LOGOUT_REDIRECT_URL = "staff:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 12)
BEHIND_HTTPS_PROXY = env_bool("BEHIND_HTTPS_PROXY", default=False)
# Trusted reverse proxies in front of the app (ardoise/shops/addresses.py): the client address
# is read from X-Forwarded-For that many hops from the right.
PROXY_COUNT = env_int("PROXY_COUNT", 1 if BEHIND_HTTPS_PROXY else 0)
if BEHIND_HTTPS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 30)
    # A shop's Ardoise runs on a host of its own: HTTPS only, subdomains included. Set both to 0
    # if another site of the domain still serves plain HTTP.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=not DEBUG and not TESTING)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_HTTPONLY = True

LANGUAGE_CODE = env_str("LANGUAGE_CODE", "fr")
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
TIME_ZONE = env_str("TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]
# English dates day-first, as a shop in France writes them (config/formats/en/formats.py).
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "static/"
STATIC_ROOT = env_path("STATIC_ROOT", BASE_DIR / "staticfiles")
MEDIA_ROOT = env_path("MEDIA_ROOT", VAR_DIR / "media")
MEDIA_URL = "media/"

# Email: SMTP when EMAIL_HOST is set; otherwise messages are written as files under var/mail.
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=EMAIL_PORT == 587)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=False)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Ardoise <ardoise@localhost>")

# Background tasks: a database-backed queue, run by `manage.py db_worker`.
TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# Secrets stored in the database (the payment providers' API keys and webhook signing secrets)
# are encrypted with Fernet keys from the environment (ardoise/core/encryption.py): the first
# key encrypts, every key decrypts, so a new key is put first, `manage.py rotate_encryption`
# re-encrypts every stored secret with it, and then the old one is removed.
ENCRYPTION_KEYS = env_list("ENCRYPTION_KEYS", [])
if not ENCRYPTION_KEYS:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured(
            "ENCRYPTION_KEYS must be set when DEBUG is off (generate one with "
            "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key()"
            ".decode())'`)"
        )
    # Development only: a fixed key, so that secrets saved by `make run` survive a restart.
    ENCRYPTION_KEYS = ["YXJkb2lzZS1kZXZlbG9wbWVudC1rZXktbm90LXByb2Q="]
for _key in ENCRYPTION_KEYS:
    if not fernet_key(_key):
        raise ImproperlyConfigured(
            "each of ENCRYPTION_KEYS must be a Fernet key (32 bytes, URL-safe base64)"
        )

# Every outbound HTTP call (the payment providers) goes through ardoise/core/http.py: this
# timeout, and at most HTTP_RETRIES more attempts of a request that is safe to send again.
HTTP_TIMEOUT_SECONDS = env_int("HTTP_TIMEOUT_SECONDS", 10)
HTTP_RETRIES = env_int("HTTP_RETRIES", 2)
# A provider call made while a customer's page waits (how their checkout stands, on their return
# from the provider's page): this shorter timeout and no retry, so a slow provider delays the
# page by seconds, not by HTTP_TIMEOUT_SECONDS times the attempts (core.http.while_a_page_waits).
HTTP_PAGE_TIMEOUT_SECONDS = env_int("HTTP_PAGE_TIMEOUT_SECONDS", 3)
# Where the providers' SDKs send their calls: their own APIs, or a stand-in (the tests' one).
SUMUP_API_BASE = env_str("SUMUP_API_BASE", "https://api.sumup.com").rstrip("/")
STRIPE_API_BASE = env_str("STRIPE_API_BASE", "https://api.stripe.com").rstrip("/")
# The JSON API's rate limit per key: a token bucket of API_RATE_BURST calls, refilled at
# API_RATE_PER_MINUTE (ardoise/api/auth.py); past it, 429 with Retry-After.
API_RATE_PER_MINUTE = env_int("API_RATE_PER_MINUTE", 600)
API_RATE_BURST = env_int("API_RATE_BURST", 120)
# The test payment provider approves any payment without money moving: never on by default in
# production, where a customer could otherwise mark their own statement paid.
PAYMENTS_TEST_PROVIDER = env_bool("ARDOISE_TEST_PAYMENTS", default=DEBUG or TESTING)

# WeasyPrint logs every rendering step at INFO; only its warnings matter.
_QUIET_LOGGERS = {"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": dict(_QUIET_LOGGERS),
}

if env_bool("ARDOISE_SQL_ECHO", default=False):  # pragma: no cover - debugging aid
    LOGGING["loggers"] = {**_QUIET_LOGGERS, "django.db.backends": {"level": "DEBUG"}}
