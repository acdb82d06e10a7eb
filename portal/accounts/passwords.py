"""argon2id hashing, bounded per process: one hash holds tens of MiB of memory."""

from __future__ import annotations

import anyio
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from portal.config import AuthSettings

MIN_LENGTH = 8
MAX_LENGTH = 1024


class Passwords:
    def __init__(self, settings: AuthSettings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
            type=Type.ID,
        )
        self._slots = anyio.Semaphore(settings.concurrent_hashes)
        self._dummy_hash: str | None = None

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await anyio.to_thread.run_sync(self._hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        async with self._slots:
            return await anyio.to_thread.run_sync(self._verify_sync, password_hash, password)

    def _verify_sync(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True

    async def burn_time(self, password: str) -> None:
        """Spend what a real check would, so that an unknown e-mail answers as slowly as a known one."""
        if self._dummy_hash is None:
            self._dummy_hash = await self.hash("not the password of anyone")
        await self.verify(self._dummy_hash, password)
