"""The state of the parts the portal needs: database, Redis and the job queue."""

from __future__ import annotations

import asyncio
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from portal.core.queue import QUEUE_NAME

TIMEOUT_SECONDS = 2.0


async def _database(db: AsyncSession) -> str:
    await db.execute(text("SELECT 1"))
    return "ok"


async def _redis(redis: Redis) -> str:
    await redis.ping()
    return "ok"


async def _queue(redis: Redis) -> str:
    """'ok' when a worker has reported in; the queue itself lives in Redis."""
    seen = await redis.get(f"{QUEUE_NAME}:health-check")
    return "ok" if seen else "no worker has reported lately"


async def _probe(check, target) -> str:
    try:
        return await asyncio.wait_for(check(target), TIMEOUT_SECONDS)
    except Exception as exc:  # any failure is a state to report, not an error page
        return f"down: {type(exc).__name__}"


async def check_health(db: AsyncSession, redis: Redis | None) -> dict[str, Any]:
    report: dict[str, Any] = {"database": await _probe(_database, db)}
    required = ["database"]
    if redis is None:
        report["redis"] = "not configured"
        report["queue"] = "in-process"
    else:
        report["redis"] = await _probe(_redis, redis)
        report["queue"] = await _probe(_queue, redis) if report["redis"] == "ok" else "down"
        required.append("redis")
    if not all(report[part] == "ok" for part in required):
        report["status"] = "down"
    elif report["queue"] not in ("ok", "in-process"):
        report["status"] = "degraded"  # pages answer; uploads wait for a worker to analyse them
    else:
        report["status"] = "ok"
    return report
