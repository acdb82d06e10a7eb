"""Login attempts per account and per client address, counted atomically in both runtime modes.

Only an attempt that was judged and failed (a wrong password, no such account) counts, after the
judgement: an attempt that could not be judged (the database was down) or was refused counts
nothing, and the right password clears the account's failures. So that a burst of guesses sent at
once cannot all be judged before the first failure is counted, an attempt first takes a place
among those under way (one atomic step that also reads the failures); the failures plus the places
taken may not pass the limit. Those beyond it are told to try again in a moment, not locked out.
A place that a stopped process never freed lapses with its window.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from redis.asyncio import Redis
from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from portal.config import AuthSettings
from portal.db.models import LoginFailureCounter

BUSY_SECONDS = 2  # what an attempt beyond those under way is asked to wait


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
                pipe.incrby(f"login-failures:{key}", each)
                pipe.expire(f"login-failures:{key}", window_seconds, nx=True)
            results = await pipe.execute()
        return [int(count) for count in results[::2]]

    async def seconds_left(self, key: str) -> float:
        return max(0, int(await self._redis.pttl(f"login-failures:{key}"))) / 1000

    async def clear(self, key: str) -> None:
        await self._redis.delete(f"login-failures:{key}")

    async def give_back(self, keys: list[str]) -> None:
        # a script, so that a key whose window just ended is not recreated without an expiry
        await self._redis.eval(self._GIVE_BACK, len(keys), *(f"login-failures:{key}" for key in keys))


class DatabaseAttemptCounter:
    """The embedded default: one row per key, bumped by a single upsert that returns the counts.

    It works on the request's own database session (one connection per request). A count commits
    at once: a refused login answers 422, and that response rolls the request's transaction back.
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
        await self._db.commit()
        return [counts[key] for key in keys]

    async def give_back(self, keys: list[str]) -> None:
        """Committed at once, like a count: whatever the request answers, the place it took is free."""
        await self._db.execute(
            update(LoginFailureCounter)
            .where(LoginFailureCounter.key.in_(keys), LoginFailureCounter.failures > 0)
            .values(failures=LoginFailureCounter.failures - 1)
        )
        await self._db.commit()

    async def seconds_left(self, key: str) -> float:
        ends = await self._db.scalar(
            select(LoginFailureCounter.window_ends_at).where(LoginFailureCounter.key == key)
        )
        return max(0.0, (ends - datetime.now(UTC)).total_seconds()) if ends else 0.0

    async def clear(self, key: str) -> None:
        await self._db.execute(delete(LoginFailureCounter).where(LoginFailureCounter.key == key))
        await self._db.commit()


def _amounts(keys: list[str], amount: int | list[int]) -> list[int]:
    return amount if isinstance(amount, list) else [amount] * len(keys)


@dataclass(frozen=True)
class Turn:
    """What `LoginThrottle.take_turn` decided: go ahead (`wait` 0), or wait `wait` seconds, because
    the account or address is locked out (`locked`) or because enough attempts are under way."""

    email: str
    address: str
    wait: int = 0
    locked: bool = False


class LoginThrottle:
    def __init__(self, counter: AttemptCounter, settings: AuthSettings) -> None:
        self._counter = counter
        self._account_limit = settings.account_failures
        self._address_limit = settings.address_failures
        self._window = settings.window_seconds

    @staticmethod
    def _keys(email: str, address: str) -> list[str]:
        return [f"account:{email}", f"address:{address}"]

    @staticmethod
    def _under_way(email: str, address: str) -> list[str]:
        return [f"under-way:account:{email}", f"under-way:address:{address}"]

    async def take_turn(self, email: str, address: str) -> Turn:
        """Read the failures and take a place among the attempts under way, in one step. A turn
        that may go ahead must be ended by `failed`, `succeeded` or `undecided`."""
        keys, under_way = self._keys(email, address), self._under_way(email, address)
        counts = await self._counter.add(keys + under_way, self._window, [0, 0, 1, 1])
        failures, taken = counts[:2], counts[2:]
        limits = (self._account_limit, self._address_limit)
        locked = [key for key, count, limit in zip(keys, failures, limits, strict=True) if count >= limit]
        crowded = any(count + places > limit for count, places, limit in zip(failures, taken, limits, strict=True))
        if not locked and not crowded:
            return Turn(email, address)
        await self._counter.give_back(under_way)
        if not locked:
            return Turn(email, address, wait=BUSY_SECONDS)
        wait = max(1, *[math.ceil(await self._counter.seconds_left(key)) for key in locked])
        return Turn(email, address, wait=wait, locked=True)

    async def failed(self, turn: Turn) -> None:
        """A wrong password or no such account: one failure on each count (before the place is
        freed, so that failures and places never add up to less than they are)."""
        await self._counter.add(self._keys(turn.email, turn.address), self._window)
        await self._counter.give_back(self._under_way(turn.email, turn.address))

    async def succeeded(self, turn: Turn) -> None:
        """The right password: the account's failures are forgotten (the address's stay)."""
        await self._counter.clear(f"account:{turn.email}")
        await self._counter.give_back(self._under_way(turn.email, turn.address))

    async def undecided(self, turn: Turn) -> None:
        """The attempt could not be judged (the database failed): it counts nothing."""
        await self._counter.give_back(self._under_way(turn.email, turn.address))

    async def unlock(self, email: str) -> None:
        """The account's owner proved it another way (a reset link): its failures are forgotten."""
        await self._counter.clear(f"account:{email}")


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


@dataclass(frozen=True)
class AccountLimits:
    """Per hour: sign-ups and reset requests per client address; reset links and sign-up notices
    per account."""

    registrations: RateLimit
    reset_requests: RateLimit
    reset_mails: RateLimit
    registration_notices: RateLimit

    @classmethod
    def hourly(cls, counter: AttemptCounter, settings: AuthSettings) -> AccountLimits:
        return cls(
            registrations=RateLimit(counter, "register-address", settings.address_registrations, 3600),
            reset_requests=RateLimit(counter, "reset-address", settings.address_reset_requests, 3600),
            reset_mails=RateLimit(counter, "reset-account", settings.account_mails, 3600),
            registration_notices=RateLimit(counter, "register-account", settings.account_mails, 3600),
        )
