"""Enqueue jobs by name: on arq (Redis) in services mode, in-process in the embedded default."""

from __future__ import annotations

import asyncio
from typing import Any

from arq import ArqRedis, create_pool
from arq.connections import RedisSettings

from portal.config import Settings

QUEUE_NAME = "portal:queue"


def arq_redis_settings(url: str) -> RedisSettings:
    return RedisSettings.from_dsn(url)


class JobQueue:
    """Job status lives in our own tables; the queue only says 'run this now'."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._arq: ArqRedis | None = None
        self._inline = None
        self._inline_tasks: set[asyncio.Task] = set()

    async def enqueue(self, name: str, *args: Any, job_id: str | None = None) -> None:
        if self._settings.redis.url:
            if self._arq is None:
                self._arq = await create_pool(arq_redis_settings(self._settings.redis.url))
            await self._arq.enqueue_job(name, *args, _job_id=job_id, _queue_name=QUEUE_NAME)
            return
        if self._inline is None:
            from jobs.inline import InlineRunner  # the queue adapter is the one place that may

            self._inline = InlineRunner(self._settings)
        task = asyncio.create_task(self._inline.run(name, *args))
        self._inline_tasks.add(task)
        task.add_done_callback(self._inline_tasks.discard)

    async def close(self) -> None:
        if self._inline_tasks:
            await asyncio.gather(*self._inline_tasks, return_exceptions=True)
        if self._inline is not None:
            await self._inline.close()
        if self._arq is not None:
            await self._arq.aclose()
