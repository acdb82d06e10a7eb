"""Enqueue jobs by name: on arq (Redis) in services mode, in-process in the embedded default."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from arq import ArqRedis
from arq.connections import RedisSettings

QUEUE_NAME = "portal:queue"
logger = logging.getLogger("portal.queue")


def arq_redis_settings(url: str) -> RedisSettings:
    return RedisSettings.from_dsn(url)


class JobQueue:
    """Job status lives in our own tables; the queue only says 'run this now'."""

    def __init__(self, arq: ArqRedis | None) -> None:
        self._arq = arq
        self._inline_tasks: set[asyncio.Task] = set()

    @property
    def mode(self) -> str:
        return "arq" if self._arq is not None else "in-process"

    async def enqueue(self, name: str, *args: Any, job_id: str | None = None) -> None:
        if self._arq is not None:
            await self._arq.enqueue_job(name, *args, _job_id=job_id, _queue_name=QUEUE_NAME)
            return
        from jobs.inline import run_inline  # the embedded default runs the same job functions here

        task = asyncio.create_task(run_inline(name, *args))
        self._inline_tasks.add(task)
        task.add_done_callback(self._inline_tasks.discard)
