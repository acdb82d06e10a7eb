"""Many requests at once: logins, wrong passwords and registrations, on both stores.

Each simulated browser has its own cookies and its own client address and talks to the one app
(the same database pool, Redis and hash slots) at the same moment.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from contextlib import asynccontextmanager
from dataclasses import replace

import httpx
import pytest
from sqlalchemy import select

from portal.accounts.passwords import Passwords
from portal.app import create_app
from portal.config import AuthSettings
from portal.db.models import User
from tests.integration.conftest import CSRF_META, PERSON

pytestmark = [pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True), pytest.mark.slow]

BURST_TIMEOUT = 120  # a guard against a hang, not a speed goal (those are in bench/)


@asynccontextmanager
async def browsers(app, count: int):
    """Start the app, then `count` browsers on it, each from its own address."""
    async with app.lifespan():  # start-up and shut-down, in this event loop
        clients = [
            httpx.AsyncClient(transport=_transport(app, n), base_url="http://testserver")
            for n in range(count)
        ]
        try:
            yield clients
        finally:
            await asyncio.gather(*(client.aclose() for client in clients))


def _transport(app, number: int) -> httpx.ASGITransport:
    address = f"10.0.{number // 250}.{number % 250 + 1}"
    return httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(address, 50000))


async def post_with_token(client: httpx.AsyncClient, path: str, data: dict) -> httpx.Response:
    page = await client.get(path)
    token = CSRF_META.search(page.text).group(1)
    return await client.post(path, data={**data, "_csrf_token": token})


async def at_once(*calls) -> list[httpx.Response]:
    return await asyncio.wait_for(asyncio.gather(*calls), BURST_TIMEOUT)


@pytest.fixture
def real_cost_settings(settings):
    """Production argon2 cost: a login holds a hash slot as long as it really does."""
    production = AuthSettings()
    auth = replace(settings.auth, argon2_time_cost=production.argon2_time_cost,
                   argon2_memory_kib=production.argon2_memory_kib)
    return replace(settings, auth=auth)


async def test_a_burst_of_100_logins_all_succeed(real_cost_settings, db) -> None:
    password = "a long enough secret 1"
    password_hash = await Passwords(real_cost_settings.auth).hash(password)
    async with db() as session:
        session.add_all(
            User(email=f"burst{n}@example.com", full_name=f"Burst {n}", password_hash=password_hash)
            for n in range(100)
        )
        await session.commit()
    app = create_app(real_cost_settings)
    async with browsers(app, 100) as clients:
        responses = await at_once(*(
            post_with_token(client, "/login", {"email": f"burst{n}@example.com", "password": password})
            for n, client in enumerate(clients)
        ))
        statuses = Counter(response.status_code for response in responses)
        assert statuses == {303: 100}, statuses
        pages = await at_once(*(client.get("/account") for client in clients))
        assert Counter(page.status_code for page in pages) == {200: 100}


async def test_a_pool_of_one_connection_serves_simultaneous_logins_and_pages(settings, db) -> None:
    """No request holds a second connection while it holds one: with a pool of one, nothing waits
    forever for a connection the request itself is holding."""
    one = replace(settings.database, pool_size=1, max_overflow=0, pool_timeout=20)
    app = create_app(replace(settings, database=one))
    password = PERSON["password"]
    async with browsers(app, 20) as clients:
        await at_once(*(
            post_with_token(client, "/register", {**PERSON, "email": f"pool{n}@example.com"})
            for n, client in enumerate(clients[:10])
        ))
        responses = await at_once(
            *(client.get("/account") for client in clients[:10]),
            *(post_with_token(client, "/login", {"email": f"pool{n}@example.com", "password": password})
              for n, client in enumerate(clients[10:])),
        )
    assert Counter(response.status_code for response in responses) == {200: 10, 303: 10}


async def test_guesses_sent_at_once_are_checked_no_more_than_the_limit(settings, db) -> None:
    """12 wrong passwords and the right one at once: at most 5 (the limit) are checked at all."""
    password_hash = await Passwords(settings.auth).hash(PERSON["password"])
    async with db() as session:
        session.add(User(email=PERSON["email"], full_name="Maria", password_hash=password_hash))
        await session.commit()
    app = create_app(settings)
    checked: list[str] = []
    passwords = app.state.passwords
    verify = passwords.verify

    async def counting_verify(hash_checked: str, password: str) -> bool:
        if hash_checked == password_hash:
            checked.append(password)
        return await verify(hash_checked, password)

    passwords.verify = counting_verify
    guesses = [f"wrong guess {n}" for n in range(12)] + [PERSON["password"]]
    async with browsers(app, len(guesses)) as clients:
        responses = await at_once(*(
            post_with_token(browser, "/login", {"email": PERSON["email"], "password": guess})
            for browser, guess in zip(clients, guesses, strict=True)
        ))
    statuses = Counter(response.status_code for response in responses)
    assert set(statuses) <= {303, 422, 429}, statuses
    assert len(checked) <= 5, f"{len(checked)} guesses were checked"
    assert statuses[303] == (PERSON["password"] in checked)


async def test_six_simultaneous_registrations_with_one_email(app, db) -> None:
    async with browsers(app, 6) as clients:
        responses = await at_once(*(post_with_token(client, "/register", PERSON) for client in clients))
    # One account; the five others get the answer any taken address gets (nothing is revealed).
    outcomes = Counter((response.status_code, response.headers.get("location")) for response in responses)
    assert outcomes == {(303, "/account"): 1, (303, "/register/sent"): 5}, outcomes
    async with db() as session:
        assert len((await session.scalars(select(User))).all()) == 1
