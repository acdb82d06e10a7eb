"""Failed-login counters per account and per client address, atomic in both runtime modes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from redis.asyncio import Redis
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from portal.config import AuthSettings
from portal.db.models import LoginFailureCounter


class FailureCounter(Protocol):
    async def count(self, key: str) -> int: ...
    async def add_failure(self, key: str, window_seconds: int) -> None: ...
    async def reset(self, key: str) -> None: ...


class RedisFailureCounter:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def count(self, key: str) -> int:
        return int(await self._redis.get(f"login-failures:{key}") or 0)

    async def add_failure(self, key: str, window_seconds: int) -> None:
        name = f"login-failures:{key}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, window_seconds, nx=True)
            await pipe.execute()

    async def reset(self, key: str) -> None:
        await self._redis.delete(f"login-failures:{key}")


class DatabaseFailureCounter:
    """The embedded default: one row per key, incremented in SQL so two requests cannot both miss.

    It works on the request's own database session (one connection per request) and commits its
    writes at once: a failed login answers 422, and that response rolls the request back.
    """

    def __init__(self, db: AsyncSession) -> None:
        self._db = db

    async def count(self, key: str) -> int:
        row = await self._db.scalar(select(LoginFailureCounter).where(LoginFailureCounter.key == key))
        if row is None or row.window_ends_at <= datetime.now(UTC):
            return 0
        return row.failures

    async def add_failure(self, key: str, window_seconds: int) -> None:
        now = datetime.now(UTC)
        fresh_window = now + timedelta(seconds=window_seconds)
        db = self._db
        await db.execute(
            delete(LoginFailureCounter).where(
                LoginFailureCounter.key == key, LoginFailureCounter.window_ends_at <= now
            )
        )
        bumped = await db.execute(
            update(LoginFailureCounter)
            .where(LoginFailureCounter.key == key)
            .values(failures=LoginFailureCounter.failures + 1)
        )
        if bumped.rowcount == 0:
            db.add(LoginFailureCounter(key=key, failures=1, window_ends_at=fresh_window))
        try:
            await db.commit()
        except IntegrityError:  # another request created the row first
            await db.rollback()
            await self.add_failure(key, window_seconds)

    async def reset(self, key: str) -> None:
        await self._db.execute(delete(LoginFailureCounter).where(LoginFailureCounter.key == key))
        await self._db.commit()


class LoginThrottle:
    def __init__(self, counter: FailureCounter, settings: AuthSettings) -> None:
        self._counter = counter
        self._account_limit = settings.account_failures
        self._address_limit = settings.address_failures
        self._window = settings.window_seconds

    async def is_blocked(self, email: str, address: str) -> bool:
        return (
            await self._counter.count(f"account:{email}") >= self._account_limit
            or await self._counter.count(f"address:{address}") >= self._address_limit
        )

    async def record_failure(self, email: str, address: str) -> None:
        await self._counter.add_failure(f"account:{email}", self._window)
        await self._counter.add_failure(f"address:{address}", self._window)

    async def record_success(self, email: str) -> None:
        await self._counter.reset(f"account:{email}")
