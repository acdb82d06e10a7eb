"""Counters for throttles, atomic in both runtime modes: in Redis (services mode), or one database
row per key bumped by a single upsert (the embedded default). Count first, then decide, so a burst
of simultaneous requests cannot slip past a limit. The login throttle, the upload throttle and the
call-request limits all count here.
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta
from typing import Protocol

from redis.asyncio import Redis
from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from portal.db.models import LoginFailureCounter
from portal.db.unit_of_work import commit_now

PREFIX = "login-failures:"  # the first counters' name, kept so that windows running at an upgrade go on


def attempt_counter(redis: Redis | None, db_session: AsyncSession) -> AttemptCounter:
    """Counters in Redis in services mode; in the embedded default on the request's own session."""
    return RedisAttemptCounter(redis) if redis is not None else DatabaseAttemptCounter(db_session)


class AttemptCounter(Protocol):
    async def add(self, keys: list[str], window_seconds: int, amount: int | list[int] = 1) -> list[int]:
        """Count one attempt (or `amount`, or one amount per key; 0 reads) on each key, in one
        atomic step; the counts within the current windows, these included, in the order of the
        keys."""

    async def give_back(self, keys: list[str]) -> None:
        """Take one attempt off each count (a success is not a failure)."""

    async def seconds_left(self, key: str) -> float:
        """How long the key's current window still runs (0 when there is none)."""

    async def clear(self, key: str) -> None:
        """Forget the key's count."""


class RedisAttemptCounter:
    _GIVE_BACK = (
        "for _, key in ipairs(KEYS) do "
        "if redis.call('exists', key) == 1 then redis.call('decr', key) end end return 0"
    )

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def add(self, keys: list[str], window_seconds: int, amount: int | list[int] = 1) -> list[int]:
        async with self._redis.pipeline(transaction=True) as pipe:
            for key, each in zip(keys, _amounts(keys, amount), strict=True):
                pipe.incrby(f"{PREFIX}{key}", each)
                pipe.expire(f"{PREFIX}{key}", window_seconds, nx=True)
            results = await pipe.execute()
        return [int(count) for count in results[::2]]

    async def seconds_left(self, key: str) -> float:
        return max(0, int(await self._redis.pttl(f"{PREFIX}{key}"))) / 1000

    async def clear(self, key: str) -> None:
        await self._redis.delete(f"{PREFIX}{key}")

    async def give_back(self, keys: list[str]) -> None:
        # a script, so that a key whose window just ended is not recreated without an expiry
        await self._redis.eval(self._GIVE_BACK, len(keys), *(f"{PREFIX}{key}" for key in keys))


class DatabaseAttemptCounter:
    """The embedded default: one row per key, bumped by a single upsert that returns the counts.

    It works on the request's own database session (one connection per request). A count commits
    at once (commit_now): a refused login answers 422, and that response rolls the request's
    transaction back, but the count must stay.
    """

    def __init__(self, db: AsyncSession) -> None:
        self._db = db

    async def add(self, keys: list[str], window_seconds: int, amount: int | list[int] = 1) -> list[int]:
        now = datetime.now(UTC)
        window_ends = now + timedelta(seconds=window_seconds)
        insert = postgresql_insert if self._db.bind.dialect.name == "postgresql" else sqlite_insert
        ended = LoginFailureCounter.window_ends_at <= now  # the stored row's window
        rows = insert(LoginFailureCounter).values([
            {"id": uuid.uuid4(), "key": key, "failures": each, "window_ends_at": window_ends,
             "created_at": now, "updated_at": now}
            for key, each in zip(keys, _amounts(keys, amount), strict=True)
        ])
        added = rows.excluded.failures  # this key's amount
        statement = (
            rows
            .on_conflict_do_update(
                index_elements=[LoginFailureCounter.key],
                set_={
                    "failures": case((ended, added), else_=LoginFailureCounter.failures + added),
                    "window_ends_at": case((ended, window_ends), else_=LoginFailureCounter.window_ends_at),
                    "updated_at": now,
                },
            )
            .returning(LoginFailureCounter.key, LoginFailureCounter.failures)
        )
        counts = dict((await self._db.execute(statement)).tuples().all())
        await commit_now(self._db)
        return [counts[key] for key in keys]

    async def give_back(self, keys: list[str]) -> None:
        """Committed at once, like a count: whatever the request answers, the place it took is free."""
        await self._db.execute(
            update(LoginFailureCounter)
            .where(LoginFailureCounter.key.in_(keys), LoginFailureCounter.failures > 0)
            .values(failures=LoginFailureCounter.failures - 1)
        )
        await commit_now(self._db)

    async def seconds_left(self, key: str) -> float:
        ends = await self._db.scalar(
            select(LoginFailureCounter.window_ends_at).where(LoginFailureCounter.key == key)
        )
        return max(0.0, (ends - datetime.now(UTC)).total_seconds()) if ends else 0.0

    async def clear(self, key: str) -> None:
        await self._db.execute(delete(LoginFailureCounter).where(LoginFailureCounter.key == key))
        await commit_now(self._db)


def _amounts(keys: list[str], amount: int | list[int]) -> list[int]:
    return amount if isinstance(amount, list) else [amount] * len(keys)


class RateLimit:
    """At most `limit` events per key within a window, counted first like the login attempts."""

    def __init__(self, counter: AttemptCounter, name: str, limit: int, window_seconds: int) -> None:
        self._counter = counter
        self._name = name
        self._limit = limit
        self._window = window_seconds

    async def wait_seconds(self, key: str) -> int:
        """Count this event: 0 when it may go ahead, else the whole seconds until one may."""
        name = f"{self._name}:{key}"
        [count] = await self._counter.add([name], self._window)
        if count <= self._limit:
            return 0
        return max(1, math.ceil(await self._counter.seconds_left(name)))
