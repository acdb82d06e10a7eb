"""The arq worker of `portal worker`: its settings, and a worker that rides out a Redis outage.

arq's own worker stops for good at the first lost connection to Redis (and gives up on start-up
after a few tries), so analysis, mail and the CRM sync would wait for someone to restart it. This
one waits for Redis instead, with backoff, and goes on where it was: a job is kept in Redis, and
one whose result could not be written is run again (jobs are idempotent). While Redis is down the
worker's heartbeat key lapses, so `/health` reports the queue as down; it reports in again as soon
as Redis is back.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any

import anyio
from arq import cron, func
from arq.connections import create_pool
from arq.worker import Worker, get_kwargs
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from jobs.context import build_context, close_context
from jobs.registry import JOBS, SCHEDULE, SELF_COUNTING, SELF_COUNTING_MAX_TRIES
from portal.config import get_settings
from portal.core.backoff import backoff
from portal.core.logging import configure_logging
from portal.core.queue import QUEUE_NAME

_log = logging.getLogger("portal.worker")
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, OSError, asyncio.TimeoutError)
WAIT_CAP_SECONDS = 30.0
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


class SteadyWorker(Worker):
    """arq's worker, waiting for Redis whenever it is unreachable instead of stopping."""

    async def main(self) -> None:
        attempt = 0
        while self._pool is None:
            try:
                self._pool = await create_pool(
                    replace(self.redis_settings, conn_retries=0),  # the retries are ours, with backoff
                    job_deserializer=self.job_deserializer, job_serializer=self.job_serializer,
                    default_queue_name=self.queue_name, expires_extra_ms=self.expires_extra_ms,
                )
            except REDIS_DOWN as error:
                attempt += 1
                await self._wait(error, attempt)
        await super().main()

    async def _poll_iteration(self) -> None:
        try:
            await super()._poll_iteration()
        except REDIS_DOWN as error:
            await self._ride_out(error)

    async def _ride_out(self, error: BaseException) -> None:
        attempt = 1
        while True:
            await self._wait(error, attempt)
            try:
                await self.pool.ping()
            except REDIS_DOWN as again:
                error, attempt = again, attempt + 1
                continue
            _log.warning("Redis is reachable again: the worker goes on")
            self._last_health_check = 0  # report in at once
            return

    async def _wait(self, error: BaseException, attempt: int) -> None:
        delay = backoff(attempt, 1.0, WAIT_CAP_SECONDS)
        _log.warning("Redis is unreachable (%s: %s); trying again in %.0f s", type(error).__name__, error, delay)
        await asyncio.sleep(delay)


def run(burst: bool = False) -> None:
    configure_logging(get_settings().server.debug)  # the waits for Redis are logged before `startup`
    SteadyWorker(**{**get_kwargs(WorkerSettings), "burst": burst}).run()  # type: ignore[arg-type]
