"""Housekeeping: expired sessions and login counters leave the database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete

from portal.db.models import KeyValueItem, LoginFailureCounter


async def purge_expired(ctx: dict[str, Any]) -> int:
    now = datetime.now(UTC)
    async with ctx["sessionmaker"]() as db:
        sessions = await db.execute(delete(KeyValueItem).where(KeyValueItem.expires_at <= now))
        counters = await db.execute(
            delete(LoginFailureCounter).where(LoginFailureCounter.window_ends_at <= now)
        )
        await db.commit()
    return (sessions.rowcount or 0) + (counters.rowcount or 0)
