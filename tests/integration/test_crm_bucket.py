"""Our side of Bitrix24's leaky bucket, kept in Redis and shared by every worker process."""

from __future__ import annotations

import asyncio
import time

from redis.asyncio import Redis

from portal.crm.client import RedisLeakyBucket


async def test_two_workers_share_one_bucket(redis_url) -> None:
    redis = Redis.from_url(redis_url)
    await redis.delete("bitrix:bucket:test")
    await redis.aclose()
    first = RedisLeakyBucket(Redis.from_url(redis_url), "bitrix:bucket:test", rate=5, capacity=4)
    second = RedisLeakyBucket(Redis.from_url(redis_url), "bitrix:bucket:test", rate=5, capacity=4)
    started = time.monotonic()
    times: list[float] = []

    async def take(bucket: RedisLeakyBucket) -> None:
        await bucket.acquire()
        times.append(time.monotonic() - started)

    await asyncio.gather(*(take(bucket) for bucket in [first, second] * 5))  # 10 requests, 4 at once
    # After the burst of 4, the other 6 drain at 5 per second between the two of them: >= 1.2 s.
    assert sorted(times)[3] < 0.5 and max(times) >= 1.1
    first.fill()  # the portal said 503: both slow down to the drain rate
    before = time.monotonic()
    await second.acquire()
    await first.acquire()
    assert time.monotonic() - before >= 0.15
    await first.aclose()
    await second.aclose()
