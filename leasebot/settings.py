"""Lease-bot settings: one module, read from the environment through django-environ.

Production differs from local only by environment variables. Secrets have no defaults
and stop start-up when missing in production.
"""

from __future__ import annotations

import re
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A developer may keep overrides in .env (git-ignored); real deployments use the environment.
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DJANGO_ENV = env.str("DJANGO_ENV", default="local")
if DJANGO_ENV not in {"local", "test", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be local, test or production, not {DJANGO_ENV!r}.")
IS_PRODUCTION = DJANGO_ENV == "production"

if IS_PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY")  # Required: ImproperlyConfigured when missing.
    DEBUG = False
else:
    # A fixed development key; it signs nothing that leaves this machine.
    SECRET_KEY = env.str("SECRET_KEY", default="local-development-only-key-not-for-production-use")
    DEBUG = env.bool("DEBUG", default=DJANGO_ENV == "local")

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if IS_PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"]
)
# DEBUG only while the site answers to this machine's names alone: serving any other host
# name means someone else can reach it, and debug pages are not for them.
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1", "testserver"}
if DEBUG and not set(ALLOWED_HOSTS) <= LOOPBACK_HOSTS:
    DEBUG = False
# Debug pages and error reports never show a credential (leasebot/core/debug.py), and the
# debug page is shown only to a browser on this machine.
DEFAULT_EXCEPTION_REPORTER_FILTER = "leasebot.core.debug.CredentialSafeExceptionReporterFilter"
DEFAULT_EXCEPTION_REPORTER = "leasebot.core.debug.LoopbackOnlyExceptionReporter"
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files served from here, not from a CDN.
    "csp",
    "django_celery_beat",
    "guardian",
    "leasebot.core",
    "platforms",
    "inbox",
    "dispatch",
    "rollout",
    "leasebot",  # The composition root last: its post_migrate seeder sees every app's tables.
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "leasebot.core.http.NoStoreMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "leasebot.core.throttle.LoginThrottleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "leasebot.urls"
WSGI_APPLICATION = "leasebot.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "leasebot" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/leasebot")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
# Re-check pooled connections so a restarted database does not fail the next request.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
# Login throttling (leasebot/throttle.py): failures counted per address and per user name.
LEASEBOT_LOGIN_WINDOW_S = env.int("LEASEBOT_LOGIN_WINDOW_S", default=900)
LEASEBOT_LOGIN_MAX_FAILURES_PER_USER = env.int("LEASEBOT_LOGIN_MAX_FAILURES_PER_USER", default=5)
LEASEBOT_LOGIN_MAX_FAILURES_PER_IP = env.int("LEASEBOT_LOGIN_MAX_FAILURES_PER_IP", default=20)
# The review queue holds an approval this long (in the browser) so the agent can undo it before it is sent.
LEASEBOT_REVIEW_UNDO_SECONDS = env.int("LEASEBOT_REVIEW_UNDO_SECONDS", default=5)
# The longest an agent may snooze a conversation (it wakes earlier when the renter writes).
LEASEBOT_SNOOZE_MAX_DAYS = env.int("LEASEBOT_SNOOZE_MAX_DAYS", default=30)
# How many reverse proxies in front append to X-Forwarded-For: the client's address is read
# from there only this far (0: REMOTE_ADDR, the header ignored; anyone can write it).
LEASEBOT_TRUSTED_PROXY_COUNT = env.int("LEASEBOT_TRUSTED_PROXY_COUNT", default=0)
LOGIN_REDIRECT_URL = "/review/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
# Guardian's anonymous user is not used: every screen needs a login.
ANONYMOUS_USER_NAME = None

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "var" / "static")))
# WhiteNoise serves the review UI's static files without a web server in front; outside
# production it reads them straight from the apps, so no collectstatic is needed there.
WHITENOISE_USE_FINDERS = not IS_PRODUCTION
if not IS_PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise expects it; collectstatic fills it in production.

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "leasebot",
    }
}

# --- Security (``manage.py check --deploy`` is clean with DJANGO_ENV=production) ---
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # The review UI reads the token to send it as X-CSRFToken.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Answers with renter data are never cached (leasebot/core/http.py); the admin has never_cache.
LEASEBOT_NO_STORE_PREFIXES = env.list("LEASEBOT_NO_STORE_PREFIXES", default=["/api/", "/review/", "/reports/"])
# Content-Security-Policy (django-csp): scripts, styles and everything else from this site only.
# The review UI, the reports page, the admin and the API docs have no inline script or style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
if IS_PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# /metrics answers Prometheus when it sends "Authorization: Bearer <this>" (docs/deploy.md), and
# signed-in admin and ops users; anonymous requests get 401. Empty: no bearer token is accepted.
LEASEBOT_METRICS_TOKEN = env.str("LEASEBOT_METRICS_TOKEN", default="")

# --- DRF ---
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "leasebot.core.api.exception_handler",
    # JSON bounded in size and nesting (leasebot/core/parsers.py); forms keep Django's own limits.
    "DEFAULT_PARSER_CLASSES": [
        "leasebot.core.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_RATES": {"login": "10/min"},
}
# The largest JSON body the API reads (bytes) and the deepest nesting it accepts; past either, 400.
LEASEBOT_API_MAX_JSON_BYTES = env.int("LEASEBOT_API_MAX_JSON_BYTES", default=1024 * 1024)
LEASEBOT_API_MAX_JSON_DEPTH = env.int("LEASEBOT_API_MAX_JSON_DEPTH", default=32)
SPECTACULAR_SETTINGS = {
    "TITLE": "lease-bot API",
    "DESCRIPTION": "Review queue, drafts, replies, platform accounts, health and rollout.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from drf-spectacular-sidecar (this site), never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "status"; the conversation's (open / resolved / snoozed) and the showing's (also in
    # the panel actions' ShowingChange) get their own names.
    "ENUM_NAME_OVERRIDES": {
        "ConversationStatusEnum": "inbox.choices.ConversationStatus",
        "ShowingStatusEnum": "inbox.choices.ShowingStatus",
    },
}

# --- Celery ---
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 3600
CELERY_TIMEZONE = "UTC"
# Ack only after the task ran, and requeue when the worker process dies mid-task.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# One task at a time per process: a prefetched browser job must not wait behind another.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A worker process is replaced after a task once it uses more than this (KiB): Chromium's
# per-account memory grows over a long life. 0: never.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int("CELERY_WORKER_MAX_MEMORY_PER_CHILD", default=1_500_000) or None
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
# Above the longest task (hard limit) so Redis never redelivers a task that is still running.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}
CELERY_TASK_DEFAULT_QUEUE = "default"
# The jobs that drive a browser run on the `rpa` queue; everything else on the default queue.
CELERY_TASK_ROUTES = {
    "dispatch.send_account": {"queue": "rpa"},
    "dispatch.ingest_account": {"queue": "rpa"},
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Any countdown must stay below the visibility timeout, or Redis redelivers a job still waiting.
LEASEBOT_MAX_COUNTDOWN_SECONDS = min(900, CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] // 2)

# --- Browser runtime ---
# "auto": Playwright's own Chromium when installed, else the system chromium package;
# "playwright": Playwright's own only; anything else: a path to a Chromium binary.
LEASEBOT_BROWSER = env.str("LEASEBOT_BROWSER", default="auto")
LEASEBOT_HEADLESS = env.bool("LEASEBOT_HEADLESS", default=True)
# Where browser session state (cookies, a secret) lives: outside the repo by default.
LEASEBOT_STATE_DIR = Path(env.str("LEASEBOT_STATE_DIR", default=str(Path.home() / ".local" / "state" / "leasebot")))

_runtime = env.str("LEASEBOT_RUNTIME", default="" if IS_PRODUCTION else "playwright")
if IS_PRODUCTION and _runtime != "playwright":
    raise ImproperlyConfigured(
        f"LEASEBOT_RUNTIME must be 'playwright' in production (got {_runtime or 'nothing'!r}); "
        "the mock runtime never talks to a platform."
    )
if _runtime not in {"playwright", "mock"}:
    raise ImproperlyConfigured(f"LEASEBOT_RUNTIME must be 'playwright' or 'mock', not {_runtime!r}.")
if _runtime == "mock" and not env.bool("LEASEBOT_ALLOW_MOCK_RUNTIME", default=False):
    raise ImproperlyConfigured("LEASEBOT_RUNTIME=mock needs LEASEBOT_ALLOW_MOCK_RUNTIME=1 (an explicit opt-in).")
LEASEBOT_RUNTIME = _runtime

# --- Anti-bot guard (per account) ---
LEASEBOT_RATE_PER_MINUTE = env.int("LEASEBOT_RATE_PER_MINUTE", default=50)  # Token-bucket refill.
LEASEBOT_RATE_BURST = env.int("LEASEBOT_RATE_BURST", default=10)  # Token-bucket capacity.
LEASEBOT_PACING_MIN_S = env.float("LEASEBOT_PACING_MIN_S", default=1.0)  # Jittered pause between actions.
LEASEBOT_PACING_MAX_S = env.float("LEASEBOT_PACING_MAX_S", default=2.0)
LEASEBOT_CIRCUIT_FAILURES = env.int("LEASEBOT_CIRCUIT_FAILURES", default=3)  # Errors before the circuit opens.
LEASEBOT_CIRCUIT_COOLDOWN_S = env.int("LEASEBOT_CIRCUIT_COOLDOWN_S", default=900)  # Open -> half-open.
LEASEBOT_GUARD_MAX_RETRIES = env.int("LEASEBOT_GUARD_MAX_RETRIES", default=2)  # In-action retries before the job fails.
LEASEBOT_GUARD_MAX_WAIT_S = env.int(
    "LEASEBOT_GUARD_MAX_WAIT_S", default=30
)  # Longest in-action wait (else the task retries).
LEASEBOT_GUARD_DEFAULT_RETRY_AFTER_S = env.int(
    "LEASEBOT_GUARD_DEFAULT_RETRY_AFTER_S", default=30
)  # 429 without Retry-After.
# Browser contexts (one per account) kept open per worker process; the least recently used is
# closed (its session saved) to open another. Each holds roughly 90 MB of Chromium.
LEASEBOT_MAX_CONTEXTS = env.int("LEASEBOT_MAX_CONTEXTS", default=8)
LEASEBOT_NAV_TIMEOUT_S = env.int("LEASEBOT_NAV_TIMEOUT_S", default=30)  # Page loads.
LEASEBOT_ACTION_TIMEOUT_S = env.int("LEASEBOT_ACTION_TIMEOUT_S", default=10)  # Clicks and fills.
LEASEBOT_LOCATOR_WAIT_S = env.int("LEASEBOT_LOCATOR_WAIT_S", default=2)  # Per fallback locator.
# A locator that misses heals to the page element scoring at least this against what it matched
# last (platforms/connectors/healing.py, 0..1); below it the miss is selector drift, as before.
LEASEBOT_HEALING_MIN_SCORE = env.float("LEASEBOT_HEALING_MIN_SCORE", default=0.7)
# How long a message list a script is still filling (or an "earlier messages" load) may take.
LEASEBOT_LIST_WAIT_S = env.float("LEASEBOT_LIST_WAIT_S", default=15.0)
LEASEBOT_SEND_CONFIRM_TIMEOUT_S = env.int(
    "LEASEBOT_SEND_CONFIRM_TIMEOUT_S", default=15
)  # How long to poll a thread for a just-sent reply (sites such as Roomies show it late).
LEASEBOT_SEND_CONFIRM_POLL_S = env.float("LEASEBOT_SEND_CONFIRM_POLL_S", default=1.0)
LEASEBOT_LOGIN_CODE_TIMEOUT_S = env.int("LEASEBOT_LOGIN_CODE_TIMEOUT_S", default=60)  # Waiting for an e-mailed code.

# --- Dispatch ---
# A job waits in the queue at most this long (then the broker's consumer drops it unrun): the
# next tick enqueues a fresh one. At most one job per account and kind waits at a time.
LEASEBOT_JOB_EXPIRES_S: dict[str, int] = env.json("LEASEBOT_JOB_EXPIRES_S", default={"ingest": 120, "send": 60})
# Adaptive ingest (dispatch.scheduling): an account whose conversations moved within the hot
# window is read every HOT_S; an idle one backs off with its idle time (idle * BACKOFF_RATIO)
# between BASE_S and MAX_S; no account is read more often than its platform's floor (pacing).
LEASEBOT_INGEST_HOT_S = env.float("LEASEBOT_INGEST_HOT_S", default=20.0)
LEASEBOT_INGEST_HOT_WINDOW_S = env.float("LEASEBOT_INGEST_HOT_WINDOW_S", default=900.0)
LEASEBOT_INGEST_BASE_S = env.float("LEASEBOT_INGEST_BASE_S", default=60.0)
LEASEBOT_INGEST_MAX_S = env.float("LEASEBOT_INGEST_MAX_S", default=300.0)
LEASEBOT_INGEST_BACKOFF_RATIO = env.float("LEASEBOT_INGEST_BACKOFF_RATIO", default=1 / 60)
LEASEBOT_INGEST_FLOOR_S: dict[str, float] = env.json("LEASEBOT_INGEST_FLOOR_S", default={"default": 15})
# Spare capacity: while fewer than SPARE_JOBS of a platform's ingest jobs wait (the browser
# workers keep up), each tick also reads the accounts read longest ago, none sooner than
# SPARE_MIN_S after its last read, at the lowest priority; 0 turns it off. Raise SPARE_JOBS
# with the fleet's browser processes (docs/deploy.md).
LEASEBOT_INGEST_SPARE_JOBS = env.int("LEASEBOT_INGEST_SPARE_JOBS", default=4)
LEASEBOT_INGEST_SPARE_MIN_S = env.float("LEASEBOT_INGEST_SPARE_MIN_S", default=30.0)
# The window the first-reply latency (Health page, /metrics) is computed over.
LEASEBOT_FIRST_REPLY_WINDOW_S = env.int("LEASEBOT_FIRST_REPLY_WINDOW_S", default=3600)
LEASEBOT_SENDING_LEASE_S = env.int("LEASEBOT_SENDING_LEASE_S", default=600)  # A `sending` row older is reconciled.
# How late a platform may show a message (Roomies shows a reply seconds late): a read-back that
# finds nothing within this window of the send click looks again later, it never calls the reply
# absent (which would queue it again); an inbox row's time is trusted to hide no new message
# only once this window (and a minute) has passed (platforms/connectors/web/read.py). Overridable per platform.
LEASEBOT_SEND_VISIBILITY_S = env.int("LEASEBOT_SEND_VISIBILITY_S", default=60)
LEASEBOT_SEND_VISIBILITY_S_PER_PLATFORM: dict[str, int] = env.json(
    "LEASEBOT_SEND_VISIBILITY_S_PER_PLATFORM", default={}
)
# One send job sends for at most this long, then queues a fresh job behind the waiting ones,
# so a busy account never holds a worker process (and everyone's ingest) for minutes.
LEASEBOT_SEND_JOB_BUDGET_S = env.int("LEASEBOT_SEND_JOB_BUDGET_S", default=60)
# Browser jobs the whole fleet runs at once per platform ("default" for the rest): more workers
# never mean more simultaneous sessions on one site. A job finding every slot taken is skipped;
# the next tick comes back.
LEASEBOT_PLATFORM_CONCURRENCY: dict[str, int] = env.json("LEASEBOT_PLATFORM_CONCURRENCY", default={"default": 4})
LEASEBOT_ACCOUNT_LOCK_TTL_S = env.int("LEASEBOT_ACCOUNT_LOCK_TTL_S", default=120)  # Extended while a job works.
if LEASEBOT_SENDING_LEASE_S <= CELERY_TASK_TIME_LIMIT:
    # A live send must never look stale to the reconciler.
    raise ImproperlyConfigured("LEASEBOT_SENDING_LEASE_S must exceed CELERY_TASK_TIME_LIMIT.")
LEASEBOT_MAX_LOST_WORKER_REDELIVERIES = env.int("LEASEBOT_MAX_LOST_WORKER_REDELIVERIES", default=3)
# Retry budgets per error type, overridable per platform: {"spareroom": {"Transient": 3}}.
LEASEBOT_RETRY_BUDGETS = {"Transient": 5, "RateLimited": 5, "SessionExpired": 1, "OutcomeUnknown": 0, "CircuitOpen": 3}
LEASEBOT_RETRY_BUDGETS_PER_PLATFORM: dict[str, dict[str, int]] = env.json(
    "LEASEBOT_RETRY_BUDGETS_PER_PLATFORM", default={}
)
# When a failed reply may be tried again: [base, cap] seconds of exponential backoff with full
# jitter per error type ("default" for the rest), overridable per platform like the budgets.
# A platform's Retry-After (and an open circuit's cool-down) is honoured instead when known.
LEASEBOT_RETRY_BACKOFF_S: dict[str, list[float]] = env.json(
    "LEASEBOT_RETRY_BACKOFF_S",
    default={"default": [15, 900], "RateLimited": [60, 1800], "SessionExpired": [5, 120], "CircuitOpen": [60, 900]},
)
LEASEBOT_RETRY_BACKOFF_PER_PLATFORM: dict[str, dict[str, list[float]]] = env.json(
    "LEASEBOT_RETRY_BACKOFF_PER_PLATFORM", default={}
)
LEASEBOT_ALERT_WEBHOOK_URL = env.str("LEASEBOT_ALERT_WEBHOOK_URL", default="")
# Agents are told when a conversation needs them: a webhook (e.g. a chat channel) and/or e-mail.
LEASEBOT_AGENT_WEBHOOK_URL = env.str("LEASEBOT_AGENT_WEBHOOK_URL", default="")
LEASEBOT_AGENT_EMAIL_NOTIFICATIONS = env.bool("LEASEBOT_AGENT_EMAIL_NOTIFICATIONS", default=False)
LEASEBOT_AGENT_EMAIL_FALLBACK = env.list("LEASEBOT_AGENT_EMAIL_FALLBACK", default=[])  # When no agent is assigned.
LEASEBOT_PUBLIC_URL = env.str("LEASEBOT_PUBLIC_URL", default="http://127.0.0.1:8000")  # For links in notices.
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
if env.str("EMAIL_URL", default=""):
    # e.g. smtp+tls://user:password@smtp.example.com:587 sets EMAIL_BACKEND, EMAIL_HOST and the rest.
    vars().update(env.email_url("EMAIL_URL"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="lease-bot@localhost")
LEASEBOT_SANDBOX_URL = env.str("LEASEBOT_SANDBOX_URL", default="http://127.0.0.1:8765")
# What an account's credential reference may name (platforms/credentials.py): variables with
# one of these prefixes, or files inside the secrets directory. Locally the sandbox's demo
# variables (SANDBOX_...) too; the test suites name their own variables, so any prefix there
# (the process's own secrets stay refused everywhere).
LEASEBOT_CREDENTIAL_ENV_PREFIXES = env.list(
    "LEASEBOT_CREDENTIAL_ENV_PREFIXES",
    default={"production": ["LEASEBOT_CRED_"], "local": ["LEASEBOT_CRED_", "SANDBOX_"], "test": [""]}[DJANGO_ENV],
)
LEASEBOT_SECRETS_DIR = env.str("LEASEBOT_SECRETS_DIR", default="/run/secrets")
# Hosts an account's base URL may point at besides the platform's own (platforms/hosts.py):
# the local sandbox outside production, nothing else by default.
LEASEBOT_ACCOUNT_HOST_ALLOWLIST = env.list(
    "LEASEBOT_ACCOUNT_HOST_ALLOWLIST", default=[] if IS_PRODUCTION else ["127.0.0.1", "localhost", "[::1]"]
)

# --- Rollout gates (rollout/gates.py): thresholds and the minimum sample a gate needs ---
LEASEBOT_ROLLOUT_GATE_WINDOW_HOURS = env.int("LEASEBOT_ROLLOUT_GATE_WINDOW_HOURS", default=24)
LEASEBOT_ROLLOUT_AUTO_ROLLBACK_WINDOW_MINUTES = env.int("LEASEBOT_ROLLOUT_AUTO_ROLLBACK_WINDOW_MINUTES", default=60)
LEASEBOT_GATE_DISPATCH_SUCCESS_MIN = env.float("LEASEBOT_GATE_DISPATCH_SUCCESS_MIN", default=0.98)
LEASEBOT_GATE_DUPLICATE_SENDS_MAX = env.int("LEASEBOT_GATE_DUPLICATE_SENDS_MAX", default=0)
LEASEBOT_GATE_DEAD_LETTER_RATE_MAX = env.float("LEASEBOT_GATE_DEAD_LETTER_RATE_MAX", default=0.02)
LEASEBOT_GATE_CAPTCHA_BLOCK_RATE_MAX = env.float("LEASEBOT_GATE_CAPTCHA_BLOCK_RATE_MAX", default=0.02)
LEASEBOT_GATE_GUARDRAIL_HOLD_RATE_MAX = env.float("LEASEBOT_GATE_GUARDRAIL_HOLD_RATE_MAX", default=0.15)
LEASEBOT_GATE_SHADOW_AGREEMENT_MIN = env.float("LEASEBOT_GATE_SHADOW_AGREEMENT_MIN", default=0.80)
LEASEBOT_GATE_MIN_SENDS = env.int("LEASEBOT_GATE_MIN_SENDS", default=20)
LEASEBOT_GATE_MIN_ATTEMPTS = env.int("LEASEBOT_GATE_MIN_ATTEMPTS", default=50)
LEASEBOT_GATE_MIN_DRAFTS = env.int("LEASEBOT_GATE_MIN_DRAFTS", default=20)
LEASEBOT_GATE_MIN_REVIEWED = env.int("LEASEBOT_GATE_MIN_REVIEWED", default=20)
# Renters' personal data is erased this many days after a conversation's last message (0: keep).
LEASEBOT_RENTER_DATA_RETENTION_DAYS = env.int("LEASEBOT_RENTER_DATA_RETENTION_DAYS", default=365)
# The key of the suppression list's keyed hashes (opted-out and erased renters, the allow-list):
# required in production and never the same as SECRET_KEY, so rotating one never forgets the
# other. Old keys stay in the fallbacks while hashes made with them must still match.
if IS_PRODUCTION:
    LEASEBOT_SUPPRESSION_KEY = env.str("LEASEBOT_SUPPRESSION_KEY")  # Required: ImproperlyConfigured when missing.
else:
    LEASEBOT_SUPPRESSION_KEY = env.str("LEASEBOT_SUPPRESSION_KEY", default="local-development-only-suppression-key")
LEASEBOT_SUPPRESSION_KEY_FALLBACKS = env.list("LEASEBOT_SUPPRESSION_KEY_FALLBACKS", default=[])
# Browser sessions (cookies: credentials) between jobs: "database" (sealed with Fernet under a key
# derived from LEASEBOT_SESSION_KEY, shared by every worker machine) or "files" (one machine,
# under LEASEBOT_STATE_DIR). The key is required in production; rotate by moving the old one
# into the fallbacks.
LEASEBOT_SESSION_STORE = env.str("LEASEBOT_SESSION_STORE", default="database")
if LEASEBOT_SESSION_STORE not in ("database", "files"):
    raise ImproperlyConfigured("LEASEBOT_SESSION_STORE must be 'database' or 'files'.")
if IS_PRODUCTION:
    LEASEBOT_SESSION_KEY = env.str("LEASEBOT_SESSION_KEY")  # Required: ImproperlyConfigured when missing.
else:
    LEASEBOT_SESSION_KEY = env.str("LEASEBOT_SESSION_KEY", default="local-development-only-session-key")
LEASEBOT_SESSION_KEY_FALLBACKS = env.list("LEASEBOT_SESSION_KEY_FALLBACKS", default=[])
if IS_PRODUCTION and len(LEASEBOT_SESSION_KEY.strip()) < 32:
    raise ImproperlyConfigured("LEASEBOT_SESSION_KEY must be set to a random value of at least 32 characters.")

# --- The leasing conversation ---
# Hours of silence before each follow-up stage (after our last reply or the previous follow-up).
LEASEBOT_FOLLOW_UP_DELAYS_HOURS: dict[str, int] = env.json(
    "LEASEBOT_FOLLOW_UP_DELAYS_HOURS", default={"first": 24, "second": 72, "final": 168}
)
# Default quiet hours for messages the bot starts (follow-ups), "HH:MM-HH:MM" local to the unit
# (else the account); an account's inbox.QuietHours row wins; "" means none. Checked at start-up.
LEASEBOT_QUIET_HOURS = env.str("LEASEBOT_QUIET_HOURS", default="21:00-08:00")
if LEASEBOT_QUIET_HOURS.strip() and not re.fullmatch(
    r"\s*([01]?\d|2[0-3]):[0-5]\d\s*-\s*([01]?\d|2[0-3]):[0-5]\d\s*", LEASEBOT_QUIET_HOURS
):
    raise ImproperlyConfigured(
        f"LEASEBOT_QUIET_HOURS must look like 21:00-08:00 (or be empty), not {LEASEBOT_QUIET_HOURS!r}."
    )
# One reply per burst: renter messages of one conversation less than this many seconds apart are
# decided together, once the renter has been quiet this long (0: each message at once; tests run
# with 0 unless they set it). A burst is decided at the latest LEASEBOT_BURST_MAX_WAIT_S after its
# first message, so a renter who keeps typing still gets the first reply within a minute.
LEASEBOT_BURST_WINDOW_S = env.int("LEASEBOT_BURST_WINDOW_S", default=0 if DJANGO_ENV == "test" else 45)
LEASEBOT_BURST_MAX_WAIT_S = env.int("LEASEBOT_BURST_MAX_WAIT_S", default=50)
if not 0 <= LEASEBOT_BURST_WINDOW_S <= LEASEBOT_BURST_MAX_WAIT_S <= 60:
    raise ImproperlyConfigured(
        "Need 0 <= LEASEBOT_BURST_WINDOW_S <= LEASEBOT_BURST_MAX_WAIT_S <= 60 (the first reply within a minute)."
    )
# The showing's life (inbox.services.showing_life, swept every 5 minutes, never inside quiet hours):
# ask the renter to confirm this many hours before the showing, remind them this many hours
# before, and nudge them once to apply this many hours after the application link went out.
LEASEBOT_SHOWING_CONFIRM_HOURS = env.int("LEASEBOT_SHOWING_CONFIRM_HOURS", default=24)
LEASEBOT_SHOWING_REMINDER_HOURS = env.int("LEASEBOT_SHOWING_REMINDER_HOURS", default=3)
LEASEBOT_APPLICATION_NUDGE_HOURS = env.int("LEASEBOT_APPLICATION_NUDGE_HOURS", default=48)
if not 0 < LEASEBOT_SHOWING_REMINDER_HOURS < LEASEBOT_SHOWING_CONFIRM_HOURS <= 24 * 7:
    raise ImproperlyConfigured(
        "Need 0 < LEASEBOT_SHOWING_REMINDER_HOURS < LEASEBOT_SHOWING_CONFIRM_HOURS <= 168 (hours before a showing)."
    )
if LEASEBOT_APPLICATION_NUDGE_HOURS <= 0:
    raise ImproperlyConfigured("LEASEBOT_APPLICATION_NUDGE_HOURS must be a positive number of hours.")
# A showing slot is offered only this long ahead of now at the earliest.
LEASEBOT_SHOWING_MIN_NOTICE_MINUTES = env.int("LEASEBOT_SHOWING_MIN_NOTICE_MINUTES", default=60)

# --- Optional LLM engine (OpenAI-compatible); off unless a base URL is set ---
LEASEBOT_LLM_BASE_URL = env.str("LEASEBOT_LLM_BASE_URL", default="")
LEASEBOT_LLM_MODEL = env.str("LEASEBOT_LLM_MODEL", default="")
LEASEBOT_LLM_API_KEY_REF = env.str("LEASEBOT_LLM_API_KEY_REF", default="")  # e.g. env:OPENAI_API_KEY
LEASEBOT_LLM_TIMEOUT_S = env.float("LEASEBOT_LLM_TIMEOUT_S", default=10.0)

# --- Observability ---
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=DJANGO_ENV,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,  # Renters' data never leaves for Sentry.
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "leasebot.core.logging.ContextFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
        "plain": {"format": "%(asctime)s %(levelname)-7s %(name)s %(message)s %(context)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if IS_PRODUCTION or env.bool("LOG_JSON", default=False) else "plain",
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "celery": {"level": "INFO"}},
}
