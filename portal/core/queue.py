"""The queue adapter: enqueue a job by name, on arq (services mode) or in-process (embedded).

Job status lives in our own tables; the queue only says "run this now". Like arq, a job id is
run once: enqueueing an id that is queued, running or recently done does nothing.
"""

from __future__ import annotations

from typing import Any

from arq import ArqRedis, create_pool

from portal.config import Settings

QUEUE_NAME = "portal:queue"


class JobQueue:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._arq: ArqRedis | None = None
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
            from jobs.inline import InlineRunner  # the queue adapter is the one place that may

            self._inline = InlineRunner(self._settings, queue=self)
        return self._inline

    async def close(self) -> None:
        if self._inline is not None:
            await self._inline.close()
        if self._arq is not None:
            await self._arq.aclose()
