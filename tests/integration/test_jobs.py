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
from jobs.registry import SCHEDULE
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
    queue = JobQueue(settings, inline_runner=InlineRunner)
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
    queue = JobQueue(embedded, inline_runner=InlineRunner)
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
    async with asyncio.timeout(10):
        while "first" not in runs:  # the first job has ended
            await asyncio.sleep(0.01)
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


async def test_the_embedded_default_purges_expired_sessions_on_a_schedule(settings, db, monkeypatch) -> None:
    """At start, then every half hour: the same job the worker's cron runs in services mode."""
    from jobs import inline
    from portal.db.models import KeyValueItem

    clock = {"now": 1_800_000_000.0}
    ticked = asyncio.Event()

    async def next_slot(seconds: float) -> None:
        clock["now"] += seconds
        ticked.set()
        await asyncio.sleep(0.05)

    monkeypatch.setattr(inline, "_now", lambda: clock["now"])
    monkeypatch.setattr(inline, "_sleep", next_slot)

    async def add_expired_session(key: str) -> None:
        async with db() as session:
            session.add(KeyValueItem(key=key, namespace="sessions", value=b"{}",
                                     expires_at=datetime.now(UTC) - timedelta(minutes=1)))
            await session.commit()

    async def sessions_left() -> int:
        async with db() as session:
            return await session.scalar(select(func.count()).select_from(KeyValueItem))

    await add_expired_session("expired-before-start")
    runner = InlineRunner(replace(settings, redis=RedisSettings(url=None)))
    runner.start_schedule()
    assert await eventually(lambda: sessions_left(), 0)
    await add_expired_session("expired-later")
    ticked.clear()
    await ticked.wait()  # the next half hour comes
    purged = await eventually(lambda: sessions_left(), 0)
    await runner.close()
    assert purged
    assert {job.name: job.every_minutes for job in SCHEDULE}["purge_expired"] == 30
    cron = {job.name: job.minute for job in WorkerSettings.cron_jobs}
    assert cron["cron:purge_expired"] == {0, 30}  # the same schedule on the worker


async def eventually(read, expected, timeout: float = 30.0) -> bool:
    """Poll until `await read()` gives `expected` (a guard against hanging, not a speed goal)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if await read() == expected:
            return True
        await asyncio.sleep(0.05)
    return False
