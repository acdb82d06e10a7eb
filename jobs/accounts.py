"""Jobs of the accounts domain."""

from __future__ import annotations

from typing import Any

from jobs.context import unit_of_work
from portal.accounts.services import SessionService


async def purge_expired(ctx: dict[str, Any]) -> int:
    """Expired sessions (embedded default) and login counters leave the database."""
    async with unit_of_work(ctx, SessionService) as sessions:
        return await sessions.purge_expired()
