"""How a customer hears of a status change, whoever made it (staff on the order's page, or sales
moving the deal in Bitrix24): twice.

  * the in-portal notice: written by the order service in the transaction of the change
    (`OrderService._status_changed`), so that it exists exactly when the change does;
  * the e-mail, in the language they ordered in: `tell_customer`, called once the change is
    committed (never mail a change that was not saved) and delivered by the send_mail job.
"""

from __future__ import annotations

from portal.core.i18n import N_, current_language, gettext
from portal.core.mail import Mail, render_text
from portal.db.models import Order
from portal.orders.lifecycle import STATUS_NAMES

SUBJECT = N_("Order %(number)s: %(status)s")


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
