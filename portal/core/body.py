"""Reading request bodies: a body that stops coming is cut, a client that leaves is let go.

uvicorn has no body read timeout: a client that sends one byte a second holds a connection (and a
temporary file, and a database session) for as long as it likes. `BodyReadGuard` wraps each
request's `receive`: the body must arrive within `timeout` seconds plus the time it would take to
send what came so far at `MIN_RATE` (a slow but steady upload goes on; a stalled or trickling one
is answered 408). A client that disconnects while its body is read ends the request with
`ClientDisconnected`, which the error handlers log in one line: it is not a fault of ours.
"""

from __future__ import annotations

import time

import anyio

MIN_RATE = 16 * 1024  # bytes per second, averaged from the first byte of the body


class BodyReadTimeout(Exception):
    """The request body stalled or trickled past its deadline."""


class ClientDisconnected(Exception):
    """The client went away before its body was read."""


class BodyReadGuard:
    def __init__(self, app, timeout: float) -> None:
        self.app = app
        self.timeout = timeout

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.app(scope, _guarded(receive, self.timeout), send)


def _guarded(receive, timeout: float):
    started = time.monotonic()
    received = 0
    done = False

    async def guarded_receive():
        nonlocal received, done
        if done:  # after the body, receive() only waits for the disconnect: no deadline
            return await receive()
        remaining = started + timeout + received / MIN_RATE - time.monotonic()
        message = None
        with anyio.move_on_after(max(remaining, 0)):
            message = await receive()
        if message is None:
            raise BodyReadTimeout
        if message["type"] == "http.disconnect":
            raise ClientDisconnected
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            done = not message.get("more_body", False)
        return message

    return guarded_receive
