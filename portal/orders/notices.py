"""The e-mail a customer gets when their order changes status, in the language they ordered in.

The in-portal notice is written by the order service in the same transaction as the change;
this message is composed after the change is saved and delivered by the send_mail job.
"""

from __future__ import annotations

from litestar.connection import ASGIConnection

from portal.core.i18n import N_, current_language, gettext
from portal.core.mail import Mail, render_text
from portal.db.models import Order
from portal.orders.lifecycle import STATUS_NAMES

SUBJECT = N_("Order %(number)s: %(status)s")


def order_link(connection: ASGIConnection, mail: Mail, order: Order) -> str:
    """An absolute link to the order's page: on PORTAL_SITE_URL, else where the request came to."""
    path = connection.app.route_reverse("order", order_id=order.id)
    base = mail.settings.site_url or str(connection.base_url).rstrip("/")
    return base + path


async def send_status_mail(connection: ASGIConnection, mail: Mail, order: Order, note: str = "") -> None:
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
            link=order_link(connection, mail, order),
        )
    finally:
        current_language.reset(token)
    await mail.send(mail.compose(order.customer.email, subject, body))
