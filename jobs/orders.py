"""Jobs of the orders domain: refunds of card payments when a paid order is cancelled."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from arq import Retry

from jobs.context import unit_of_work
from portal.core.backoff import backoff
from portal.orders.notices import tell_payment
from portal.orders.payments import PaymentService
from portal.orders.yookassa import YooKassa, YooKassaUnavailable

MAX_ATTEMPTS = 5  # the queue's max_tries; each attempt has the client's own retries
_log = logging.getLogger("portal.orders")


async def refund_card_payments(ctx: dict[str, Any], order_id: str) -> None:
    """Give back the card payments of a cancelled order. Each refund's Idempotence-Key is its
    payment's row id, so a run repeated after a crash refunds nothing twice. A failure is left on
    the order at once, for staff to see and retry; YooKassa out of reach is tried again later
    here too, an error it answers is not."""
    settings = ctx["settings"]
    if not settings.payments.yookassa_enabled:
        return
    job_try = ctx.get("job_try", 1)
    async with YooKassa(settings.payments) as kassa, unit_of_work(ctx, PaymentService) as payments:
        done = await payments.refund_cancelled(UUID(order_id), kassa, settings.payments.yookassa_receipts)
    if done.amounts:
        link = ctx["links"].url("order", order_id=str(done.order.id))
        for amount in done.amounts:
            await tell_payment(ctx["mail"], done.order, amount, link, refund=True)
    if done.error is None:
        return
    if isinstance(done.error, YooKassaUnavailable) and job_try < MAX_ATTEMPTS:
        raise Retry(defer=backoff(job_try, 30, cap=3600)) from done.error
    _log.error("card payments of order %s not refunded after %s attempts: %s; staff can retry from its page",
               order_id, job_try, done.error)
