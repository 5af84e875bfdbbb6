"""Settings read from the environment (prefix ``LMS_``) and an optional ``.env`` file."""

from __future__ import annotations

import logging
import secrets
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

log = logging.getLogger("lms.config")

PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "dev", "development", "test"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="LMS_", env_file=".env", extra="ignore", populate_by_name=True
    )

    environment: Literal["development", "test", "production"] = "development"
    enable_docs: bool | None = None
    database_url: str = "sqlite+aiosqlite:///./lms.db"
    database_pool_size: int = 10
    database_max_overflow: int = 10
    # A pooled PostgreSQL connection idle longer than this is pinged before use.
    database_ping_after_idle_seconds: float = Field(default=10.0, ge=0)
    # How long a request waits for a pooled connection when every one is busy, before
    # it is answered 503 with Retry-After (PostgreSQL, Redis).
    database_pool_wait_seconds: float = Field(default=10.0, gt=0)
    redis_url: str | None = None
    redis_max_connections: int = Field(default=100, ge=1)
    redis_pool_wait_seconds: float = Field(default=5.0, gt=0)
    celery_broker_url: str | None = None
    celery_queue: str = "lms"
    secret_key: str = ""
    public_base_url: str = "http://localhost:8000"
    # The language of emails, problem details and certificates when neither the account's
    # locale nor the request's Accept-Language names one we speak (lms.core.i18n).
    default_locale: Literal["en", "ar"] = "en"
    access_token_minutes: int = 15
    refresh_token_days: int = 30
    bcrypt_rounds: int = Field(default=12, ge=4, le=16)
    cors_origins: Annotated[list[str], NoDecode] = []
    max_body_kb: int = 1024
    log_level: str = "INFO"
    log_json: bool = True
    # FastAPI's native OpenTelemetry spans and metrics (the global providers). Off, the
    # framework skips its per-request provider checks.
    opentelemetry: bool = False

    email_backend: Literal["console", "file", "smtp"] = "console"
    email_file_dir: str = "./outbox"
    email_from: str = "LMS <no-reply@localhost>"
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_timeout_seconds: float = 10.0

    outbox_max_attempts: int = 8
    outbox_backoff_base_seconds: float = 2.0
    outbox_poll_seconds: float = 1.0

    # Auth hardening
    password_reset_minutes: int = 60
    # How long an invitation link (an account created by staff or an import) stays valid.
    invitation_days: int = 7
    # The largest roster or users file an import accepts, and the rows it commits at once.
    import_max_mb: int = 50
    import_chunk_rows: int = 1000
    email_verify_hours: int = 48
    # Personal data: how long the link to a data export works, and how long an erasure
    # the person asked for waits (they may cancel it meanwhile).
    export_link_hours: int = Field(default=48, ge=1)
    erasure_cool_off_days: int = Field(default=14, ge=0)
    otp_minutes: int = 10
    otp_max_tries: int = 5
    otp_resend_seconds: int = 60
    otp_max_per_hour: int = 10
    login_failures_before_delay: int = 5
    login_max_delay_seconds: int = 900
    auth_rate_limit_per_minute: int = 20
    # Per account per minute, wherever the requests come from (a classroom shares one
    # address); the auth endpoints' budget above is per client address.
    enrollment_rate_limit_per_minute: int = Field(default=30, ge=1)
    attempt_rate_limit_per_minute: int = Field(default=60, ge=1)
    # How long an answer to a request with an Idempotency-Key is replayed to its retries.
    idempotency_ttl_hours: int = Field(default=24, ge=1, le=24 * 7)
    # GET /metrics (Prometheus): off, or open only to these client addresses/networks.
    metrics_enabled: bool = False
    metrics_allowed_networks: Annotated[list[str], NoDecode] = ["127.0.0.1/32", "::1/128"]

    # Audit log and act as: entries older than this many days are removed by the daily
    # retention job (unset: kept for ever); how long an "act as" token lasts.
    audit_retention_days: int | None = Field(default=None, ge=1)
    act_as_minutes: int = Field(default=15, ge=1, le=60)

    # Courses and enrollments
    cache_ttl_seconds: int = 60
    reminder_inactive_days: int = 7

    # Schedules and calendars: how long before a due date its reminder goes out, how many
    # reminders one transaction of the job writes, the widest range GET /me/calendar
    # answers, and the days before and after now that the iCalendar feed covers.
    due_reminder_hours: int = Field(default=24, ge=1, le=24 * 14)
    due_reminder_batch_size: int = Field(default=200, ge=1, le=10_000)
    calendar_max_range_days: int = Field(default=366, ge=1, le=3660)
    calendar_feed_past_days: int = Field(default=30, ge=0, le=3660)
    calendar_feed_future_days: int = Field(default=365, ge=1, le=3660)

    # Quizzes: a submission this long after an attempt's deadline is still accepted
    quiz_submit_grace_seconds: int = Field(default=30, ge=0, le=3600)

    # Files (seed 000's unprefixed names are accepted as well)
    storage_backend: Literal["local", "s3", "azure"] = Field(
        default="local",
        validation_alias=AliasChoices("LMS_STORAGE_BACKEND", "FILE_STORAGE_PROVIDER"),
    )
    upload_dir: str = Field(
        default="./uploads", validation_alias=AliasChoices("LMS_UPLOAD_DIR", "UPLOAD_DIR")
    )
    max_upload_mb: int = Field(
        default=100, validation_alias=AliasChoices("LMS_MAX_UPLOAD_MB", "MAX_UPLOAD_MB")
    )
    allowed_upload_extensions: Annotated[list[str], NoDecode] = Field(
        default=["mp4", "avi", "mov", "pdf", "doc", "docx", "jpg", "jpeg", "png"],
        validation_alias=AliasChoices("LMS_ALLOWED_UPLOAD_EXTENSIONS", "ALLOWED_UPLOAD_EXTENSIONS"),
    )
    s3_bucket: str | None = None
    s3_region: str | None = None
    s3_endpoint_url: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    azure_connection_string: str | None = None
    azure_container: str | None = None
    # Lifetime of the presigned (S3) and SAS (Azure) download URLs.
    storage_url_expires_seconds: int = Field(default=300, ge=10, le=7 * 24 * 3600)
    # S3 multipart part size (S3 needs at least 5 MB for every part but the last).
    s3_part_size_mb: int = Field(default=8, ge=5, le=512)
    upload_rate_limit_per_hour: int = Field(default=60, ge=1)

    # Payments
    stripe_secret_key: str | None = None
    stripe_webhook_secret: str | None = None
    myfatoorah_api_key: str | None = None
    myfatoorah_base_url: str = "https://apitest.myfatoorah.com"
    myfatoorah_webhook_secret: str | None = None
    paymob_secret_key: str | None = None
    paymob_public_key: str | None = None
    paymob_api_key: str | None = None
    paymob_integration_id: str | None = None
    paymob_hmac_secret: str | None = None
    paymob_base_url: str = "https://accept.paymob.com"
    stripe_webhook_tolerance_seconds: int = 300
    # Subscription plans sold through Stripe: "monthly=price_123,yearly=price_456".
    stripe_plan_price_ids: Annotated[dict[str, str], NoDecode] = {}
    myfatoorah_payment_method: str | None = None  # PaymentMethodCode, e.g. "vm", "kn"
    payments_http_timeout_seconds: float = 15.0
    # Where the browser lands after paying (defaults to {public_base_url}/payments/return).
    payments_return_url: str | None = None
    refund_revokes_enrollment: bool = True

    # Outbound webhooks (README, "Webhooks")
    # A rotated secret keeps signing beside the new one this long.
    webhook_secret_overlap_hours: float = Field(default=24.0, ge=0)
    # An endpoint whose deliveries have all failed for this long is disabled.
    webhook_disable_after_hours: float = Field(default=72.0, ge=0)
    # Loopback, private, link-local, multicast and metadata addresses are refused unless
    # this is set (a trusted network, or tests).
    webhook_allow_private_networks: bool = False
    webhook_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    # Delays before each retry of a failed delivery (about a day in all, with +-20 %
    # jitter); after the last one the delivery is failed.
    webhook_retry_delays_seconds: Annotated[list[float], NoDecode] = [
        5,
        60,
        300,
        1800,
        7200,
        18000,
        36000,
        36000,
    ]
    # How old a process's copy of "which event types an enabled endpoint wants" may be
    # before publishing an event reads it again (one statement per interval at most).
    webhook_subscriptions_refresh_seconds: float = Field(default=10.0, ge=0)

    # Analytics: how long a computed dashboard is served from the cache (0 = never cached).
    analytics_cache_seconds: int = Field(default=60, ge=0, le=86400)

    @field_validator(
        "cors_origins", "allowed_upload_extensions", "metrics_allowed_networks", mode="before"
    )
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("webhook_retry_delays_seconds", mode="before")
    @classmethod
    def _split_numbers(cls, value: object) -> object:
        if isinstance(value, str):
            return [float(part) for part in value.split(",") if part.strip()]
        return value

    @field_validator("stripe_plan_price_ids", mode="before")
    @classmethod
    def _split_pairs(cls, value: object) -> object:
        if isinstance(value, str):
            pairs = (part.split("=", 1) for part in value.split(",") if "=" in part)
            return {name.strip(): price.strip() for name, price in pairs if name.strip()}
        return value

    @field_validator("storage_backend", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _check_secrets(self) -> Settings:
        if self.environment == "production":
            if self.secret_key.lower() in PLACEHOLDER_SECRETS or len(self.secret_key) < 32:
                raise ValueError(
                    "LMS_SECRET_KEY must be set to a random value of at least 32 characters "
                    "in production"
                )
        elif not self.secret_key:
            self.secret_key = secrets.token_urlsafe(48)
            log.warning(
                "LMS_SECRET_KEY is not set: using a key generated for this process; "
                "tokens will not survive a restart"
            )
        self.allowed_upload_extensions = [
            ext.lower().lstrip(".") for ext in self.allowed_upload_extensions
        ]
        return self

    @property
    def docs_enabled(self) -> bool:
        if self.enable_docs is not None:
            return self.enable_docs
        return self.environment != "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
