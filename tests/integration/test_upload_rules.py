"""Throttling, retries, a dead worker's file, rename, delete, expiry — the rules around uploads."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update

from jobs import files as file_jobs
from jobs.context import build_context, close_context
from portal.app import create_app
from portal.db.models import ModelFile
from portal.files.analysis import AnalysisFailed, ModelAnalyzer
from portal.files.storage import model_key
from tests.integration.conftest import csrf_token, register
from tests.integration.uploads import box_stl, run_worker, status_of, upload, upload_id

pytestmark = pytest.mark.slow


async def test_anonymous_uploads_are_throttled_per_session(settings, tmp_path) -> None:
    few = replace(settings, uploads=replace(settings.uploads, session_uploads=2))
    content = box_stl(tmp_path / "a.stl").read_bytes()
    async with AsyncTestClient(app=create_app(few)) as client:
        assert (await upload(client, "a.stl", content)).status_code == 201
        assert (await upload(client, "b.stl", content)).status_code == 201
        refused = await upload(client, "c.stl", content)
        assert refused.status_code == 429 and "Too many uploads" in refused.json()["error"]
        await register(client)  # an account is not throttled this way
        assert (await upload(client, "d.stl", content)).status_code == 201


class FlakyAnalyzer(ModelAnalyzer):
    """The real analyzer, whose sandbox is 'unavailable' the first time it is asked to measure."""

    calls = 0

    def analyze(self, path, limits, previews=True):
        if not previews:
            FlakyAnalyzer.calls += 1
            if FlakyAnalyzer.calls == 1:
                raise AnalysisFailed("sandbox_unavailable", "not started", transient=True)
        return super().analyze(path, limits, previews=previews)


async def test_a_transient_failure_is_retried_and_an_invalid_file_is_not(client, settings, tmp_path,
                                                                        monkeypatch) -> None:
    monkeypatch.setattr(file_jobs, "backoff_seconds", lambda job_try: 0.2)
    file_id = await upload_id(client, "ok.stl", box_stl(tmp_path / "ok.stl").read_bytes())
    flaky = FlakyAnalyzer(settings.analysis.memory_mb, 30, 30)
    await run_worker(settings, analyzer=flaky)
    status, _ = await status_of(client, file_id)
    assert status == "ready" and FlakyAnalyzer.calls == 2


async def test_a_file_left_processing_by_a_dead_worker_is_analysed_again(client, settings, db, tmp_path) -> None:
    file_id = await upload_id(client, "ok.stl", box_stl(tmp_path / "ok.stl").read_bytes())
    # A worker took the file and died: its lease is still running, then runs out.
    async with db() as session:
        await session.execute(
            update(ModelFile).where(ModelFile.id == file_id).values(
                status="processing", attempts=1, lease_until=datetime.now(UTC) + timedelta(minutes=5)
            )
        )
        await session.commit()
    await run_worker(settings)  # the queued job finds the file held by a live lease: skipped
    assert (await status_of(client, file_id))[0] == "processing"
    async with db() as session:
        await session.execute(
            update(ModelFile)
            .where(ModelFile.id == file_id)
            .values(lease_until=datetime.now(UTC) - timedelta(seconds=1))
        )
        await session.commit()
    context = build_context(settings)
    try:
        assert await file_jobs.requeue_stalled_files(context) == 1
    finally:
        await close_context(context)
    await run_worker(settings)
    assert (await status_of(client, file_id))[0] == "ready"


async def test_rename_and_delete(client, settings, db, tmp_path) -> None:
    await register(client)
    file_id = await upload_id(client, "old name.stl", box_stl(tmp_path / "x.stl").read_bytes())
    token = await csrf_token(client, f"/files/{file_id}")
    renamed = await client.post(f"/files/{file_id}/rename", data={"_csrf_token": token, "name": "../../new name.stl"},
                                follow_redirects=False)
    assert renamed.status_code == 303
    page = await client.get(f"/files/{file_id}")
    assert "new name.stl" in page.text and "../" not in page.text
    original = await client.get(f"/files/{file_id}/original")
    assert original.status_code == 200
    assert "filename*=UTF-8''new%20name.stl" in original.headers["content-disposition"]
    assert original.headers["x-content-type-options"] == "nosniff"

    async with db() as session:
        sha256 = await session.scalar(select(ModelFile.sha256).where(ModelFile.id == file_id))
    stored = settings.storage.root / "models" / sha256[:2] / sha256
    assert stored.exists()
    deleted = await client.post(f"/files/{file_id}/delete", data={"_csrf_token": token}, follow_redirects=False)
    assert deleted.status_code == 303
    assert (await client.get(f"/files/{file_id}")).status_code == 404
    assert not stored.exists()  # nothing else used those bytes
    assert model_key(sha256) == f"models/{sha256}"


async def test_unclaimed_anonymous_uploads_expire(client, settings, db, tmp_path) -> None:
    file_id = await upload_id(client, "gone.stl", box_stl(tmp_path / "g.stl").read_bytes())
    async with db() as session:
        await session.execute(
            update(ModelFile).where(ModelFile.id == file_id).values(expires_at=datetime.now(UTC) - timedelta(days=1))
        )
        await session.commit()
    context = build_context(settings)
    try:
        assert await file_jobs.purge_unclaimed_files(context) == 1
    finally:
        await close_context(context)
    assert (await client.get(f"/files/{file_id}")).status_code == 404
