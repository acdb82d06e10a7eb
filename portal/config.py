"""Settings read once from PORTAL_* environment variables (and an optional .env file).

One dataclass per concern. The CSRF and arq configs are built here (`get_config()`); the database
and session configs where they are used (portal/db/config.py, portal/accounts/sessions.py).
`create_app()`, the worker and the CLI ask these for their configs instead of building their own.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from dotenv import load_dotenv
from litestar.config.csrf import CSRFConfig

if TYPE_CHECKING:
    from arq.connections import RedisSettings as ArqRedisSettings



def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(f"PORTAL_{name}")
    return value if value not in (None, "") else default


def _env_int(name: str, default: int) -> int:
    return int(_env(name, str(default)))


def _env_bool(name: str, default: bool) -> bool:
    return (_env(name, "1" if default else "0") or "").lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: list[str]) -> list[str]:
    raw = _env(name)
    return [item.strip() for item in raw.split(",") if item.strip()] if raw else default


def _persistent_secret(data_dir: Path) -> str:
    """The embedded default keeps one generated secret under the data folder, never per process."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret)
    return secret


@dataclass(frozen=True)
class ServerSettings:
    host: str
    port: int
    data_dir: Path
    secret_key: str
    debug: bool
    https: bool  # cookies Secure with the __Host- prefix, HSTS
    allowed_hosts: list[str]
    trusted_proxies: list[str]  # peers whose X-Forwarded-For we believe
    body_read_timeout: int = 30  # seconds a request body may stall (see portal.core.body)

    @classmethod
    def from_env(cls) -> ServerSettings:
        data_dir = Path(_env("DATA_DIR", "./data")).resolve()
        return cls(
            host=_env("HOST", "127.0.0.1"),
            port=_env_int("PORT", 8000),
            data_dir=data_dir,
            secret_key=_env("SECRET_KEY") or _persistent_secret(data_dir),
            debug=_env_bool("DEBUG", False),
            https=_env_bool("HTTPS", False),
            allowed_hosts=_env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"]),
            trusted_proxies=_env_list("TRUSTED_PROXIES", []),
            body_read_timeout=_env_int("BODY_READ_TIMEOUT", 30),
        )

    def get_config(self) -> CSRFConfig:
        """CSRF: the token is signed with the secret key; htmx sends it in one header."""
        return CSRFConfig(
            secret=self.secret_key,
            cookie_name="__Host-csrftoken" if self.https else "csrftoken",
            cookie_secure=self.https,
            cookie_httponly=True,
            header_name="x-csrftoken",
        )


@dataclass(frozen=True)
class DatabaseSettings:
    url: str
    echo: bool = False
    pool_size: int = 10  # a request holds at most one connection at a time
    max_overflow: int = 10
    pool_timeout: int = 30  # seconds to wait for a free connection

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @classmethod
    def from_env(cls, data_dir: Path) -> DatabaseSettings:
        default = f"sqlite+aiosqlite:///{data_dir / 'portal.sqlite3'}"
        return cls(
            url=_env("DATABASE_URL", default),
            echo=_env_bool("DATABASE_ECHO", False),
            pool_size=_env_int("DATABASE_POOL_SIZE", 10),
            max_overflow=_env_int("DATABASE_MAX_OVERFLOW", 10),
        )


@dataclass(frozen=True)
class RedisSettings:
    url: str | None  # None: the embedded default (database store, jobs in-process)

    @classmethod
    def from_env(cls) -> RedisSettings:
        return cls(url=_env("REDIS_URL"))

    def get_config(self) -> ArqRedisSettings | None:
        """arq's connection settings (the worker and the queue adapter); None when embedded."""
        from arq.connections import RedisSettings as ArqRedisSettings

        return ArqRedisSettings.from_dsn(self.url) if self.url else None


@dataclass(frozen=True)
class SessionSettings:
    idle_timeout: int  # seconds without a request
    absolute_timeout: int  # seconds since login
    cookie_name: str
    secure: bool = False  # HTTPS only

    @classmethod
    def from_env(cls, https: bool) -> SessionSettings:
        return cls(
            idle_timeout=_env_int("SESSION_IDLE_TIMEOUT", 2 * 3600),
            absolute_timeout=_env_int("SESSION_ABSOLUTE_TIMEOUT", 7 * 24 * 3600),
            cookie_name="__Host-session" if https else "session",
            secure=https,
        )


@dataclass(frozen=True)
class AuthSettings:
    account_failures: int  # wrong passwords per account per window
    address_failures: int  # wrong passwords per client address per window
    window_seconds: int
    argon2_time_cost: int
    argon2_memory_kib: int
    argon2_parallelism: int
    concurrent_hashes: int  # argon2 hashes computed at once per process
    # Per hour: registrations and password-reset requests from one client address; mails of one
    # kind (reset links, sign-up notices) to one account.
    address_registrations: int = 10
    address_reset_requests: int = 20
    account_mails: int = 3

    @classmethod
    def from_env(cls) -> AuthSettings:
        return cls(
            account_failures=_env_int("LOGIN_ACCOUNT_FAILURES", 5),
            address_failures=_env_int("LOGIN_ADDRESS_FAILURES", 50),
            window_seconds=_env_int("LOGIN_WINDOW_SECONDS", 15 * 60),
            argon2_time_cost=_env_int("ARGON2_TIME_COST", 2),
            argon2_memory_kib=_env_int("ARGON2_MEMORY_KIB", 19 * 1024),
            argon2_parallelism=_env_int("ARGON2_PARALLELISM", 1),
            concurrent_hashes=_env_int("CONCURRENT_HASHES", 4),
            address_registrations=_env_int("REGISTER_ADDRESS_LIMIT", 10),
            address_reset_requests=_env_int("RESET_ADDRESS_LIMIT", 20),
            account_mails=_env_int("ACCOUNT_MAIL_LIMIT", 3),
        )


DEFAULT_STAGE_MAP = (
    "NEW=submitted,PREPARATION=in_review,PREPAYMENT_INVOICE=awaiting_payment,EXECUTING=in_production,"
    "FINAL_INVOICE=shipped,WON=completed,LOSE=cancelled,APOLOGY=cancelled"
)


def parse_stage_map(raw: str) -> dict[str, str]:
    """"NEW=submitted,C1:WON=completed" → {"NEW": "submitted", "C1:WON": "completed"}."""
    pairs = (item.split("=", 1) for item in raw.split(",") if "=" in item)
    return {stage.strip(): status.strip() for stage, status in pairs if stage.strip() and status.strip()}


@dataclass(frozen=True)
class BitrixSettings:
    """Bitrix24: off unless the inbound-webhook URL is set (outbox rows then wait as pending)."""

    webhook_url: str | None = None  # https://<portal>/rest/<user>/<code>/
    app_token: str | None = None  # the outbound webhook's application token (inbound events)
    rate: float = 1.9  # requests per second, under the portal's 2
    burst: int = 40  # under the portal's 50
    max_attempts: int = 10  # then the row is dead and waits for staff
    lease_seconds: int = 120  # one attempt's time limit; a crashed worker's row is free again after it
    originator: str = "portal"  # ORIGINATOR_ID on everything we create; ORIGIN_ID is our id
    lead_source: str = "WEB"
    preset_company: int = 1  # crm.requisite.preset.list: "Организация"
    preset_entrepreneur: int = 3  # "ИП"
    stage_map: dict[str, str] = field(default_factory=lambda: parse_stage_map(DEFAULT_STAGE_MAP))
    invoice_stages: tuple[str, ...] = ("PREPAYMENT_INVOICE", "FINAL_INVOICE")
    invoice_template_id: int | None = None  # document generator template for the invoice PDF
    deal_category: int = 0  # the pipeline our deals go to (its stages are "C<n>:…")
    sent_retention_days: int = 30  # sent rows leave the sync queue after this (failed and dead ones stay)

    @property
    def enabled(self) -> bool:
        return bool(self.webhook_url)

    @classmethod
    def from_env(cls) -> BitrixSettings:
        template = _env("BITRIX_INVOICE_TEMPLATE_ID")
        return cls(
            webhook_url=_env("BITRIX_WEBHOOK_URL"),
            app_token=_env("BITRIX_APP_TOKEN"),
            rate=float(_env("BITRIX_RATE", "1.9")),
            burst=_env_int("BITRIX_BURST", 40),
            max_attempts=_env_int("BITRIX_MAX_ATTEMPTS", 10),
            lease_seconds=_env_int("BITRIX_LEASE_SECONDS", 120),
            originator=_env("BITRIX_ORIGINATOR", "portal"),
            lead_source=_env("BITRIX_LEAD_SOURCE", "WEB"),
            preset_company=_env_int("BITRIX_PRESET_COMPANY", 1),
            preset_entrepreneur=_env_int("BITRIX_PRESET_ENTREPRENEUR", 3),
            stage_map=parse_stage_map(_env("BITRIX_STAGE_MAP", DEFAULT_STAGE_MAP)),
            invoice_stages=tuple(_env_list("BITRIX_INVOICE_STAGES", ["PREPAYMENT_INVOICE", "FINAL_INVOICE"])),
            invoice_template_id=int(template) if template else None,
            deal_category=_env_int("BITRIX_DEAL_CATEGORY", 0),
            sent_retention_days=max(1, _env_int("BITRIX_SENT_RETENTION_DAYS", 30)),
        )


@dataclass(frozen=True)
class MailSettings:
    smtp_url: str | None  # smtp://user:password@host:587 (STARTTLS when offered) or smtps://…:465
    sender: str  # the From address
    site_url: str | None  # where links in mail and deals point; None (embedded only): see Settings.site_url
    timeout: int  # seconds for one SMTP conversation

    @classmethod
    def from_env(cls) -> MailSettings:
        return cls(
            smtp_url=_env("SMTP_URL"),
            sender=_env("MAIL_FROM", "Manufacturing portal <portal@localhost>"),
            site_url=(_env("SITE_URL") or "").rstrip("/") or None,
            timeout=_env_int("SMTP_TIMEOUT", 30),
        )


@dataclass(frozen=True)
class StorageSettings:
    """Where uploaded models and their previews live: a folder, or an S3-compatible bucket."""

    root: Path  # local disk (also the temporary folder for uploads in progress)
    s3_bucket: str | None = None  # set: objects go to this bucket instead of `root`
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_access_key: str | None = None
    s3_secret_key: str | None = None

    @classmethod
    def from_env(cls, data_dir: Path) -> StorageSettings:
        return cls(
            root=Path(_env("STORAGE_DIR", str(data_dir / "storage"))).resolve(),
            s3_bucket=_env("S3_BUCKET"),
            s3_endpoint_url=_env("S3_ENDPOINT_URL"),
            s3_region=_env("S3_REGION"),
            s3_access_key=_env("S3_ACCESS_KEY"),
            s3_secret_key=_env("S3_SECRET_KEY"),
        )


@dataclass(frozen=True)
class UploadSettings:
    max_file_bytes: int  # per model file
    max_files: int  # per upload
    anonymous_days: int  # an unclaimed anonymous upload is deleted after this
    address_uploads: int  # anonymous uploads per client address per window
    session_uploads: int  # anonymous uploads per visitor session per window
    window_seconds: int
    account_uploads: int = 200  # uploads per account per hour
    account_quota_mb: int = 2048  # stored per account (staff may set another for one account)
    account_quota_files: int = 500
    failed_days: int = 7  # a file whose analysis failed is deleted after this

    @classmethod
    def from_env(cls) -> UploadSettings:
        return cls(
            max_file_bytes=_env_int("UPLOAD_MAX_MB", 100) * 1024 * 1024,
            max_files=_env_int("UPLOAD_MAX_FILES", 20),
            anonymous_days=_env_int("ANONYMOUS_UPLOAD_DAYS", 7),
            address_uploads=_env_int("ANONYMOUS_UPLOADS_PER_ADDRESS", 100),
            session_uploads=_env_int("ANONYMOUS_UPLOADS_PER_SESSION", 40),
            window_seconds=_env_int("ANONYMOUS_UPLOAD_WINDOW_SECONDS", 3600),
            account_uploads=_env_int("ACCOUNT_UPLOADS_PER_HOUR", 200),
            account_quota_mb=_env_int("ACCOUNT_QUOTA_MB", 2048),
            account_quota_files=_env_int("ACCOUNT_QUOTA_FILES", 500),
            failed_days=max(1, _env_int("FAILED_UPLOAD_DAYS", 7)),
        )


@dataclass(frozen=True)
class AnalysisSettings:
    """Limits of the sandboxed child that reads one model (see geometry.sandbox)."""

    memory_mb: int
    cpu_seconds: int
    wall_seconds: int
    # PrusaSlicer's command line (a name on PATH or a path); slices run under the limits above.
    # Missing: FDM prices stay estimates, and say so.
    slicer_path: str = "prusa-slicer"

    @classmethod
    def from_env(cls) -> AnalysisSettings:
        return cls(
            memory_mb=_env_int("ANALYSIS_MEMORY_MB", 3072),
            cpu_seconds=_env_int("ANALYSIS_CPU_SECONDS", 120),
            wall_seconds=_env_int("ANALYSIS_WALL_SECONDS", 120),
            slicer_path=_env("SLICER_PATH", "prusa-slicer") or "prusa-slicer",
        )


@dataclass(frozen=True)
class PaymentSettings:
    """Payments: when an unpaid order counts as overdue, and YooKassa card payments (off unless
    the shop id and secret key are set)."""

    overdue_days: int = 7  # awaiting payment longer than this: "overdue" in the staff list
    yookassa_shop_id: str | None = None
    yookassa_secret_key: str | None = None
    yookassa_api_url: str = "https://api.yookassa.ru/v3/"
    yookassa_timeout: float = 15.0  # seconds for one request
    yookassa_attempts: int = 4  # one request with its retries on 429 and 5xx
    yookassa_receipts: bool = False  # send a 54-FZ receipt with each payment and refund (the shop's settings ask)

    @property
    def yookassa_enabled(self) -> bool:
        return bool(self.yookassa_shop_id and self.yookassa_secret_key)

    @classmethod
    def from_env(cls) -> PaymentSettings:
        return cls(
            overdue_days=max(1, _env_int("PAYMENT_OVERDUE_DAYS", 7)),
            yookassa_shop_id=_env("YOOKASSA_SHOP_ID"),
            yookassa_secret_key=_env("YOOKASSA_SECRET_KEY"),
            yookassa_api_url=_env("YOOKASSA_API_URL", "https://api.yookassa.ru/v3/").rstrip("/") + "/",
            yookassa_timeout=float(_env("YOOKASSA_TIMEOUT", "15")),
            yookassa_attempts=max(1, _env_int("YOOKASSA_ATTEMPTS", 4)),
            yookassa_receipts=_env_bool("YOOKASSA_RECEIPTS", False),
        )


@dataclass(frozen=True)
class Settings:
    server: ServerSettings
    database: DatabaseSettings
    redis: RedisSettings
    session: SessionSettings
    auth: AuthSettings
    mail: MailSettings
    storage: StorageSettings
    uploads: UploadSettings
    analysis: AnalysisSettings
    bitrix: BitrixSettings = field(default_factory=BitrixSettings)
    payments: PaymentSettings = field(default_factory=PaymentSettings)

    @property
    def site_url(self) -> str:
        """Where links in mail and Bitrix24 deals point: PORTAL_SITE_URL, which services mode
        requires (see `check`); the embedded default falls back to the address it listens on."""
        return self.mail.site_url or f"http://{self.server.host}:{self.server.port}"

    def check(self) -> None:
        """What must be right before the app or the worker starts. In services mode no link in
        mail is built from a request's Host header, so the public address must be given."""
        if self.redis.url and not self.mail.site_url:
            raise SettingsError(
                "PORTAL_SITE_URL is not set: services mode (PORTAL_REDIS_URL) needs the public address"
                " that links in mail point to, e.g. https://portal.example.com"
            )

    @classmethod
    def from_env(cls) -> Settings:
        load_dotenv(override=False)
        server = ServerSettings.from_env()
        return cls(
            server=server,
            database=DatabaseSettings.from_env(server.data_dir),
            redis=RedisSettings.from_env(),
            session=SessionSettings.from_env(server.https),
            auth=AuthSettings.from_env(),
            mail=MailSettings.from_env(),
            storage=StorageSettings.from_env(server.data_dir),
            uploads=UploadSettings.from_env(),
            analysis=AnalysisSettings.from_env(),
            bitrix=BitrixSettings.from_env(),
            payments=PaymentSettings.from_env(),
        )


class SettingsError(SystemExit):
    """A setting is missing or wrong: the process stops with this one line (it names the
    variable), not with a traceback, whichever command started it (uvicorn, arq, `portal`)."""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
