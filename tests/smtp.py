"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for tests that read mail."""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

LINK = re.compile(r"https?://\S+")


class Mailbox:
    """Every message the server accepted, parsed; safe to read from any thread."""

    def __init__(self, refuse: int = 0) -> None:
        self._messages: list[EmailMessage] = []
        self._lock = threading.Lock()
        self.refuse = refuse  # so many messages are refused ("try again later") before any is taken
        self.refused = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            if self.refused < self.refuse:
                self.refused += 1
                return "451 4.3.0 Try again later"
            self._messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self._messages if address.lower() in str(m["To"]).lower()]

    def wait_for(self, address: str, count: int = 1, timeout: float = 15) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"no {count} message(s) for {address} within {timeout}s; got {len(self.to(address))}")

    async def await_for(self, address: str, count: int = 1, timeout: float = 15) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address)
            if len(found) >= count:
                return found
            await asyncio.sleep(0.05)
        raise AssertionError(f"no {count} message(s) for {address} within {timeout}s; got {len(self.to(address))}")


def body_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "the message has no text part"
    return part.get_content()


def links_in(message: EmailMessage) -> list[str]:
    return LINK.findall(body_of(message))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def smtp_server(refuse: int = 0) -> Iterator[tuple[str, Mailbox]]:
    """Yield the server's smtp:// URL and its mailbox; the server runs in its own thread. It refuses
    the first `refuse` messages for now (451), as a busy or greylisting server does."""
    mailbox = Mailbox(refuse)
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", mailbox
    finally:
        controller.stop()
