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
from portal.orders.yookassa import YooKassa, YooKassaRefused, YooKassaUnavailable

MAX_ATTEMPTS = 5  # the queue's max_tries; each attempt has the client's own retries
_log = logging.getLogger("portal.orders")


async def refund_card_payments(ctx: dict[str, Any], order_id: str) -> None:
    """Give back the card payments of a cancelled order. Each refund's Idempotence-Key is its
    payment's row id, so a run repeated after a crash refunds nothing twice."""
    settings = ctx["settings"]
    if not settings.payments.yookassa_enabled:
        return
    job_try = ctx.get("job_try", 1)
    try:
        async with YooKassa(settings.payments) as kassa, unit_of_work(ctx, PaymentService) as payments:
            order, amounts = await payments.refund_cancelled(UUID(order_id), kassa, settings.payments.yookassa_receipts)
    except YooKassaUnavailable as error:
        if job_try >= MAX_ATTEMPTS:
            _log.error("card payments of order %s not refunded after %s attempts: %s", order_id, job_try, error)
            return
        raise Retry(defer=backoff(job_try, 30, cap=3600)) from error
    except YooKassaRefused as error:
        _log.error("card payments of order %s not refunded: %s", order_id, error)
        return
    link = ctx["links"].url("order", order_id=str(order.id))
    for amount in amounts:
        await tell_payment(ctx["mail"], order, amount, link, refund=True)
