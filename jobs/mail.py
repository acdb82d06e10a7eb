"""Mail delivery: the message was composed in the request; here it only travels.

An SMTP server that cannot be reached or refuses the message is tried again with a growing pause,
in both modes (the arq worker and the in-process runner give the job the same `job_try`). After
MAX_ATTEMPTS the failure is logged as an error and the message is kept under the outbox folder's
`unsent/`, so that nothing is lost without a trace; so is a message that waits for its next attempt
when the embedded default stops (the worker's queue keeps it in Redis).
"""

from __future__ import annotations

import random
from typing import Any

from arq import Retry

from portal.core.mail import MailNotSent, deliver, keep_unsent

MAX_ATTEMPTS = 5  # the worker's and the in-process runner's max_tries


def backoff_seconds(job_try: int) -> float:
    """30 s, 1, 2, 4 min … with ±20 % jitter."""
    return 30 * 2 ** max(job_try - 1, 0) * random.uniform(0.8, 1.2)


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
