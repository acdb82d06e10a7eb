"""Mail delivery: the message was composed in the request; here it only travels."""

from __future__ import annotations

from typing import Any

from arq import Retry

from portal.core.mail import MailNotSent, deliver


async def send_mail(ctx: dict[str, Any], raw: bytes) -> None:
    try:
        await deliver(ctx["settings"], raw)
    except MailNotSent as error:  # arq tries again later, up to the worker's max_tries
        raise Retry(defer=30 * ctx.get("job_try", 1)) from error
