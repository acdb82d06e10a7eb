"""arq worker settings: `portal worker` (or `arq jobs.worker.WorkerSettings`)."""

from __future__ import annotations

from typing import Any

from arq import cron

from jobs.context import build_context
from jobs.registry import JOBS
from portal.config import get_settings
from portal.core.logging import configure_logging
from portal.core.queue import QUEUE_NAME, arq_redis_settings


async def startup(ctx: dict[str, Any]) -> None:
    settings = get_settings()
    configure_logging(settings.server.debug)
    ctx.update(build_context(settings))


async def shutdown(ctx: dict[str, Any]) -> None:
    await ctx["engine"].dispose()


def _redis_settings():
    url = get_settings().redis.url
    return arq_redis_settings(url) if url else None


class WorkerSettings:
    functions = list(JOBS.values())
    cron_jobs = [cron(JOBS["purge_expired"], minute={0, 30}, run_at_startup=True)]
    on_startup = startup
    on_shutdown = shutdown
    queue_name = QUEUE_NAME
    health_check_interval = 30
    max_tries = 5
    redis_settings = _redis_settings()
