"""Requests that count rows and then add one take turns, so a burst cannot pass a limit.

PostgreSQL: the transaction takes an advisory lock named after what is counted, held until it
ends. SQLite lets one writer at a time, and a count taken after the write, in the same
transaction, sees every committed row: so callers write first, then count what is there.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession


async def take_turns(session: AsyncSession, name: str) -> None:
    """Wait until no other transaction holds `name`; hold it until this one ends (PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(_lock_key(name))))


def _lock_key(name: str) -> int:
    digest = hashlib.sha256(name.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)  # advisory locks take a bigint
