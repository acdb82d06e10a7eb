"""Housekeeping runs in-process in the embedded default and on an arq worker in services mode."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from arq.worker import Worker
from sqlalchemy import func, select

from jobs.context import build_context
from jobs.worker import WorkerSettings
from portal.core.queue import JobQueue, arq_redis_settings
from portal.db.models import LoginFailureCounter


async def _add_expired_counter(db) -> None:
    async with db() as session:
        session.add(LoginFailureCounter(key="account:old@example.com", failures=3,
                                        window_ends_at=datetime.now(UTC) - timedelta(minutes=1)))
        session.add(LoginFailureCounter(key="account:new@example.com", failures=1,
                                        window_ends_at=datetime.now(UTC) + timedelta(minutes=10)))
        await session.commit()


async def _counter_keys(db) -> set[str]:
    async with db() as session:
        return set(await session.scalars(select(LoginFailureCounter.key)))


async def test_worker_in_burst_mode_purges_expired_rows(settings, db, redis_url) -> None:
    await _add_expired_counter(db)
    queue = JobQueue(settings)
    await queue.enqueue("purge_expired", job_id="purge-test")
    await queue.close()

    worker = Worker(
        functions=WorkerSettings.functions,
        queue_name=WorkerSettings.queue_name,
        redis_settings=arq_redis_settings(redis_url),
        on_startup=None,
        burst=True,
        poll_delay=0.05,
        ctx=build_context(settings),
    )
    await worker.async_run()
    await worker.close()
    assert await _counter_keys(db) == {"account:new@example.com"}


async def test_inline_runner_runs_the_same_job(settings, db) -> None:
    from dataclasses import replace

    from portal.config import RedisSettings

    embedded = replace(settings, redis=RedisSettings(url=None))
    await _add_expired_counter(db)
    queue = JobQueue(embedded)
    await queue.enqueue("purge_expired")
    await queue.close()
    async with db() as session:
        assert await session.scalar(select(func.count()).select_from(LoginFailureCounter)) == 1
