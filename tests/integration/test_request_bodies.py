"""Request bodies that are too many parts, stop arriving, trickle, or are left half-sent."""

from __future__ import annotations

import logging
from dataclasses import replace

import anyio
import pytest
from litestar.testing import AsyncTestClient

from portal.app import create_app
from tests.integration.conftest import csrf_token


@pytest.fixture
async def slow_app(settings):
    """The app with a one-second body read timeout, its lifespan running."""
    app = create_app(replace(settings, server=replace(settings.server, body_read_timeout=1)))
    async with AsyncTestClient(app=app) as client:
        yield app, client


async def post_raw(app, client: AsyncTestClient, receive) -> list[dict]:
    """POST a form to /login straight through ASGI, its body coming from `receive`."""
    token = await csrf_token(client, "/login")
    cookies = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/login", "raw_path": b"/login", "query_string": b"", "root_path": "", "state": {},
        "client": ("127.0.0.1", 50000), "server": ("testserver.local", 80),
        "headers": [(b"host", b"testserver.local"), (b"content-type", b"application/x-www-form-urlencoded"),
                    (b"content-length", b"100000"), (b"cookie", cookies.encode()), (b"x-csrftoken", token.encode())],
    }
    sent: list[dict] = []

    async def send(message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def status_of(sent: list[dict]) -> int:
    return next(message["status"] for message in sent if message["type"] == "http.response.start")


async def test_a_body_that_stalls_is_cut_with_408(slow_app) -> None:
    app, client = slow_app
    chunks = [{"type": "http.request", "body": b"email=a%40example.com&", "more_body": True}]

    async def receive():
        if chunks:
            return chunks.pop()
        await anyio.sleep_forever()

    with anyio.fail_after(10):
        sent = await post_raw(app, client, receive)
    assert status_of(sent) == 408


async def test_a_body_that_trickles_is_cut_too(slow_app) -> None:
    app, client = slow_app
    received = 0

    async def receive():
        nonlocal received
        await anyio.sleep(0.02)
        received += 1
        return {"type": "http.request", "body": b"x", "more_body": True}

    with anyio.fail_after(10):
        sent = await post_raw(app, client, receive)
    assert status_of(sent) == 408
    assert received < 200  # about a second's worth, not the whole body


async def test_a_client_that_leaves_mid_body_is_logged_in_one_line(slow_app) -> None:
    app, client = slow_app
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    errors = logging.getLogger("portal.errors")
    errors.addHandler(handler)
    events = [{"type": "http.disconnect"}, {"type": "http.request", "body": b"email=a", "more_body": True}]

    async def receive():
        return events.pop()

    try:
        await post_raw(app, client, receive)
    finally:
        errors.removeHandler(handler)
    [record] = records
    assert record.levelno == logging.INFO and record.getMessage() == "client disconnected"
    assert record.exc_info is None


async def test_an_upload_of_too_many_parts_gets_400_with_a_message(client) -> None:
    token = await csrf_token(client, "/")
    boundary = "partsparts"
    parts = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="note{n}"\r\n\r\nx\r\n' for n in range(60))
    body = (parts + f"--{boundary}--\r\n").encode()
    answer = await client.post("/files", content=body, headers={
        "content-type": f"multipart/form-data; boundary={boundary}", "x-csrftoken": token,
        "accept": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["error"] == "The upload has too many parts: send at most 20 files at once."
