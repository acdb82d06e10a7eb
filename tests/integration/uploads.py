"""Helpers for the upload tests: models made at test time, uploading, waiting, a real worker."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import trimesh
from arq.worker import Worker
from litestar.testing import AsyncTestClient

from geometry.stl import write_binary
from jobs.context import build_context, close_context
from jobs.registry import JOBS
from portal.core.queue import QUEUE_NAME
from portal.files.analysis import ModelAnalyzer
from tests.integration.conftest import csrf_token

STATUS = re.compile(r'data-testid="file-status" data-status="(\w+)"')
TOTAL = re.compile(r'data-testid="quote-total" data-amount="([^"]+)"')


def box_stl(path: Path, size=(10.0, 20.0, 30.0)) -> Path:
    mesh = trimesh.creation.box(extents=size)
    mesh.apply_translation([s / 2 for s in size])
    write_binary(path, mesh.triangles)
    return path


async def upload(client: AsyncTestClient, name: str, content: bytes, scripted: bool = True):
    """Upload one file as the page's script does (token in a header), or as the plain form."""
    token = await csrf_token(client, "/")
    files = {"files": (name, content, "application/octet-stream")}
    if scripted:
        return await client.post(
            "/files", files=files, headers={"x-csrftoken": token, "accept": "application/json"}
        )
    return await client.post("/files", files=files, data={"_csrf_token": token}, follow_redirects=False)


async def upload_id(client: AsyncTestClient, name: str, content: bytes) -> str:
    response = await upload(client, name, content)
    assert response.status_code == 201, response.text
    return response.json()["files"][0]["id"]


async def status_of(client: AsyncTestClient, file_id: str) -> tuple[str, str]:
    page = await client.get(f"/files/{file_id}/status", headers={"HX-Request": "true"})
    assert page.status_code == 200, page.text
    match = STATUS.search(page.text)
    assert match, page.text
    return match.group(1), page.text


async def wait_final(client: AsyncTestClient, file_id: str, timeout: float = 60) -> tuple[str, str]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        status, page = await status_of(client, file_id)
        if status in ("ready", "failed") or asyncio.get_running_loop().time() > deadline:
            return status, page
        await asyncio.sleep(0.2)


def hostile_analyzer(settings, wall_seconds: float = 8) -> ModelAnalyzer:
    """The real analyzer, whose child crashes or hangs on files that ask for it."""
    return ModelAnalyzer(
        settings.analysis.memory_mb, wall_seconds, wall_seconds, function="tests.integration.hostile:analyze"
    )


async def run_worker(settings, analyzer: ModelAnalyzer | None = None) -> None:
    """A real arq worker in burst mode on the test's Redis: it runs every queued job, then stops."""
    overrides = {"analyzer": analyzer} if analyzer is not None else {}
    context = build_context(settings, **overrides)
    worker = Worker(
        functions=list(JOBS.values()),
        redis_settings=settings.redis.get_config(),
        queue_name=QUEUE_NAME,
        burst=True,
        poll_delay=0.05,
        keep_result=0,
        max_tries=5,
        handle_signals=False,
        ctx=context,
    )
    try:
        await worker.main()
    finally:
        await worker.close()
        await close_context(context)


async def demo_file_row(db, status: str) -> str:
    """A demo file's row in `status`, without bytes or analysis (for tests of what surrounds it)."""
    from portal.db.models import ModelFile

    async with db() as session:
        file = ModelFile(name="part.stl", sha256="1" * 64, size_bytes=84, is_demo=True, status=status)
        session.add(file)
        await session.commit()
        return str(file.id)
