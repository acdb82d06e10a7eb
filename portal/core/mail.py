"""Outgoing mail: composed during the request, delivered by a job.

    message = mail.compose(to, subject, render_text("mail/….txt", …))   # in the person's language
    await mail.send(message)               # enqueues the `send_mail` job and returns at once
    await deliver(settings, raw)           # what the job does: SMTP, or a file in the outbox

`PORTAL_SMTP_URL` set: SMTP through aiosmtplib (`smtp://` upgrades with STARTTLS when the server
offers it, `smtps://` speaks TLS from the first byte). Unset: each message is written as an .eml
file under `<data folder>/outbox/` and its subject logged, so the embedded default loses nothing
and a developer can open what was sent. A slow or unreachable SMTP server delays the job, never a
request; the job tries again with a growing pause, and a message that never got through is kept
under `outbox/unsent/` (see jobs/mail.py), from where a scheduled job sends it once the server
takes mail again.
"""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import aiosmtplib
from litestar.connection import ASGIConnection

from portal.config import MailSettings, Settings
from portal.core.logging import log_event
from portal.core.queue import JobQueue

mail_log = logging.getLogger("portal.mail")

DEFAULT_PORTS = {"smtp": 25, "smtps": 465}


class MailNotSent(Exception):
    """The SMTP server could not be reached or refused the message; the job may try again."""


@dataclass(frozen=True)
class SmtpServer:
    hostname: str
    port: int
    use_tls: bool
    username: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            raise ValueError("PORTAL_SMTP_URL must look like smtp://user:password@host:587 or smtps://host:465")
        return cls(
            hostname=parts.hostname,
            port=parts.port or DEFAULT_PORTS[parts.scheme],
            use_tls=parts.scheme == "smtps",
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


class Mail:
    """What the web process holds: it composes messages and hands them to the queue."""

    def __init__(self, settings: MailSettings, queue: JobQueue) -> None:
        if settings.smtp_url:
            SmtpServer.from_url(settings.smtp_url)  # a wrong setting stops the start, not a job
        self.settings = settings
        self._queue = queue

    def compose(self, to: str, subject: str, body: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.settings.sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = format_datetime(datetime.now(UTC))
        domain = parseaddr(self.settings.sender)[1].rpartition("@")[2] or "localhost"
        message["Message-ID"] = make_msgid(domain=domain)
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies, please
        message.set_content(body)
        return message

    def link(self, connection: ASGIConnection, route_name: str, **path_parameters: Any) -> str:
        """An absolute link for a message: on PORTAL_SITE_URL, else where the request came to."""
        if self.settings.site_url:
            return self.settings.site_url + connection.app.route_reverse(route_name, **path_parameters)
        return connection.url_for(route_name, **path_parameters)

    async def send(self, message: EmailMessage) -> None:
        """Deliver later, in a job; the Message-ID is the job id, so it is sent once."""
        await self._queue.enqueue("send_mail", message.as_bytes(), job_id=f"mail:{message['Message-ID']}")


async def deliver(settings: Settings, raw: bytes) -> None:
    message = message_from_bytes(raw, policy=policy.default)
    subject = str(message.get("Subject", ""))
    if not settings.mail.smtp_url:
        path = write_to_outbox(settings.server.data_dir / "outbox", raw)
        log_event(mail_log, "mail_written", subject=subject, file=str(path))
        return
    server = SmtpServer.from_url(settings.mail.smtp_url)
    try:
        await aiosmtplib.send(
            message,
            hostname=server.hostname,
            port=server.port,
            use_tls=server.use_tls,
            username=server.username,
            password=server.password,
            timeout=settings.mail.timeout,
        )
    except (aiosmtplib.SMTPException, OSError) as error:
        raise MailNotSent(f"{type(error).__name__}: {error}") from error
    log_event(mail_log, "mail_sent", subject=subject, message_id=str(message.get("Message-ID", "")))


def keep_unsent(settings: Settings, raw: bytes, attempts: int, error: Exception) -> Path:
    """The last attempt failed: the message goes to `<outbox>/unsent/` and the failure is logged."""
    message = message_from_bytes(raw, policy=policy.default)
    path = write_to_outbox(settings.server.data_dir / "outbox" / "unsent", raw)
    fields = {"event": "mail_failed", "subject": str(message.get("Subject", "")), "to": str(message.get("To", "")),
              "attempts": attempts, "error": str(error), "file": str(path)}
    mail_log.error("mail_failed", extra={"fields": fields})
    return path


def unsent_folder(settings: Settings) -> Path:
    return settings.server.data_dir / "outbox" / "unsent"


CLAIMED = ".sending"


def claim_oldest_unsent(folder: Path) -> Path | None:
    """The oldest kept message, renamed so that no other worker takes it too, or None."""
    for path in sorted(folder.glob("*.eml")):  # the names begin with the time they were kept
        claimed = path.with_name(f".{path.name}{CLAIMED}")
        try:
            path.rename(claimed)  # atomic: of two workers, one renames and the other finds nothing
        except FileNotFoundError:
            continue
        os.utime(claimed)  # the claim's age, for `release_stale_claims`
        return claimed
    return None


def _message_name() -> str:
    """A name that sorts by when the message was kept, to the microsecond."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:12]}.eml"


def keep_for_later(claimed: Path) -> Path:
    """Put a claimed message back, behind the others (a new, later name)."""
    return claimed.rename(claimed.with_name(_message_name()))


def release_stale_claims(folder: Path, older_than_seconds: float) -> int:
    """Put back what a worker claimed and never finished with (it stopped half-way)."""
    released = 0
    now = datetime.now(UTC).timestamp()
    for claimed in folder.glob(f".*.eml{CLAIMED}"):
        try:
            if now - claimed.stat().st_mtime > older_than_seconds:
                keep_for_later(claimed)
                released += 1
        except FileNotFoundError:  # sent or released by another worker meanwhile
            continue
    return released


def write_to_outbox(outbox: Path, raw: bytes) -> Path:
    """One file per message, readable by its owner only (reset links are secrets)."""
    outbox.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = _message_name()
    partial = outbox / f".{name}.part"
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(raw)
    final = outbox / name
    partial.rename(final)  # a reader never sees half a message
    return final


@lru_cache(maxsize=1)
def _text_environment():
    from portal.core.templates import build_environment

    return build_environment()


def render_text(template_name: str, **context: Any) -> str:
    """A plain-text message body from templates/mail/, in the current request's language."""
    return _text_environment().get_template(template_name).render(**context)


def provide_mail(request: ASGIConnection) -> Mail:
    return request.app.state.mail
