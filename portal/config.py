"""Settings read once from PORTAL_* environment variables (and an optional .env file).

One dataclass per concern. Each setting is declared once, as a field: `setting("PORT", 8000)` is
the field's default and the variable `PORTAL_PORT` that overrides it; `from_environment(cls)`
reads every such field, converting by the field's type. The CSRF and arq configs are built here
(`get_config()`); the database and session configs where they are used (portal/db/config.py,
portal/accounts/sessions.py). `create_app()`, the worker and the CLI ask these for their configs
instead of building their own.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from dotenv import load_dotenv
from litestar.config.csrf import CSRFConfig

if TYPE_CHECKING:
    from arq.connections import RedisSettings as ArqRedisSettings

T = TypeVar("T")
MIB = 1024 * 1024


class SettingsError(SystemExit):
    """A setting is missing or wrong: the process stops with this one line (it names the
    variable), not with a traceback, whichever command started it (uvicorn, arq, `portal`)."""


def setting(env: str, default: Any = MISSING, *, parse: Callable[[str], Any] | None = None,
            minimum: float | None = None) -> Any:
    """A field that `PORTAL_<env>` overrides. `parse` turns the variable's text into the value
    (by default, the field's type decides); `minimum` is the smallest value taken."""
    metadata = {"env": env, "parse": parse, "minimum": minimum}
    if isinstance(default, list | dict):
        return field(default_factory=lambda: type(default)(default), metadata=metadata)
    return field(default=default, metadata=metadata)


def _flag(raw: str) -> bool:
    return raw.lower() in {"1", "true", "yes", "on"}


def _items(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


PARSERS: dict[str, Callable[[str], Any]] = {
    "int": int,
    "int | None": int,
    "float": float,
    "bool": _flag,
    "str": str,
    "str | None": str,
    "Path": lambda raw: Path(raw).resolve(),
    "list[str]": _items,
    "tuple[str, ...]": lambda raw: tuple(_items(raw)),
}


def environment_name(declared: Any) -> str | None:
    """`PORTAL_<name>` for a field declared with `setting()`, None for the others."""
    env = declared.metadata.get("env")
    return f"PORTAL_{env}" if env else None


def from_environment(cls: type[T], **given: Any) -> T:
    """`cls` with each setting from its variable when that is set and not empty; otherwise from
    `given` (defaults that depend on other settings, such as paths under the data folder), and
    otherwise the declared default."""
    values = dict(given)
    for declared in fields(cls):  # type: ignore[arg-type]
        name = environment_name(declared)
        raw = os.environ.get(name) if name else None
        if raw is None or raw == "":
            continue
        parse = declared.metadata["parse"] or PARSERS[str(declared.type)]
        try:
            value = parse(raw)
        except ValueError:
            raise SettingsError(f"{name}={raw!r} is not a valid {declared.type}") from None
        if declared.metadata["minimum"] is not None:
            value = max(declared.metadata["minimum"], value)
        values[declared.name] = value
    return cls(**values)


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
    host: str = setting("HOST", "127.0.0.1")
    port: int = setting("PORT", 8000)
    data_dir: Path = setting("DATA_DIR", Path("data"))  # resolved when read
    secret_key: str = setting("SECRET_KEY", "")  # empty: generated once into the data folder
    debug: bool = setting("DEBUG", False)
    https: bool = setting("HTTPS", False)  # cookies Secure with the __Host- prefix, HSTS
    allowed_hosts: list[str] = setting("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
    trusted_proxies: list[str] = setting("TRUSTED_PROXIES", [])  # peers whose X-Forwarded-For we believe
    body_read_timeout: int = setting("BODY_READ_TIMEOUT", 30)  # seconds a body may stall (portal.core.body)

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
    url: str = setting("DATABASE_URL")  # the embedded default: SQLite under the data folder
    echo: bool = setting("DATABASE_ECHO", False)
    pool_size: int = setting("DATABASE_POOL_SIZE", 10)  # a request holds at most one connection at a time
    max_overflow: int = setting("DATABASE_MAX_OVERFLOW", 10)
    pool_timeout: int = 30  # seconds to wait for a free connection

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")


@dataclass(frozen=True)
class RedisSettings:
    url: str | None = setting("REDIS_URL", None)  # None: the embedded default (database store, jobs in-process)

    def get_config(self) -> ArqRedisSettings | None:
        """arq's connection settings (the worker and the queue adapter); None when embedded."""
        from arq.connections import RedisSettings as ArqRedisSettings

        return ArqRedisSettings.from_dsn(self.url) if self.url else None


@dataclass(frozen=True)
class SessionSettings:
    idle_timeout: int = setting("SESSION_IDLE_TIMEOUT", 2 * 3600)  # seconds without a request
    absolute_timeout: int = setting("SESSION_ABSOLUTE_TIMEOUT", 7 * 24 * 3600)  # seconds since login
    cookie_name: str = "session"  # "__Host-session" behind HTTPS
    secure: bool = False  # HTTPS only


@dataclass(frozen=True)
class AuthSettings:
    account_failures: int = setting("LOGIN_ACCOUNT_FAILURES", 5)  # wrong passwords per account per window
    address_failures: int = setting("LOGIN_ADDRESS_FAILURES", 50)  # … per client address per window
    window_seconds: int = setting("LOGIN_WINDOW_SECONDS", 15 * 60)
    argon2_time_cost: int = setting("ARGON2_TIME_COST", 2)
    argon2_memory_kib: int = setting("ARGON2_MEMORY_KIB", 19 * 1024)
    argon2_parallelism: int = setting("ARGON2_PARALLELISM", 1)
    concurrent_hashes: int = setting("CONCURRENT_HASHES", 4)  # argon2 hashes computed at once per process
    # Per hour: registrations and password-reset requests from one client address; mails of one
    # kind (reset links, sign-up notices) to one account.
    address_registrations: int = setting("REGISTER_ADDRESS_LIMIT", 10)
    address_reset_requests: int = setting("RESET_ADDRESS_LIMIT", 20)
    account_mails: int = setting("ACCOUNT_MAIL_LIMIT", 3)


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

    webhook_url: str | None = setting("BITRIX_WEBHOOK_URL", None)  # https://<portal>/rest/<user>/<code>/
    app_token: str | None = setting("BITRIX_APP_TOKEN", None)  # the outbound webhook's token (inbound events)
    rate: float = setting("BITRIX_RATE", 1.9)  # requests per second, under the portal's 2
    burst: int = setting("BITRIX_BURST", 40)  # under the portal's 50
    max_attempts: int = setting("BITRIX_MAX_ATTEMPTS", 10)  # then the row is dead and waits for staff
    # One attempt's time limit; a crashed worker's row is free again after it.
    lease_seconds: int = setting("BITRIX_LEASE_SECONDS", 120)
    originator: str = setting("BITRIX_ORIGINATOR", "portal")  # ORIGINATOR_ID on what we create; ORIGIN_ID is our id
    lead_source: str = setting("BITRIX_LEAD_SOURCE", "WEB")
    preset_company: int = setting("BITRIX_PRESET_COMPANY", 1)  # crm.requisite.preset.list: "Организация"
    preset_entrepreneur: int = setting("BITRIX_PRESET_ENTREPRENEUR", 3)  # "ИП"
    stage_map: dict[str, str] = setting(
        "BITRIX_STAGE_MAP", parse_stage_map(DEFAULT_STAGE_MAP), parse=parse_stage_map
    )
    invoice_stages: tuple[str, ...] = setting("BITRIX_INVOICE_STAGES", ("PREPAYMENT_INVOICE", "FINAL_INVOICE"))
    invoice_template_id: int | None = setting("BITRIX_INVOICE_TEMPLATE_ID", None)  # document generator template
    deal_category: int = setting("BITRIX_DEAL_CATEGORY", 0)  # the pipeline our deals go to (stages "C<n>:…")
    # Sent rows leave the sync queue after this (failed and dead ones stay).
    sent_retention_days: int = setting("BITRIX_SENT_RETENTION_DAYS", 30, minimum=1)

    @property
    def enabled(self) -> bool:
        return bool(self.webhook_url)


@dataclass(frozen=True)
class MailSettings:
    # smtp://user:password@host:587 (STARTTLS when offered) or smtps://…:465; None: files in the outbox
    smtp_url: str | None = setting("SMTP_URL", None)
    sender: str = setting("MAIL_FROM", "Manufacturing portal <portal@localhost>")  # the From address
    # Where links in mail and deals point; None (embedded only): see Settings.site_url.
    site_url: str | None = setting("SITE_URL", None, parse=lambda raw: raw.rstrip("/") or None)
    timeout: int = setting("SMTP_TIMEOUT", 30)  # seconds for one SMTP conversation


@dataclass(frozen=True)
class StorageSettings:
    """Where uploaded models and their previews live: a folder, or an S3-compatible bucket."""

    root: Path = setting("STORAGE_DIR")  # local disk (also uploads in progress); default under the data folder
    s3_bucket: str | None = setting("S3_BUCKET", None)  # set: objects go to this bucket instead of `root`
    s3_endpoint_url: str | None = setting("S3_ENDPOINT_URL", None)
    s3_region: str | None = setting("S3_REGION", None)
    s3_access_key: str | None = setting("S3_ACCESS_KEY", None)
    s3_secret_key: str | None = setting("S3_SECRET_KEY", None)


@dataclass(frozen=True)
class UploadSettings:
    max_file_bytes: int = setting("UPLOAD_MAX_MB", 100 * MIB, parse=lambda raw: int(raw) * MIB)  # per model file
    max_files: int = setting("UPLOAD_MAX_FILES", 20)  # per upload
    anonymous_days: int = setting("ANONYMOUS_UPLOAD_DAYS", 7)  # an unclaimed anonymous upload is deleted after this
    address_uploads: int = setting("ANONYMOUS_UPLOADS_PER_ADDRESS", 100)  # per client address per window
    session_uploads: int = setting("ANONYMOUS_UPLOADS_PER_SESSION", 40)  # per visitor session per window
    window_seconds: int = setting("ANONYMOUS_UPLOAD_WINDOW_SECONDS", 3600)
    account_uploads: int = setting("ACCOUNT_UPLOADS_PER_HOUR", 200)  # uploads per account per hour
    account_quota_mb: int = setting("ACCOUNT_QUOTA_MB", 2048)  # stored per account (staff may set another)
    account_quota_files: int = setting("ACCOUNT_QUOTA_FILES", 500)
    failed_days: int = setting("FAILED_UPLOAD_DAYS", 7, minimum=1)  # a failed file is deleted after this


@dataclass(frozen=True)
class AnalysisSettings:
    """Limits of the sandboxed child that reads one model (see geometry.sandbox)."""

    memory_mb: int = setting("ANALYSIS_MEMORY_MB", 3072)
    cpu_seconds: int = setting("ANALYSIS_CPU_SECONDS", 120)
    wall_seconds: int = setting("ANALYSIS_WALL_SECONDS", 120)
    # PrusaSlicer's command line (a name on PATH or a path); slices run under the limits above.
    # Missing: FDM prices stay estimates, and say so.
    slicer_path: str = setting("SLICER_PATH", "prusa-slicer")


@dataclass(frozen=True)
class PaymentSettings:
    """Payments: when an unpaid order counts as overdue, and YooKassa card payments (off unless
    the shop id and secret key are set)."""

    # Awaiting payment longer than this: "overdue" in the staff list.
    overdue_days: int = setting("PAYMENT_OVERDUE_DAYS", 7, minimum=1)
    yookassa_shop_id: str | None = setting("YOOKASSA_SHOP_ID", None)
    yookassa_secret_key: str | None = setting("YOOKASSA_SECRET_KEY", None)
    yookassa_api_url: str = setting(
        "YOOKASSA_API_URL", "https://api.yookassa.ru/v3/", parse=lambda raw: raw.rstrip("/") + "/"
    )
    yookassa_timeout: float = setting("YOOKASSA_TIMEOUT", 15.0)  # seconds for one request
    yookassa_attempts: int = setting("YOOKASSA_ATTEMPTS", 4, minimum=1)  # one request with its retries on 429 and 5xx
    # Send a 54-FZ receipt with each payment and refund (the shop's settings ask).
    yookassa_receipts: bool = setting("YOOKASSA_RECEIPTS", False)

    @property
    def yookassa_enabled(self) -> bool:
        return bool(self.yookassa_shop_id and self.yookassa_secret_key)


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
        server = from_environment(ServerSettings)
        server = replace(server, data_dir=server.data_dir.resolve())
        if not server.secret_key:
            server = replace(server, secret_key=_persistent_secret(server.data_dir))
        return cls(
            server=server,
            database=from_environment(
                DatabaseSettings, url=f"sqlite+aiosqlite:///{server.data_dir / 'portal.sqlite3'}"
            ),
            redis=from_environment(RedisSettings),
            session=from_environment(
                SessionSettings, cookie_name="__Host-session" if server.https else "session", secure=server.https
            ),
            auth=from_environment(AuthSettings),
            mail=from_environment(MailSettings),
            storage=from_environment(StorageSettings, root=(server.data_dir / "storage").resolve()),
            uploads=from_environment(UploadSettings),
            analysis=from_environment(AnalysisSettings),
            bitrix=from_environment(BitrixSettings),
            payments=from_environment(PaymentSettings),
        )

    @classmethod
    def declared(cls) -> list[str]:
        """Every `PORTAL_*` variable the settings read (the README documents each)."""
        groups = [declared.type for declared in fields(cls)]
        classes = [globals()[str(name)] for name in groups]
        return [name for group in classes for declared in fields(group) if (name := environment_name(declared))]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
