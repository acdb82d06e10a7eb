"""Card payments through YooKassa: the customer's "Pay by card" and the notifications YooKassa
sends to the URL set in the shop's settings.

A notification is only a hint: anyone can post one. The payment is fetched from the API by its id
and recorded only when the API says it succeeded and its metadata names one of our orders in the
order's currency. YooKassa sends a notification again until it gets a 200, so an API we cannot
reach answers 503; everything else (a payment not paid, an unknown id, a duplicate) answers 200.
"""

from __future__ import annotations

import json
import logging
import re
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from litestar import Controller, Request, post
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Response

from portal.config import Settings
from portal.core.flash import flash
from portal.core.forms import FieldError, FormData
from portal.core.mail import Mail
from portal.core.templates import redirect_to
from portal.db.unit_of_work import AfterCommit
from portal.orders.guards import requires_login
from portal.orders.notices import tell_payment
from portal.orders.payments import PaymentService
from portal.orders.schemas import KEY_RE, MAX_PRICE, field_value, new_submit_key
from portal.orders.services import OrderService
from portal.orders.yookassa import YooKassa, YooKassaRefused, YooKassaUnavailable

_log = logging.getLogger("portal.orders")
NOTICE_LIMIT = 64 * 1024  # a notification is a few kilobytes
ORDER_ID = re.compile(r"^[0-9a-fA-F-]{32,36}$")


class CardPaymentController(Controller):
    guards = [requires_login]

    @post("/orders/{order_id:uuid}/pay", name="order_pay")
    async def pay(self, request: HTMXRequest, orders: OrderService, payments: PaymentService, settings: Settings,
                  mail: Mail, order_id: UUID, data: FormData) -> Redirect:
        order = await orders.visible(order_id, request.user)
        if not settings.payments.yookassa_enabled:
            return redirect_to(request, "order", order_id=order_id)
        key = field_value(data, "pay_key")
        key = key if KEY_RE.match(key) else new_submit_key()
        return_url = mail.link(request, "order", order_id=order.id)
        try:
            async with YooKassa(settings.payments) as kassa:
                url = await payments.start_online(order, kassa, key, return_url, settings.payments.yookassa_receipts)
        except FieldError as error:
            flash(request, error.message, "error")
            return redirect_to(request, "order", order_id=order_id)
        return Redirect(url, status_code=303)


class YooKassaNotificationController(Controller):
    @post("/payments/yookassa/notifications", name="yookassa_notifications", opt={"exclude_from_csrf": True},
          status_code=200, request_max_body_size=NOTICE_LIMIT)
    async def receive(self, request: Request, payments: PaymentService, settings: Settings, mail: Mail,
                      after_commit: AfterCommit) -> Response:
        if not settings.payments.yookassa_enabled:
            return Response({"error": "card payments are not set up"}, status_code=404)
        try:
            notice = json.loads(await request.body())
        except ValueError:
            return Response({"error": "not JSON"}, status_code=400)
        payment_id = _payment_id(notice)
        if payment_id is None:
            return Response({"ok": True, "ignored": "not a payment event"})
        try:
            async with YooKassa(settings.payments) as kassa:
                paid = await kassa.payment(payment_id)
        except YooKassaUnavailable as error:
            _log.warning("yookassa notification for %s not checked: %s", payment_id, error)
            return Response({"error": "try again later"}, status_code=503)
        except YooKassaRefused as error:
            _log.warning("yookassa notification for an unknown payment %s: %s", payment_id, error)
            return Response({"ok": True, "ignored": "unknown payment"})
        order_id, amount = _succeeded(paid)
        if order_id is None:
            return Response({"ok": True, "ignored": "not paid"})
        order = await payments.record_online(order_id, paid)
        if order is not None:
            _log.info("yookassa payment %s recorded for order %s", payment_id, order.id)
            link = mail.link(request, "order", order_id=order.id)  # told once the payment is saved
            after_commit.add(lambda: tell_payment(mail, order, amount, link))
        return Response({"ok": True})


def _payment_id(notice: Any) -> str | None:
    if not isinstance(notice, dict) or not str(notice.get("event") or "").startswith("payment."):
        return None
    target = notice.get("object")
    payment_id = target.get("id") if isinstance(target, dict) else None
    return payment_id if isinstance(payment_id, str) and payment_id else None


def _succeeded(paid: dict[str, Any]) -> tuple[UUID | None, Decimal]:
    """The order a payment the API calls succeeded is for, and its amount; (None, 0) otherwise."""
    metadata = paid.get("metadata") if isinstance(paid.get("metadata"), dict) else {}
    amount = paid.get("amount") if isinstance(paid.get("amount"), dict) else {}
    order_id = metadata.get("order_id")
    if paid.get("status") != "succeeded" or paid.get("paid") is not True or not isinstance(order_id, str) \
            or not ORDER_ID.match(order_id) or not isinstance(paid.get("id"), str):
        return None, Decimal(0)
    try:
        value = Decimal(str(amount.get("value")))
        order = UUID(order_id)
    except (InvalidOperation, ValueError):
        return None, Decimal(0)
    if not value.is_finite() or value <= 0 or value >= MAX_PRICE:
        return None, Decimal(0)
    return order, value
