"""What the running app holds once: settings, the database, Redis, and the account helpers."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.connection import ASGIConnection
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import async_sessionmaker

from portal.accounts.passwords import Passwords
from portal.accounts.throttle import LoginThrottle
from portal.config import Settings
from portal.core.queue import JobQueue


@dataclass
class Runtime:
    settings: Settings
    sessionmaker: async_sessionmaker
    passwords: Passwords
    throttle: LoginThrottle
    redis: Redis | None
    queue: JobQueue


def provide_runtime(request: ASGIConnection) -> Runtime:
    return request.app.state.runtime
