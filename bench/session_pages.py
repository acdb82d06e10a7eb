"""Logged-in pages against anonymous ones: requests per second of `GET /account` (a logged-in
session: the user is loaded, the session is read but not rewritten) and of `GET /` (no session),
side by side in one run, on both stores. `GET /login` (anonymous, a small form like the profile)
is measured too, as the like-for-like page: `/` is the upload page, with the rate card's options.

    .venv/bin/python bench/session_pages.py                  # --clients 20 --seconds 5 --rounds 3

Each store gets its own `portal run` (uvicorn, one process): the embedded default (SQLite,
sessions in the database) and the services mode (PostgreSQL, sessions in Redis; a database is
created for the run on TEST_POSTGRES_URL's server and dropped after, Redis database from
BENCH_REDIS_URL). The two pages are measured in turns, `--rounds` times each, and the medians
are compared; the goal is a logged-in page at 60 % or more of the anonymous rate.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import statistics
import subprocess
import time
from contextlib import contextmanager

import asyncpg
import httpx
from portal_server import PORTAL, ROOT, free_port, portal_env, running_portal

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/1")
EMAIL = "bench@example.com"
PASSWORD = "quiet orange lantern 42"
CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')
GOAL = 0.60


ERRORS: dict[str, int] = {}  # path → answers other than 200


async def rate(base: str, path: str, cookies: dict[str, str], clients: int, seconds: float) -> float:
    """Requests per second answered 200 by `clients` simultaneous clients for `seconds`."""
    done = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, cookies=cookies, limits=limits, timeout=30) as client:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                response = await client.get(path)
                if response.status_code == 200:
                    done += 1
                else:
                    ERRORS[path] = ERRORS.get(path, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        return done / (time.perf_counter() - started)


async def log_in(base: str) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=base) as client:
        token = CSRF_META.search((await client.get("/login")).text).group(1)
        response = await client.post("/login", data={"email": EMAIL, "password": PASSWORD, "_csrf_token": token})
        if response.status_code != 303:
            raise RuntimeError(f"login answered {response.status_code}")
        return dict(client.cookies)


PAGES = (("/", False), ("/login", False), ("/account", True))  # (path, logged in)


async def measure(base: str, clients: int, seconds: float, rounds: int) -> list[float]:
    """Median requests per second of each page in PAGES, measured in turns."""
    cookies = await log_in(base)
    for path, logged_in in PAGES:  # warm up
        await rate(base, path, cookies if logged_in else {}, 2, 0.5)
    rates: list[list[float]] = [[] for _ in PAGES]
    for _ in range(rounds):
        for index, (path, logged_in) in enumerate(PAGES):
            rates[index].append(await rate(base, path, cookies if logged_in else {}, clients, seconds))
    return [statistics.median(each) for each in rates]


@contextmanager
def postgres_database():
    name = f"portal_bench_{secrets.token_hex(4)}"

    async def admin(statement: str) -> None:
        connection = await asyncpg.connect(POSTGRES_ADMIN_URL)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def run_store(label: str, args, **extra: str) -> tuple[str, list[float]]:
    port = free_port()
    with running_portal(port=port, **extra) as (base, _pid, data_dir):
        subprocess.run([str(PORTAL), "users", "create-admin", "--email", EMAIL, "--password", PASSWORD],
                       env=portal_env(data_dir, port, **extra), cwd=ROOT, check=True, capture_output=True)
        rates = asyncio.run(measure(base, args.clients, args.seconds, args.rounds))
    return label, rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    results = [run_store("embedded (SQLite, sessions in the database)", args)]
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    with postgres_database() as database_url:
        results.append(run_store("services (PostgreSQL, sessions in Redis)", args,
                                 PORTAL_DATABASE_URL=database_url, PORTAL_REDIS_URL=REDIS_URL,
                                 PORTAL_SITE_URL="http://127.0.0.1"))
    print(f"{args.clients} clients, {args.seconds:g} s a turn, medians of {args.rounds} turns each")
    print(f"{'store':46} {'GET /':>9} {'GET /login':>11} {'GET /account':>13} {'/account÷/':>11} {'÷/login':>8}")
    failed = False
    for label, (home, login, account) in results:
        failed |= account / home < GOAL
        print(f"{label:46} {home:5.0f} r/s {login:7.0f} r/s {account:9.0f} r/s {account / home:11.0%} "
              f"{account / login:8.0%}")
    print(f"answers other than 200: {ERRORS or 'none'}")
    print(f"goal: GET /account at {GOAL:.0%} or more of GET / — {'FAIL' if failed else 'PASS'}")


if __name__ == "__main__":
    main()
