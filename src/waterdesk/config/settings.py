"""Settings, read only from environment variables (see .env.example)."""

from datetime import timedelta
from pathlib import Path

from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from waterdesk.config.env import (
    database_from_url,
    env_bool,
    env_decimal,
    env_int,
    env_list,
    env_str,
)

SRC_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = SRC_DIR.parent.parent  # the project root, next to manage.py
VAR_DIR = Path(env_str("WATERDESK_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    # A published key would let anyone forge sessions: only a debug run may go without one.
    if not DEBUG:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it to a long random value (e.g. `openssl rand -hex 32`), "
            "or set DEBUG=1 for a development run."
        )
    SECRET_KEY = "insecure-development-key-change-me"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "rest_framework.authtoken",
    "axes",
    "csp",
    "waterdesk.core",
    "waterdesk.sla",
    "waterdesk.customers",
    "waterdesk.notify",
    "waterdesk.cases",
    "waterdesk.applications",
    "waterdesk.billing",
    "waterdesk.payments",
    "waterdesk.inquiries",
    "waterdesk.fieldwork",
    "waterdesk.repairs",
    "waterdesk.collection",
    "waterdesk.complaints",
    "waterdesk.surveys",
    "waterdesk.emergency",
    "waterdesk.quality",
    "waterdesk.invoicing",
    "waterdesk.metering",
    "waterdesk.amr",
    "waterdesk.workbench",
    "waterdesk.api",
    "waterdesk.portal",
    "waterdesk.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Settings rows (the working calendar, policies, templates) read once per request.
    "waterdesk.core.memo.RequestMemoMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "waterdesk.core.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: turns a refused login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "waterdesk.config.urls"
WSGI_APPLICATION = "waterdesk.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "waterdesk.workbench.context.workbench",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'waterdesk.sqlite3'}"), BASE_DIR
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {
        # Stricter than Django's 0.7 so that a doubled user name ("clerk2clerk2") is refused.
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"max_similarity": 0.5},
    },
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "waterdesk.core.security.CompanyWordsPasswordValidator"},
]

# Login throttling (django-axes): after N failures for one user name or from one address,
# further attempts are refused until the lockout ends or an administrator resets it
# (admin "Access attempts", or `manage.py axes_reset`). Failures are kept in the
# access-failure log.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "waterdesk.core.auth.ModelBackend",
]
WATERDESK_LOCKOUT_FAILURES = env_int("WATERDESK_LOCKOUT_FAILURES", 5)
WATERDESK_LOCKOUT_MINUTES = env_int("WATERDESK_LOCKOUT_MINUTES", 30)
AXES_ENABLED = env_bool("WATERDESK_LOCKOUT_ENABLED", True)
AXES_FAILURE_LIMIT = WATERDESK_LOCKOUT_FAILURES
AXES_COOLOFF_TIME = timedelta(minutes=WATERDESK_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "waterdesk.workbench.auth.lockout_response"
AXES_CLIENT_IP_CALLABLE = "waterdesk.core.security.client_ip"
# Reverse proxies in front of the app that append to X-Forwarded-For (0 = clients connect
# directly); the client address is the entry this many hops from the right.
WATERDESK_TRUSTED_PROXY_COUNT = env_int("WATERDESK_TRUSTED_PROXY_COUNT", 0)
# API token failures per client address before the address is refused for the lockout time.
WATERDESK_TOKEN_FAILURES = env_int("WATERDESK_TOKEN_FAILURES", WATERDESK_LOCKOUT_FAILURES)

# Staff sessions end after this many idle minutes, and when the browser closes unless the
# user ticked "remember me" at login.
WATERDESK_SESSION_IDLE_MINUTES = env_int("WATERDESK_SESSION_IDLE_MINUTES", 30)
SESSION_COOKIE_AGE = WATERDESK_SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "workbench:home"
LOGOUT_REDIRECT_URL = "login"

# Internationalisation: Simplified Chinese by default, English available.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [SRC_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"  # shown to people; the database stores UTC

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Static files. In production (DEBUG off) `collectstatic` gives each file a name with a hash
# of its content (app.3f2a1b9c0d4e.css) and writes a gzip copy beside it; pages
# link the hashed names, and WhiteNoise serves them with a year-long, immutable cache time:
# a changed file gets a new name, so browsers never keep an old one. Without running
# `collectstatic` first such a deployment cannot render a page (the manifest is missing).
# Development (`make demo`, `make run`: DEBUG=1) serves the files as they are from the apps.
# The test suite uses plain names (tests/settings.py) and checks the hashed ones in
# tests/test_security_settings.py.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Background work: Celery through Redis when REDIS_URL is set, in-process otherwise.
REDIS_URL = env_str("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "sla-sweep": {"task": "waterdesk.sla.tasks.sla_sweep", "schedule": 300.0},
    "notify-dispatch-due": {
        "task": "waterdesk.notify.tasks.notification_dispatch_due",
        "schedule": 60.0,
    },
    "applications-withdraw-stale": {
        "task": "waterdesk.applications.tasks.applications_withdraw_stale",
        "schedule": 3600.0,
    },
    "customers-search-statistics": {
        "task": "waterdesk.customers.tasks.search_statistics_refresh",
        "schedule": 600.0,
    },
    # Hourly, so that a day is not missed; each bill's notice is queued once.
    "payments-notices-due": {
        "task": "waterdesk.payments.tasks.payment_notices_send_due",
        "schedule": 3600.0,
    },
    # A sweep behind the callbacks' own kicks: nothing received waits for long.
    "payments-notifications-post": {
        "task": "waterdesk.payments.tasks.gateway_notifications_post",
        "schedule": 60.0,
    },
    # Hourly, so that a day is not missed; each day's late fees are posted once.
    "billing-late-fees-post": {
        "task": "waterdesk.billing.tasks.late_fees_post_due",
        "schedule": 3600.0,
    },
    "payments-orders-close-expired": {
        "task": "waterdesk.payments.tasks.payment_orders_close_expired",
        "schedule": 600.0,
    },
    # Hourly, so that a night is not missed; the arrears are classified once a day.
    "collection-classify-nightly": {
        "task": "waterdesk.collection.tasks.collection_classify_nightly",
        "schedule": 3600.0,
    },
    # Hourly too: the ladder climbs once a day, after the day's classification.
    "collection-ladder-nightly": {
        "task": "waterdesk.collection.tasks.collection_ladder_nightly",
        "schedule": 3600.0,
    },
    # The complaint mailbox (does nothing while WATERDESK_COMPLAINT_IMAP_HOST is unset).
    "complaints-mail-poll": {
        "task": "waterdesk.complaints.tasks.complaints_mail_poll",
        "schedule": 300.0,
    },
    # Hourly: the first run of a month sends the month's periodic satisfaction survey.
    "surveys-monthly-campaign": {
        "task": "waterdesk.surveys.tasks.surveys_monthly_campaign",
        "schedule": 3600.0,
    },
    # Every 5 minutes: each announced planned outage is reminded once before its start.
    "emergency-outage-reminders": {
        "task": "waterdesk.emergency.tasks.outage_reminders_send",
        "schedule": 300.0,
    },
    # Hourly, so that a day is not missed: each day's due samples are scheduled once.
    "quality-samples-schedule": {
        "task": "waterdesk.quality.tasks.samples_schedule_due",
        "schedule": 3600.0,
    },
    # E-invoices that failed for a temporary reason are issued again (with back-off).
    "invoicing-retry-due": {
        "task": "waterdesk.invoicing.tasks.invoices_retry_due",
        "schedule": 300.0,
    },
    # Remote-read meters: alarms (no data, reverse flow, night flow, battery) hourly, and
    # each closed cycle's billing reads once a day.
    "amr-alarms-scan": {"task": "waterdesk.amr.tasks.amr_alarms_scan", "schedule": 3600.0},
    "amr-billing-reads": {"task": "waterdesk.amr.tasks.amr_billing_reads", "schedule": 86400.0},
}
# In the embedded mode a thread in the web process runs the same periodic jobs.
WATERDESK_INPROCESS_SCHEDULER = env_bool("WATERDESK_INPROCESS_SCHEDULER", not REDIS_URL)

if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# E-mail (SMTP through Django); the console backend prints messages in development.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "waterdesk@localhost")

# Notification channels: which backend each channel uses.
WATERDESK_SMS_BACKEND = env_str("WATERDESK_SMS_BACKEND", "outbox")  # outbox | http
WATERDESK_SMS_GATEWAY_URL = env_str("WATERDESK_SMS_GATEWAY_URL", "")
WATERDESK_SMS_GATEWAY_TOKEN = env_str("WATERDESK_SMS_GATEWAY_TOKEN", "")
WATERDESK_EMAIL_ENABLED = env_bool("WATERDESK_EMAIL_ENABLED", True)
# WeChat template messages (official account): outbox (the log) | http (the message API).
WATERDESK_WECHAT_BACKEND = env_str("WATERDESK_WECHAT_BACKEND", "outbox")
WATERDESK_WECHAT_API_URL = env_str(
    "WATERDESK_WECHAT_API_URL", "https://api.weixin.qq.com/cgi-bin/message/template/send"
)
WATERDESK_WECHAT_ACCESS_TOKEN = env_str("WATERDESK_WECHAT_ACCESS_TOKEN", "")
WATERDESK_WECHAT_TEMPLATE_ID = env_str("WATERDESK_WECHAT_TEMPLATE_ID", "")
WATERDESK_NOTIFY_MAX_ATTEMPTS = env_int("WATERDESK_NOTIFY_MAX_ATTEMPTS", 6)

# Personal data (R-P1): customer look-ups (search, detail, reveal) per user.
WATERDESK_LOOKUPS_PER_MINUTE = env_int("WATERDESK_LOOKUPS_PER_MINUTE", 30)
WATERDESK_LOOKUP_ALERT_PER_HOUR = env_int("WATERDESK_LOOKUP_ALERT_PER_HOUR", 120)

# The utility's letterhead on receipts, bills and fee notices: name, hotline, address.
WATERDESK_COMPANY_NAME = env_str("WATERDESK_COMPANY_NAME", "城市供水有限公司")
WATERDESK_COMPANY_HOTLINE = env_str("WATERDESK_COMPANY_HOTLINE", "")
WATERDESK_COMPANY_ADDRESS = env_str("WATERDESK_COMPANY_ADDRESS", "")
# The site's public address (https://water.example.cn): receipts print the case-status
# look-up at <site>/lookup/ with a QR code; empty = they name no web address.
WATERDESK_SITE_URL = env_str("WATERDESK_SITE_URL", "").rstrip("/")
# A payment QR code on bills and fee notices: the URL it encodes, with {account}, {bill} and
# {amount} filled in; empty = no QR code.
WATERDESK_PAYMENT_QR_URL = env_str("WATERDESK_PAYMENT_QR_URL", "")
# Online payment gateways (waterdesk.payments.gateways). WeChat Pay APIv3: the merchant id,
# the app id, the 32-byte APIv3 key (decrypts notifications), the PEM file of the platform
# certificate or the WeChat Pay public key and its serial / public key ID (checks their
# signatures). Alipay: the app id and the PEM file of the Alipay public key. Unset: that
# gateway's notifications are all refused.
WATERDESK_WECHATPAY_MCHID = env_str("WATERDESK_WECHATPAY_MCHID", "")
WATERDESK_WECHATPAY_APPID = env_str("WATERDESK_WECHATPAY_APPID", "")
WATERDESK_WECHATPAY_APIV3_KEY = env_str("WATERDESK_WECHATPAY_APIV3_KEY", "")
WATERDESK_WECHATPAY_PUBLIC_KEY_PATH = env_str("WATERDESK_WECHATPAY_PUBLIC_KEY_PATH", "")
WATERDESK_WECHATPAY_SERIAL = env_str("WATERDESK_WECHATPAY_SERIAL", "")
WATERDESK_ALIPAY_APP_ID = env_str("WATERDESK_ALIPAY_APP_ID", "")
WATERDESK_ALIPAY_PUBLIC_KEY_PATH = env_str("WATERDESK_ALIPAY_PUBLIC_KEY_PATH", "")
# The sandbox gateway's HMAC secret (the demo's "模拟支付"); a development value only in a
# DEBUG run, so that a production site without it refuses every sandbox notification.
WATERDESK_SANDBOX_PAY_SECRET = env_str("WATERDESK_SANDBOX_PAY_SECRET", "") or (
    "insecure-sandbox-secret" if DEBUG else ""
)
# Minutes an online payment order stays open for payment.
WATERDESK_PAYMENT_ORDER_MINUTES = env_int("WATERDESK_PAYMENT_ORDER_MINUTES", 30)
# The most a kiosk or partner agent may take in one payment (yuan).
WATERDESK_DEVICE_PAYMENT_LIMIT = env_decimal("WATERDESK_DEVICE_PAYMENT_LIMIT", "5000.00")
# Benchmark only: mounts a bare JSON view at /bench/ping/ (bench/payments.py).
WATERDESK_BENCH_VIEWS = env_bool("WATERDESK_BENCH_VIEWS", False)
# The public case-status look-up (case number + phone, no login): look-ups per client
# address within the window; more are refused (429) until the window ends.
WATERDESK_PUBLIC_LOOKUP_LIMIT = env_int("WATERDESK_PUBLIC_LOOKUP_LIMIT", 10)
WATERDESK_PUBLIC_LOOKUP_WINDOW_MINUTES = env_int("WATERDESK_PUBLIC_LOOKUP_WINDOW_MINUTES", 15)
# The public complaint form (/complaints/new/): submissions per client address within the
# window; more are refused (429) until the window ends (waterdesk.core.antibot).
WATERDESK_PUBLIC_COMPLAINT_LIMIT = env_int("WATERDESK_PUBLIC_COMPLAINT_LIMIT", 5)
WATERDESK_PUBLIC_COMPLAINT_WINDOW_MINUTES = env_int("WATERDESK_PUBLIC_COMPLAINT_WINDOW_MINUTES", 60)
# The complaint mailbox read over IMAP (waterdesk.complaints.services.mail); no host: off.
WATERDESK_COMPLAINT_IMAP_HOST = env_str("WATERDESK_COMPLAINT_IMAP_HOST", "")
WATERDESK_COMPLAINT_IMAP_PORT = env_int("WATERDESK_COMPLAINT_IMAP_PORT", 993)
WATERDESK_COMPLAINT_IMAP_USER = env_str("WATERDESK_COMPLAINT_IMAP_USER", "")
WATERDESK_COMPLAINT_IMAP_PASSWORD = env_str("WATERDESK_COMPLAINT_IMAP_PASSWORD", "")
WATERDESK_COMPLAINT_IMAP_FOLDER = env_str("WATERDESK_COMPLAINT_IMAP_FOLDER", "INBOX")
WATERDESK_COMPLAINT_IMAP_SSL = env_bool("WATERDESK_COMPLAINT_IMAP_SSL", True)

# Money: the largest single amount (yuan) an input may carry (adjustment, fee, payment);
# at most 999,999,999.99 so that sums fit the 14-digit columns (waterdesk.core.money).
WATERDESK_MONEY_MAX_AMOUNT = env_decimal("WATERDESK_MONEY_MAX_AMOUNT", "1000000.00")

# Uploads.
WATERDESK_ATTACHMENT_MAX_BYTES = env_int("WATERDESK_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
WATERDESK_ATTACHMENT_TYPES = env_list(
    "WATERDESK_ATTACHMENT_TYPES", "application/pdf,image/jpeg,image/png"
)
DATA_UPLOAD_MAX_MEMORY_SIZE = WATERDESK_ATTACHMENT_MAX_BYTES + 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Tokens for machine clients (kiosks, gateways, hotlines), issued and revoked by
        # administrators in the admin; sessions for pages and the browser. No HTTP Basic.
        "waterdesk.api.authentication.ThrottledTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "waterdesk.api.errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "waterdesk.core.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "waterdesk.core.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "waterdesk API",
    "DESCRIPTION": "Service desk of a water supply company: cases, customers, applications.",
    "VERSION": "1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
    # /api/schema/ and /api/docs/ need a login unless WATERDESK_API_DOCS_PUBLIC is on.
    "SERVE_PERMISSIONS": [
        "rest_framework.permissions.AllowAny"
        if env_bool("WATERDESK_API_DOCS_PUBLIC", False)
        else "rest_framework.permissions.IsAuthenticated"
    ],
    # Choice sets shared by several fields are named once in the schema.
    "ENUM_NAME_OVERRIDES": {
        "CaseKindEnum": "waterdesk.cases.kinds.kind_choices",
        "CustomerKindEnum": "waterdesk.customers.models.CustomerKind",
        "UsageCategoryEnum": "waterdesk.customers.models.UsageCategory",
        "ReadKindEnum": "waterdesk.billing.models.ReadKind",
        "ReadStatusEnum": "waterdesk.billing.models.ReadStatus",
        # Two fields named "source": where a read came from, and an incident's reporter.
        "ReadSourceEnum": "waterdesk.billing.models.ReadSource",
        "IncidentSourceEnum": "waterdesk.emergency.models.IncidentSource",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # No full mobile or ID number reaches a log line (waterdesk.core.logging).
    "filters": {"personal_data": {"()": "waterdesk.core.logging.PersonalDataFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["personal_data"]},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# HTTPS (production; see README "Production settings"). Behind a TLS-terminating proxy set
# USE_X_FORWARDED_PROTO=1, and make sure the proxy overwrites X-Forwarded-Proto.
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
if env_bool("USE_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp): our own files only, no inline script or style.
# htmx runs with eval and its injected indicator style off (see workbench/base.html).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
