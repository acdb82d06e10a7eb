"""The queue adapter: enqueue a job by name, on arq (services mode) or in-process (embedded).

Job status lives in our own tables; the queue only says "run this now". Like arq, a job id is
run once: enqueueing an id that is queued, running or recently done does nothing.

The in-process runner (`jobs.inline.InlineRunner`) is handed in by whoever builds the queue
(`create_app`, the commands): the job functions import the portal, so the portal never imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from arq import ArqRedis, create_pool

from portal.config import Settings

QUEUE_NAME = "portal:queue"


class JobQueue:
    def __init__(self, settings: Settings, inline_runner: Callable[..., Any] | None = None) -> None:
        """`inline_runner(settings, queue=…)`: what runs the jobs in-process in the embedded default."""
        self._settings = settings
        self._arq: ArqRedis | None = None
        self._runner_type = inline_runner
        self._inline = None

    @property
    def inline(self) -> bool:
        return not self._settings.redis.url

    async def enqueue(self, name: str, *args: Any, job_id: str | None = None) -> bool:
        """False when a job with this id is already queued, running or done (and kept)."""
        if not self.inline:
            if self._arq is None:
                self._arq = await create_pool(self._settings.redis.get_config())
            job = await self._arq.enqueue_job(name, *args, _job_id=job_id, _queue_name=QUEUE_NAME)
            return job is not None
        return self._inline_runner().enqueue(name, *args, job_id=job_id)

    def start_schedule(self) -> None:
        """Embedded default: run the periodic jobs in-process (the worker's cron does it otherwise)."""
        if self.inline:
            self._inline_runner().start_schedule()

    def _inline_runner(self):
        if self._inline is None:
            if self._runner_type is None:
                raise RuntimeError("no in-process job runner: build the queue with inline_runner=InlineRunner")
            self._inline = self._runner_type(self._settings, queue=self)
        return self._inline

    async def close(self) -> None:
        if self._inline is not None:
            await self._inline.close()
        if self._arq is not None:
            await self._arq.aclose()
