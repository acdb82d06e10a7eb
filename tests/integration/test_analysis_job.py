"""The analysis job around its sandbox runs: no database transaction held open while a sandbox
works, and no lease taken while the job waits for the sandbox."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import anyio
import pytest
from sqlalchemy import select, text

from jobs import files as file_jobs
from jobs.context import build_context, close_context
from portal.db.models import ModelFile
from portal.files.analysis import AnalysisResult, ModelAnalyzer
from tests.integration.uploads import box_stl, upload_id

IDLE_IN_TRANSACTION = text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"
)


class HeldAnalyzer(ModelAnalyzer):
    """Answers at once with made-up figures, except for a file (told by its bytes) the test holds
    in the sandbox until it lets it go. Records the bytes of every file it measures."""

    def __init__(self) -> None:
        super().__init__(1024, 30, 30)
        self.measured: list[bytes] = []
        self.held: dict[bytes, tuple[threading.Event, threading.Event]] = {}

    def hold(self, content: bytes) -> tuple[threading.Event, threading.Event]:
        self.held[content] = (threading.Event(), threading.Event())  # (it is in, let it go)
        return self.held[content]

    def analyze(self, path: Path, limits, previews: bool = True) -> AnalysisResult:
        content = path.read_bytes()
        if not previews:
            self.measured.append(content)
        if content in self.held and not previews:
            entered, release = self.held[content]
            entered.set()
            assert release.wait(30), "the test never let the file go"
        return AnalysisResult(format="stl", metrics={"volume_mm3": 1.0}, findings=[], png=None, glb=None)


async def _until(event: threading.Event) -> None:
    assert await anyio.to_thread.run_sync(event.wait, 30), "the sandbox was never reached"


async def test_no_transaction_is_open_while_the_sandbox_works(client, settings, db, tmp_path) -> None:
    file_id = await upload_id(client, "held.stl", box_stl(tmp_path / "held.stl").read_bytes())
    analyzer = HeldAnalyzer()
    entered, release = analyzer.hold((tmp_path / "held.stl").read_bytes())
    ctx = build_context(settings, analyzer=analyzer)
    outcome: list[str] = []
    try:
        async with anyio.create_task_group() as jobs:
            jobs.start_soon(lambda: _run(ctx, file_id, outcome))
            await _until(entered)
            try:
                assert ctx["engine"].pool.checkedout() == 0
                async with db() as session:
                    assert await session.scalar(IDLE_IN_TRANSACTION) == 0
            finally:
                release.set()
    finally:
        await close_context(ctx)
    assert outcome == ["ready"]


async def test_a_job_waiting_for_the_sandbox_has_no_lease_to_lose(client, settings, db, tmp_path,
                                                                  monkeypatch) -> None:
    """One sandbox; the first file is measured slowly. The second file's job waits meanwhile:
    its lease (here 1 s) has not started, so when the file's job runs a second time (as the
    sweep of stalled files does once a lease has run out) the file is still measured once."""
    monkeypatch.setattr(file_jobs, "LEASE_MARGIN_S", 0)
    short = replace(settings, analysis=replace(settings.analysis, wall_seconds=1))
    slow = box_stl(tmp_path / "slow.stl")
    waiting = box_stl(tmp_path / "waiting.stl", (5.0, 6.0, 7.0))
    slow_id = await upload_id(client, "slow.stl", slow.read_bytes())
    waiting_id = await upload_id(client, "waiting.stl", waiting.read_bytes())
    analyzer = HeldAnalyzer()
    entered, release = analyzer.hold(slow.read_bytes())
    ctx = build_context(short, analyzer=analyzer)
    outcomes: list[str] = []
    try:
        async with anyio.create_task_group() as jobs:
            jobs.start_soon(lambda: _run(ctx, slow_id, outcomes))
            await _until(entered)
            jobs.start_soon(lambda: _run(ctx, waiting_id, outcomes))
            await _lease_gone_or_never_taken(db, waiting_id)
            jobs.start_soon(lambda: _run(ctx, waiting_id, outcomes))  # the job again
            await _until_waiting(analyzer, 2)
            release.set()
    finally:
        await close_context(ctx)
    assert analyzer.measured.count(waiting.read_bytes()) == 1
    assert sorted(outcomes) == ["ready", "ready", "skipped"]


async def _run(ctx, file_id: str, outcomes: list[str]) -> None:
    outcomes.append(await file_jobs.analyze_model(ctx, file_id))


async def _lease_gone_or_never_taken(db, file_id: str) -> None:
    """Until the file is waiting without a lease, or the lease it was given has run out."""
    with anyio.fail_after(30):
        while True:
            async with db() as session:
                status, lease_until, now = (
                    await session.execute(
                        select(ModelFile.status, ModelFile.lease_until, text("now()")).where(ModelFile.id == file_id)
                    )
                ).one()
            if status == "pending" or (lease_until is not None and lease_until < now):
                return
            await anyio.sleep(0.05)


async def _until_waiting(analyzer: ModelAnalyzer, jobs: int) -> None:
    """Until `jobs` jobs wait for the measuring sandbox."""
    with anyio.fail_after(30):
        while analyzer.measuring_slot().statistics().tasks_waiting < jobs:
            await anyio.sleep(0.01)


@pytest.fixture(autouse=True)
def _services_only(mode: str) -> None:
    assert mode == "services"  # PostgreSQL: pg_stat_activity
