"""Jobs run in-process in the embedded default and on an arq worker in services mode, with the
same job functions, the same database pragmas, and a job id that runs once."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from arq.worker import Worker
from sqlalchemy import func, select, text

from jobs.context import build_context, close_context
from jobs.inline import InlineRunner
from jobs.worker import WorkerSettings
from portal.config import RedisSettings
from portal.core.queue import JobQueue
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
    assert await queue.enqueue("purge_expired", job_id="purge-test")
    assert not await queue.enqueue("purge_expired", job_id="purge-test")  # the same id: once
    await queue.close()

    ctx = build_context(settings)
    worker = Worker(
        functions=WorkerSettings.functions,
        queue_name=WorkerSettings.queue_name,
        redis_settings=RedisSettings(url=redis_url).get_config(),
        on_startup=None,
        burst=True,
        poll_delay=0.05,
        ctx=ctx,
    )
    await worker.async_run()
    await worker.close()
    await close_context(ctx)
    assert worker.jobs_complete == 1
    assert await _counter_keys(db) == {"account:new@example.com"}


async def test_inline_runner_runs_the_same_job(settings, db) -> None:
    embedded = replace(settings, redis=RedisSettings(url=None))
    await _add_expired_counter(db)
    queue = JobQueue(embedded)
    await queue.enqueue("purge_expired")
    await queue.close()
    async with db() as session:
        assert await session.scalar(select(func.count()).select_from(LoginFailureCounter)) == 1


async def test_inline_runner_runs_a_job_id_once(settings, monkeypatch) -> None:
    from jobs import registry

    runs: list[str] = []

    async def record(ctx, value: str) -> None:
        await asyncio.sleep(0.01)
        runs.append(value)

    monkeypatch.setitem(registry.JOBS, "record", record)
    runner = InlineRunner(replace(settings, redis=RedisSettings(url=None)))
    assert runner.enqueue("record", "first", job_id="order-1")
    assert not runner.enqueue("record", "again while running", job_id="order-1")
    await asyncio.sleep(0.05)
    assert not runner.enqueue("record", "again when done", job_id="order-1")
    assert runner.enqueue("record", "another id", job_id="order-2")
    assert runner.enqueue("record", "no id")
    await runner.close()
    assert sorted(runs) == ["another id", "first", "no id"]


async def test_jobs_and_the_app_open_sqlite_with_the_same_pragmas(settings, sqlite_url) -> None:
    embedded = replace(settings, database=replace(settings.database, url=sqlite_url))
    ctx = build_context(embedded)
    async with ctx["sessionmaker"]() as session:
        foreign_keys = await session.scalar(text("PRAGMA foreign_keys"))
        journal = await session.scalar(text("PRAGMA journal_mode"))
    await close_context(ctx)
    assert (foreign_keys, journal) == (1, "wal")
