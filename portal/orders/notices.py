"""How a customer hears of a status change, a payment, a refund, a shipment or a new ship-by date.

Of each, whoever made it (staff on the order's page, YooKassa, the refund job, or sales moving
the deal in Bitrix24): twice.

  * the in-portal notice: written by the order and payment services in the transaction of the
    change (`OrderService._notify`), so that it exists exactly when the change does;
  * the e-mail, in the language they ordered in: `tell_customer`, `tell_payment`,
    `tell_shipment`, `tell_ship_by`, called once the change is committed (never mail a change
    that was not saved) and delivered by the send_mail job.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from portal.core.i18n import N_, current_language, gettext
from portal.core.mail import Mail, render_text
from portal.db.models import Order, Shipment
from portal.orders.carriers import CARRIERS, tracking_url
from portal.orders.labels import money
from portal.orders.lifecycle import STATUS_NAMES
from portal.orders.ship_dates import order_ship_by
from portal.quotes.labels import long_date

SUBJECT = N_("Order %(number)s: %(status)s")
PAYMENT_SUBJECT = N_("Order %(number)s: payment received")
REFUND_SUBJECT = N_("Order %(number)s: money refunded")
SHIPMENT_SUBJECT = N_("Order %(number)s: parts shipped")
SHIP_BY_SUBJECT = N_("Order %(number)s: a new ship-by date")


async def tell_customer(mail: Mail, order: Order, link: str, note: str = "") -> None:
    """The e-mail of the order's current status (its notice came with the change). `link`: the
    order's page, `mail.link(request, "order", …)` in a request, `SiteLinks.url` in a job."""
    token = current_language.set(order.language)
    try:
        status = gettext(STATUS_NAMES[order.status])
        subject = gettext(SUBJECT) % {"number": order.number, "status": status}
        body = render_text(
            "mail/order_status.txt",
            order=order,
            customer=order.customer,
            status=status,
            note=note,
            link=link,
        )
    finally:
        current_language.reset(token)
    await mail.send(mail.compose(order.customer.email, subject, body))


async def tell_payment(mail: Mail, order: Order, amount: Decimal, link: str, refund: bool = False) -> None:
    """The e-mail of a payment received (or a refund): how much, and how much is paid in all.
    `link`: the order's page, as for `tell_customer`."""
    await _send(mail, order, REFUND_SUBJECT if refund else PAYMENT_SUBJECT, "mail/order_payment.txt", link,
                lambda: {"amount": money(amount, order.currency), "paid": money(order.amount_paid, order.currency),
                         "total": money(order.total, order.currency),
                         "left": money(order.left_to_pay, order.currency), "refund": refund})


async def tell_shipment(mail: Mail, order: Order, shipment: Shipment, link: str) -> None:
    """The e-mail of parts shipped: the carrier, the tracking number and its link."""
    carrier = CARRIERS.get(shipment.carrier)
    names = {str(line.id): line.file_name for line in order.lines}
    parts = [{**line, "name": names.get(line["line_id"], "")} for line in shipment.lines]
    await _send(mail, order, SHIPMENT_SUBJECT, "mail/order_shipment.txt", link,
                lambda: {"shipment": shipment, "carrier": gettext(carrier.name) if carrier else shipment.carrier,
                         "tracking": tracking_url(shipment.carrier, shipment.tracking_number), "parts": parts,
                         "complete": order.status != "in_production"})


async def tell_ship_by(mail: Mail, order: Order, before: date | None, link: str, reason: str = "") -> None:
    """The e-mail of a new ship-by date staff promised: the new date, the one it replaces, why."""
    due = order_ship_by(order)
    await _send(mail, order, SHIP_BY_SUBJECT, "mail/order_ship_by.txt", link,
                lambda: {"ship_by": long_date(due), "was": long_date(before) if before else "", "reason": reason})


async def _send(mail: Mail, order: Order, subject: str, template: str, link: str,
                context: Callable[[], dict[str, object]]) -> None:
    """`context` is called in the customer's language: amounts and names are written their way."""
    token = current_language.set(order.language)
    try:
        subject = gettext(subject) % {"number": order.number}
        body = render_text(template, order=order, customer=order.customer,
                           link=link, **context())
    finally:
        current_language.reset(token)
    await mail.send(mail.compose(order.customer.email, subject, body))
