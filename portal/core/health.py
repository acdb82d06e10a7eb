"""The state of the parts the portal needs: database, Redis and the job queue."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import text

from portal.core.queue import QUEUE_NAME
from portal.core.runtime import Runtime

TIMEOUT_SECONDS = 2.0


async def _database(runtime: Runtime) -> str:
    async with runtime.sessionmaker() as db:
        await db.execute(text("SELECT 1"))
    return "ok"


async def _redis(runtime: Runtime) -> str:
    assert runtime.redis is not None
    await runtime.redis.ping()
    return "ok"


async def _queue(runtime: Runtime) -> str:
    """'ok' when a worker has reported in; the queue itself lives in Redis."""
    assert runtime.redis is not None
    seen = await runtime.redis.get(f"{QUEUE_NAME}:health-check")
    return "ok" if seen else "no worker has reported yet"


async def _probe(check, runtime: Runtime) -> str:
    try:
        return await asyncio.wait_for(check(runtime), TIMEOUT_SECONDS)
    except Exception as exc:  # any failure is a state to report, not an error page
        return f"down: {type(exc).__name__}"


async def check_health(runtime: Runtime) -> dict[str, Any]:
    report: dict[str, Any] = {"database": await _probe(_database, runtime)}
    required = ["database"]
    if runtime.redis is None:
        report["redis"] = "not configured"
        report["queue"] = "in-process"
    else:
        report["redis"] = await _probe(_redis, runtime)
        report["queue"] = await _probe(_queue, runtime) if report["redis"] == "ok" else "down"
        required.append("redis")
    report["status"] = "ok" if all(report[part] == "ok" for part in required) else "down"
    return report
