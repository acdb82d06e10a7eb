"""Mail leaves through a job: SMTP when PORTAL_SMTP_URL is set, else an .eml file in the outbox."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from email import message_from_bytes, policy

import pytest
from arq import Retry

from jobs import inline
from jobs import mail as mail_jobs
from jobs.inline import InlineRunner
from jobs.mail import send_mail
from jobs.worker import WorkerSettings
from portal.config import MailSettings, RedisSettings
from portal.core.logging import configure_logging
from portal.core.mail import Mail, claim_oldest_unsent, unsent_folder
from portal.core.queue import JobQueue
from tests.integration.conftest import run_queued_jobs
from tests.smtp import body_of, free_port, smtp_server

RUSSIAN = "Здравствуйте! Ссылка действует 30 минут."


def with_smtp(settings, url: str | None):
    return replace(settings, mail=replace(settings.mail, smtp_url=url))


async def test_the_worker_delivers_through_smtp(settings, smtp, redis_url) -> None:
    url, mailbox = smtp
    settings = with_smtp(settings, url)
    queue = JobQueue(settings, inline_runner=InlineRunner)
    mail = Mail(settings.mail, queue)
    await mail.send(mail.compose("ivan@example.com", "Сброс пароля", RUSSIAN))
    await queue.close()
    assert mailbox.to("ivan@example.com") == []  # queued, not sent by the caller

    await run_queued_jobs(settings)

    [message] = await mailbox.await_for("ivan@example.com")
    assert message["Subject"] == "Сброс пароля"
    assert message["From"] == "Portal <portal@example.com>"
    assert body_of(message).strip() == RUSSIAN
    assert message["Message-ID"].endswith("@example.com>")


async def test_the_embedded_default_delivers_through_smtp_in_process(settings, smtp) -> None:
    url, mailbox = smtp
    settings = replace(with_smtp(settings, url), redis=RedisSettings(url=None))
    queue = JobQueue(settings, inline_runner=InlineRunner)
    mail = Mail(settings.mail, queue)
    await mail.send(mail.compose("olga@example.com", "Hello", "Plain text"))
    await queue.close()  # waits for the in-process job
    [message] = await mailbox.await_for("olga@example.com")
    assert body_of(message).strip() == "Plain text"


async def test_without_smtp_each_message_is_an_eml_file_and_its_subject_is_logged(settings) -> None:
    settings = replace(with_smtp(settings, None), redis=RedisSettings(url=None))
    configure_logging(debug=False)  # as the app and the worker do
    seen: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = seen.append  # type: ignore[method-assign]
    logging.getLogger("portal.mail").addHandler(handler)
    try:
        queue = JobQueue(settings, inline_runner=InlineRunner)
        mail = Mail(settings.mail, queue)
        await mail.send(mail.compose("petr@example.com", "Сброс пароля", RUSSIAN))
        await mail.send(mail.compose("petr@example.com", "Second", "Another"))
        await queue.close()
    finally:
        logging.getLogger("portal.mail").removeHandler(handler)

    outbox = settings.server.data_dir / "outbox"
    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 2
    assert (outbox.stat().st_mode & 0o777) == 0o700
    assert all((path.stat().st_mode & 0o777) == 0o600 for path in files)
    messages = [message_from_bytes(path.read_bytes(), policy=policy.default) for path in files]
    assert {m["Subject"] for m in messages} == {"Сброс пароля", "Second"}
    assert RUSSIAN in {body_of(m).strip() for m in messages}
    assert {r.fields["subject"] for r in seen} == {"Сброс пароля", "Second"}  # type: ignore[attr-defined]


async def test_an_unreachable_smtp_server_makes_the_job_try_again_later(settings) -> None:
    settings = with_smtp(settings, f"smtp://127.0.0.1:{free_port()}")  # nobody listens there
    mail = Mail(settings.mail, JobQueue(settings))
    raw = mail.compose("nobody@example.com", "Hello", "Text").as_bytes()
    with pytest.raises(Retry):
        await send_mail({"settings": settings, "job_try": 1}, raw)


@pytest.mark.parametrize("url", ["http://mail.example.com", "smtp://", "smtp://host:notaport"])
def test_a_wrong_smtp_url_stops_the_start_with_a_message(settings, url) -> None:
    with pytest.raises(ValueError, match="PORTAL_SMTP_URL|Port"):
        Mail(MailSettings(smtp_url=url, sender="a@b.c", site_url=None, timeout=1), JobQueue(settings))


@pytest.fixture
def quick_retries(monkeypatch) -> None:
    monkeypatch.setattr(mail_jobs, "backoff_seconds", lambda job_try: 0.05)


async def _until(done, timeout: float = 15) -> None:
    for _ in range(int(timeout / 0.05)):
        if done():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the mail job did not get there in time")


async def send_through_the_queue(settings, to: str, subject: str, done) -> None:
    """One message through the job queue: in-process (its retries run there; closing the queue
    would drop a waiting retry, so first wait until `done()`), or by a burst worker."""
    queue = JobQueue(settings, inline_runner=InlineRunner)
    mail = Mail(settings.mail, queue)
    await mail.send(mail.compose(to, subject, "Text."))
    if queue.inline:
        await _until(done)
    await queue.close()
    await run_queued_jobs(settings)


@pytest.mark.parametrize("mode", ["embedded", "services"], indirect=True)
async def test_a_refused_message_is_sent_again_later_in_both_modes(settings, quick_retries) -> None:
    with smtp_server(refuse=2) as (url, mailbox):
        settings = with_smtp(settings, url)
        await send_through_the_queue(settings, "anna@example.com", "Заказ 1001: В производстве",
                                     done=lambda: mailbox.to("anna@example.com"))
    assert mailbox.refused == 2  # refused twice, taken on the third attempt
    [message] = mailbox.to("anna@example.com")
    assert message["Subject"] == "Заказ 1001: В производстве"
    assert not (settings.server.data_dir / "outbox" / "unsent").exists()


@pytest.mark.parametrize("mode", ["embedded", "services"], indirect=True)
async def test_after_the_last_attempt_the_failure_is_logged_and_the_message_kept(settings, quick_retries) -> None:
    configure_logging(debug=False)
    seen: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = seen.append  # type: ignore[method-assign]
    logging.getLogger("portal.mail").addHandler(handler)
    unsent = settings.server.data_dir / "outbox" / "unsent"
    try:
        with smtp_server(refuse=1000) as (url, mailbox):
            await send_through_the_queue(with_smtp(settings, url), "boris@example.com", "Order 1002: Shipped",
                                         done=lambda: any(unsent.glob("*.eml")))
    finally:
        logging.getLogger("portal.mail").removeHandler(handler)

    assert mailbox.refused == mail_jobs.MAX_ATTEMPTS  # tried so often, then no more
    [failure] = [r for r in seen if r.getMessage() == "mail_failed"]
    assert failure.levelno == logging.ERROR
    assert failure.fields["subject"] == "Order 1002: Shipped"  # type: ignore[attr-defined]
    assert failure.fields["attempts"] == mail_jobs.MAX_ATTEMPTS  # type: ignore[attr-defined]
    [kept] = unsent.glob("*.eml")
    assert message_from_bytes(kept.read_bytes(), policy=policy.default)["To"] == "boris@example.com"


def test_mail_is_given_up_no_later_than_the_queue_stops_trying() -> None:
    assert min(WorkerSettings.max_tries, inline.MAX_TRIES) >= mail_jobs.MAX_ATTEMPTS


@pytest.mark.parametrize("mode", ["embedded"], indirect=True)
async def test_the_embedded_default_keeps_a_message_that_waits_to_be_tried_again_when_it_stops(
    settings, monkeypatch
) -> None:
    monkeypatch.setattr(mail_jobs, "backoff_seconds", lambda job_try: 600)
    unsent = settings.server.data_dir / "outbox" / "unsent"
    with smtp_server(refuse=1000) as (url, mailbox):
        await send_through_the_queue(with_smtp(settings, url), "vera@example.com", "Order 1003: Completed",
                                     done=lambda: mailbox.refused == 1)  # closing while it waits 10 min
    [kept] = unsent.glob("*.eml")
    assert message_from_bytes(kept.read_bytes(), policy=policy.default)["Subject"] == "Order 1003: Completed"


def keep_messages(settings, *recipients: str) -> list:
    """Messages that never got through, kept as the last attempt keeps them."""
    mail = Mail(settings.mail, JobQueue(settings, inline_runner=InlineRunner))
    return [mail_jobs.keep_unsent(settings, mail.compose(to, f"For {to}", "Text.").as_bytes(), 5,
                                  RuntimeError("down")) for to in recipients]


async def test_kept_messages_go_out_once_the_server_takes_mail_again(settings) -> None:
    keep_messages(settings, "a@example.com", "b@example.com")
    with smtp_server() as (url, mailbox):
        sent = await mail_jobs.resend_unsent({"settings": with_smtp(settings, url)})
        assert sent == 2
        assert [len(mailbox.to(who)) for who in ("a@example.com", "b@example.com")] == [1, 1]
    assert list(unsent_folder(settings).iterdir()) == []  # nothing left, nothing claimed


async def test_a_server_still_refusing_costs_one_attempt_and_loses_nothing(settings) -> None:
    first, second = keep_messages(settings, "c@example.com", "d@example.com")
    with smtp_server(refuse=1000) as (url, mailbox):
        assert await mail_jobs.resend_unsent({"settings": with_smtp(settings, url)}) == 0
    assert mailbox.refused == 1  # the oldest was tried; the run stopped there
    kept = sorted(unsent_folder(settings).glob("*.eml"))
    assert len(kept) == 2 and kept[0] == second  # the refused one went to the back
    assert {message_from_bytes(p.read_bytes(), policy=policy.default)["To"] for p in kept} == {
        "c@example.com", "d@example.com"}


async def test_two_workers_at_once_send_each_kept_message_once(settings) -> None:
    recipients = [f"r{i}@example.com" for i in range(12)]
    keep_messages(settings, *recipients)
    with smtp_server() as (url, mailbox):
        ctx = {"settings": with_smtp(settings, url)}
        counts = await asyncio.gather(mail_jobs.resend_unsent(ctx), mail_jobs.resend_unsent(ctx))
        assert sum(counts) == 12
        assert [len(mailbox.to(who)) for who in recipients] == [1] * 12
    assert list(unsent_folder(settings).iterdir()) == []


async def test_a_message_claimed_by_a_worker_that_stopped_is_sent_later(settings) -> None:
    import os

    [kept] = keep_messages(settings, "e@example.com")
    claimed = claim_oldest_unsent(unsent_folder(settings))  # the worker stops here
    assert claimed is not None and not kept.exists()
    with smtp_server() as (url, mailbox):
        ctx = {"settings": with_smtp(settings, url)}
        assert await mail_jobs.resend_unsent(ctx) == 0  # a fresh claim: maybe still being sent
        an_hour_ago = claimed.stat().st_mtime - mail_jobs.STALE_CLAIM_SECONDS - 1
        os.utime(claimed, (an_hour_ago, an_hour_ago))
        assert await mail_jobs.resend_unsent(ctx) == 1
        assert len(mailbox.to("e@example.com")) == 1


def test_kept_messages_are_tried_again_on_a_schedule() -> None:
    from jobs.registry import JOBS, SCHEDULE

    assert JOBS["resend_unsent"] is mail_jobs.resend_unsent
    assert "resend_unsent" in {job.name for job in SCHEDULE}
