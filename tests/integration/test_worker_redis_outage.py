"""`portal worker` rides out a Redis outage: Redis is killed and started again on the same port, and
a model uploaded afterwards is analysed by the same worker process; `/health` tells meanwhile."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from portal.app import create_app
from portal.config import RedisSettings
from tests.integration.uploads import box_stl, upload_id, wait_final

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OwnRedis:
    """A Redis server of the test's own, that it can kill and start again on the same port."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen | None = None

    async def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        client = Redis(port=self.port)
        try:
            await eventually(client.ping, "the test's Redis to answer")
        finally:
            await client.aclose()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


async def eventually(check, what: str, timeout: float = 60.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            if result := await check():
                return result
        except Exception:  # noqa: BLE001 - not yet
            pass
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.2)


@pytest.fixture
async def own_redis():
    server = OwnRedis(free_port())
    await server.start()
    yield server
    server.kill()


@pytest.fixture
def worker(settings, own_redis, tmp_path):
    """`portal worker` on the test's PostgreSQL and its own Redis."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")}
    env.update(PYTHONPATH=str(REPO_ROOT), PORTAL_DATABASE_URL=settings.database.url,
               PORTAL_REDIS_URL=f"redis://127.0.0.1:{own_redis.port}/0",
               PORTAL_SECRET_KEY=settings.server.secret_key, PORTAL_DATA_DIR=str(settings.server.data_dir),
               PORTAL_SITE_URL="http://testserver.local")  # services mode needs the public address
    log = tmp_path / "worker.log"
    with log.open("ab") as out:
        process = subprocess.Popen([str(Path(sys.executable).parent / "portal"), "worker"], env=env, cwd=REPO_ROOT,
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    process.log = log
    yield process
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=20)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def logged(process, text: str):
    async def check() -> bool:
        return text in process.log.read_text(errors="replace")

    return check


async def test_the_worker_analyses_uploads_after_redis_comes_back(settings, own_redis, worker, tmp_path) -> None:
    settings = replace(settings, redis=RedisSettings(url=f"redis://127.0.0.1:{own_redis.port}/0"))
    model = box_stl(tmp_path / "box.stl").read_bytes()
    async with AsyncTestClient(app=create_app(settings)) as client:

        async def health(status: str):
            async def check():
                answer = await client.get("/health")
                return answer if answer.json()["status"] == status else None

            return await eventually(check, f"/health to say {status}")

        await health("ok")  # the worker reported in
        before = await upload_id(client, "before.stl", model)
        assert (await wait_final(client, before))[0] == "ready"

        own_redis.kill()
        await eventually(logged(worker, "Redis is unreachable"), "the worker to notice")
        down = await health("down")
        assert down.status_code == 503 and down.json()["redis"].startswith("down")
        assert worker.poll() is None, worker.log.read_text()[-3000:]
        for path in ("/", "/login", "/files"):  # the pages tell plainly, and the app keeps serving
            page = await client.get(path)
            assert page.status_code == 503 and "cannot reach its data store" in page.text, (path, page.text)

        await own_redis.start()  # empty: nothing survived the outage
        await eventually(logged(worker, "Redis is reachable again"), "the worker to reconnect")
        assert (await health("ok")).json()["queue"] == "ok"  # the worker reported in again

        after = await upload_id(client, "after.stl", model)
        assert (await wait_final(client, after))[0] == "ready"
    assert worker.poll() is None, worker.log.read_text()[-3000:]
