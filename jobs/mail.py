"""Mail delivery: the message was composed in the request; here it only travels.

An SMTP server that cannot be reached or refuses the message is tried again with a growing pause,
in both modes (the arq worker and the in-process runner give the job the same `job_try`). After
MAX_ATTEMPTS the failure is logged as an error and the message is kept under the outbox folder's
`unsent/`, so that nothing is lost without a trace; so is a message that waits for its next attempt
when the embedded default stops (the worker's queue keeps it in Redis). Every half hour
`resend_unsent` tries the kept messages again, oldest first, and stops at the first one the
server still refuses (that one goes to the back), so a server that is down costs one attempt.
"""

from __future__ import annotations

from typing import Any

from arq import Retry

from portal.core.backoff import backoff
from portal.core.logging import log_event
from portal.core.mail import (
    MailNotSent,
    claim_oldest_unsent,
    deliver,
    keep_for_later,
    keep_unsent,
    mail_log,
    release_stale_claims,
    unsent_folder,
)

MAX_ATTEMPTS = 5  # the worker's and the in-process runner's max_tries
RESEND_BATCH = 200  # kept messages sent again per run at most
STALE_CLAIM_SECONDS = 3600  # a claimed message not sent within this was left by a stopped worker


def backoff_seconds(job_try: int) -> float:
    """30 s, 1, 2, 4 min … with ±20 % jitter."""
    return backoff(job_try, 30)


async def send_mail(ctx: dict[str, Any], raw: bytes) -> None:
    job_try = ctx.get("job_try", 1)
    try:
        await deliver(ctx["settings"], raw)
    except MailNotSent as error:
        if job_try >= MAX_ATTEMPTS:
            keep_unsent(ctx["settings"], raw, job_try, error)
            return
        raise Retry(defer=backoff_seconds(job_try)) from error


def keep_at_shutdown(ctx: dict[str, Any], raw: bytes) -> None:
    """The embedded default stopped while the message waited for its next attempt: keep it."""
    keep_unsent(ctx["settings"], raw, ctx.get("job_try", 1), MailNotSent("the portal stopped before the next attempt"))


async def resend_unsent(ctx: dict[str, Any]) -> int:
    """Send the messages kept under `outbox/unsent/` now that the server may take them; returns
    how many went. Each is claimed by a rename (two workers never send one twice) and removed
    once sent."""
    settings = ctx["settings"]
    folder = unsent_folder(settings)
    if not folder.is_dir():
        return 0
    release_stale_claims(folder, STALE_CLAIM_SECONDS)
    sent = 0
    for _ in range(RESEND_BATCH):
        claimed = claim_oldest_unsent(folder)
        if claimed is None:
            break
        try:
            await deliver(settings, claimed.read_bytes())
        except MailNotSent as error:
            kept = keep_for_later(claimed)
            log_event(mail_log, "mail_still_unsent", file=str(kept), error=str(error))
            break
        claimed.unlink()
        sent += 1
    if sent:
        log_event(mail_log, "mail_resent", count=sent)
    return sent
