"""Anonymous uploads sent at once: throttled exactly at the limits, and every accepted file stays
the visitor's."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

import httpx
import pytest
from sqlalchemy import func, select

from portal.app import create_app
from portal.db.models import ModelFile
from tests.integration.conftest import CSRF_META
from tests.integration.test_bursts import at_once

pytestmark = [pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True), pytest.mark.slow]

NOT_A_MODEL = b"not a model at all"  # refused by content at once: no analysis job to wait for
FILE_LINK = re.compile(r'href="/files/([0-9a-f-]{36})"')


def browser(app, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def send(client: httpx.AsyncClient, token: str, name: str) -> httpx.Response:
    files = {"files": (name, NOT_A_MODEL, "application/octet-stream")}
    return await client.post("/files", files=files, headers={"x-csrftoken": token, "accept": "application/json"})


async def token_of(client: httpx.AsyncClient) -> str:
    return CSRF_META.search((await client.get("/")).text).group(1)


async def test_files_sent_at_once_by_a_new_visitor_all_stay_theirs(app) -> None:
    """The page's script sends a new visitor's first file alone (its answer gives the session
    the visitor's key), then every other file in its own request, all at once."""
    async with app.lifespan(), browser(app, "10.1.0.1") as client:
        token = await token_of(client)
        answers = [await send(client, token, "part0.stl")]
        answers += await at_once(*(send(client, token, f"part{n}.stl") for n in range(1, 6)))
        assert Counter(answer.status_code for answer in answers) == {201: 6}
        accepted = {answer.json()["files"][0]["id"] for answer in answers}
        for file_id in accepted:
            assert (await client.get(f"/files/{file_id}")).status_code == 200
        assert set(FILE_LINK.findall((await client.get("/files")).text)) >= accepted


async def test_twenty_uploads_at_once_from_one_session_store_the_limit(settings) -> None:
    few = replace(settings, uploads=replace(settings.uploads, session_uploads=3, address_uploads=100))
    app = create_app(few)
    async with app.lifespan(), browser(app, "10.1.0.1") as client:
        token = await token_of(client)
        assert (await send(client, token, "first.stl")).status_code == 201
        answers = await at_once(*(send(client, token, f"part{n}.stl") for n in range(20)))
        assert Counter(answer.status_code for answer in answers) == {201: 2, 429: 18}


async def test_twenty_uploads_at_once_from_one_address_store_the_limit(settings) -> None:
    few = replace(settings, uploads=replace(settings.uploads, session_uploads=100, address_uploads=5))
    app = create_app(few)
    async with app.lifespan():
        clients = [browser(app, "10.1.0.2") for _ in range(20)]
        sends = [send(client, await token_of(client), "part.stl") for client in clients]
        answers = await at_once(*sends)
        for client in clients:
            await client.aclose()
    assert Counter(answer.status_code for answer in answers) == {201: 5, 429: 15}


async def test_many_file_forms_sent_at_once_stay_within_the_session_limit(settings, db) -> None:
    """The plain form sends every chosen file in one request: each file counts, at once."""
    few = replace(settings, uploads=replace(settings.uploads, session_uploads=10, address_uploads=100))
    app = create_app(few)
    async with app.lifespan(), browser(app, "10.1.0.3") as client:
        token = await token_of(client)
        assert (await send(client, token, "first.stl")).status_code == 201
        four = [("files", (f"part{n}.stl", NOT_A_MODEL, "application/octet-stream")) for n in range(4)]
        answers = await at_once(*(
            client.post("/files", files=four, headers={"x-csrftoken": token, "accept": "application/json"})
            for _ in range(5)
        ))
    codes = Counter(answer.status_code for answer in answers)
    assert set(codes) <= {201, 429} and codes[429] >= 3, codes
    async with db() as session:
        stored = await session.scalar(select(func.count()).select_from(ModelFile))
    assert stored == 1 + 4 * codes[201] <= 10
