"""The embedded default: the same job functions, run in-process instead of by an arq worker.

As with arq, a job id runs once: while it is queued or running, and for an hour after it ends,
enqueueing the same id again does nothing (jobs that count their own attempts are free again as
soon as they end); a job that raises `Retry` runs again after the delay it asks for, up to
MAX_TRIES times. The periodic jobs run here on their schedule. A job still waiting to try again
when the runner closes is dropped (nothing keeps the queue over a restart here): its own row says
what is left to do, or its ON_SHUTDOWN hook keeps what it carried.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from typing import Any

from arq import Retry

from jobs.context import build_context, close_context
from jobs.registry import JOBS, ON_SHUTDOWN, SCHEDULE, SELF_COUNTING, SELF_COUNTING_MAX_TRIES
from portal.config import Settings
from portal.core.queue import JobQueue

logger = logging.getLogger("portal.jobs")

KEEP_DONE_SECONDS = 3600  # arq's default keep_result
MAX_TRIES = 5  # as the worker's max_tries
CLOSE_GRACE_SECONDS = 10
_now = time.time  # the schedule's clock and sleep; tests replace them
_sleep = asyncio.sleep


class InlineRunner:
    def __init__(self, settings: Settings, queue=None) -> None:
        self._settings = settings
        self._queue = queue
        self._context: dict[str, Any] | None = None
        self._tasks: set[asyncio.Task] = set()
        self._ids: dict[str, float] = {}  # job id → when it ended (inf while queued or running)
        self._schedule: asyncio.Task | None = None
        self._closing = asyncio.Event()

    def enqueue(self, name: str, *args: Any, job_id: str | None = None) -> bool:
        now = time.monotonic()
        self._ids = {key: ended for key, ended in self._ids.items() if now - ended < KEEP_DONE_SECONDS}
        if job_id is not None:
            if job_id in self._ids:
                return False
            self._ids[job_id] = math.inf
        task = asyncio.create_task(self._run(name, args, job_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _run(self, name: str, args: tuple[Any, ...], job_id: str | None) -> Any:
        if self._context is None:
            # follow-up jobs go to the queue that runs this one, or (alone, as in tests) to one of their own
            queue = self._queue or JobQueue(self._settings, inline_runner=InlineRunner)
            self._context = build_context(self._settings, queue=queue, owns_queue=self._queue is None)
        max_tries = SELF_COUNTING_MAX_TRIES if name in SELF_COUNTING else MAX_TRIES
        try:
            for job_try in range(1, max_tries + 1):
                try:
                    return await JOBS[name]({**self._context, "job_try": job_try}, *args)
                except Retry as retry:
                    if await self._closing_within((retry.defer_score or 0) / 1000):
                        # shutting down: the job's own row says what is left to do, or its hook keeps it
                        logger.warning("job dropped at shutdown", extra={"fields": {
                            "job": name, "job_id": job_id, "tries": job_try}})
                        if name in ON_SHUTDOWN:
                            ON_SHUTDOWN[name]({**self._context, "job_try": job_try}, *args)
                        return None
            return None
        except Exception:  # the job records its own failure; the web process goes on
            logger.exception("job failed", extra={"fields": {"job": name, "job_id": job_id}})
            return None
        finally:
            if job_id is not None:
                if name in SELF_COUNTING:
                    self._ids.pop(job_id, None)
                else:
                    self._ids[job_id] = time.monotonic()

    async def _closing_within(self, seconds: float) -> bool:
        """Wait before a retry; True (at once) when the runner is closing meanwhile."""
        try:
            await asyncio.wait_for(self._closing.wait(), seconds)
        except TimeoutError:
            return False
        return True

    def start_schedule(self) -> None:
        if self._schedule is None and SCHEDULE:
            self._schedule = asyncio.create_task(self._run_schedule())

    async def _run_schedule(self) -> None:
        """At start, then at every period's boundary (as the worker's cron), each slot once."""
        while True:
            now = _now()
            for job in SCHEDULE:
                slot = int(now // job.period)
                self.enqueue(job.name, job_id=f"cron:{job.name}:{slot}")
            period = min(job.period for job in SCHEDULE)
            await _sleep(period - now % period + 1)

    async def close(self) -> None:
        self._closing.set()
        if self._schedule is not None:
            self._schedule.cancel()
            await asyncio.gather(self._schedule, return_exceptions=True)
        if self._tasks:  # running jobs finish; one waiting out a long Retry pause is dropped
            _, waiting = await asyncio.wait(set(self._tasks), timeout=CLOSE_GRACE_SECONDS)
            for task in waiting:
                task.cancel()
            await asyncio.gather(*waiting, return_exceptions=True)
        if self._context is not None:
            await close_context(self._context)
