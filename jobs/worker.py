"""arq worker settings: `portal worker` (or `arq jobs.worker.WorkerSettings`)."""

from __future__ import annotations

from typing import Any

import anyio
from arq import cron, func

from jobs.context import build_context, close_context
from jobs.registry import JOBS, SCHEDULE, SELF_COUNTING, SELF_COUNTING_MAX_TRIES
from portal.config import get_settings
from portal.core.logging import configure_logging
from portal.core.queue import QUEUE_NAME

get_settings().check()  # a missing setting stops the worker here, in one line, before it takes jobs


async def startup(ctx: dict[str, Any]) -> None:
    settings = get_settings()
    configure_logging(settings.server.debug)
    ctx.update(build_context(settings))
    # The model reader's warm sandbox starts once, here, not on the first upload.
    await anyio.to_thread.run_sync(ctx["analyzer"].start)


async def shutdown(ctx: dict[str, Any]) -> None:
    await close_context(ctx)


class WorkerSettings:
    functions = [
        func(job, name=name, keep_result=0, max_tries=SELF_COUNTING_MAX_TRIES) if name in SELF_COUNTING else job
        for name, job in JOBS.items()
    ]
    cron_jobs = [
        cron(JOBS[job.name], second=set(range(0, 60, job.every_seconds)), run_at_startup=True)
        if job.every_seconds
        else cron(JOBS[job.name], minute=set(range(0, 60, job.every_minutes)), run_at_startup=True)
        for job in SCHEDULE
    ]
    on_startup = startup
    on_shutdown = shutdown
    queue_name = QUEUE_NAME
    health_check_interval = 30
    max_tries = 5
    job_timeout = 600
    redis_settings = get_settings().redis.get_config()
