"""GET /health: 200 when the required parts answer, 503 when one is down."""

from __future__ import annotations

from dataclasses import replace

from litestar.testing import AsyncTestClient

from portal.app import create_app
from portal.config import RedisSettings


async def test_services_mode_without_a_worker_is_degraded(client) -> None:
    """Pages answer (200), but nothing analyses uploads until a worker reports in."""
    response = await client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded" and body["database"] == "ok" and body["redis"] == "ok"
    assert body["queue"] == "no worker has reported lately"


async def test_redis_down_is_503(settings) -> None:
    broken = replace(settings, redis=RedisSettings(url="redis://127.0.0.1:1/0"))
    async with AsyncTestClient(app=create_app(broken)) as client:
        response = await client.get("/health")
    assert response.status_code == 503
    assert response.json()["redis"].startswith("down")


async def test_embedded_mode_needs_no_redis(settings) -> None:
    embedded = replace(settings, redis=RedisSettings(url=None))
    async with AsyncTestClient(app=create_app(embedded)) as client:
        body = (await client.get("/health")).json()
    assert body["redis"] == "not configured" and body["queue"] == "in-process"
    assert body["status"] == "ok"
