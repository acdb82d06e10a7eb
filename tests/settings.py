"""Settings for tests: real PostgreSQL and Redis (services mode) or SQLite (embedded default)."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from portal.config import (
    AnalysisSettings,
    AuthSettings,
    DatabaseSettings,
    MailSettings,
    RedisSettings,
    ServerSettings,
    SessionSettings,
    Settings,
    StorageSettings,
    UploadSettings,
)

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
SITE_URL = "http://testserver.local"  # services mode requires PORTAL_SITE_URL; the test client's address


def make_settings(
    database_url: str, redis_url: str | None, data_dir: Path, smtp_url: str | None = None, **auth
) -> Settings:
    server = ServerSettings(
        host="127.0.0.1",
        port=8000,
        data_dir=data_dir,
        secret_key="test-secret-key-that-is-long-enough-0123456789",
        debug=False,
        https=False,
        allowed_hosts=["testserver.local", "testserver", "127.0.0.1", "localhost"],
        trusted_proxies=[],
    )
    # Cheap argon2 parameters keep the suite fast; production uses OWASP's floor or above.
    auth_settings = replace(
        AuthSettings(), argon2_time_cost=1, argon2_memory_kib=1024, **auth
    )
    return Settings(
        server=server,
        database=DatabaseSettings(url=database_url),
        redis=RedisSettings(url=redis_url),
        session=SessionSettings(idle_timeout=3600, absolute_timeout=86400, cookie_name="session"),
        auth=auth_settings,
        mail=MailSettings(
            smtp_url=smtp_url, sender="Portal <portal@example.com>", site_url=SITE_URL if redis_url else None,
            timeout=10,
        ),
        storage=StorageSettings(root=data_dir / "storage"),
        uploads=UploadSettings(),
        analysis=AnalysisSettings(memory_mb=3072, cpu_seconds=60, wall_seconds=60),
    )
