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
from dataclasses import dataclass

from portal.config import AuthSettings
from portal.core.throttle import AttemptCounter, RateLimit

BUSY_SECONDS = 2  # what an attempt beyond those under way is asked to wait


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
