"""Orders as Bitrix24 deals: what the orders service records for the sync job to send.

    order placed / status / price changed ──▶ record_order(): a deal row in the same transaction
    a payment or refund recorded          ──▶ record_order(): the amount paid in the deal's comment
    an order placed                       ──▶ record_quote(): an attach row for its quote PDF
    a document added to an order          ──▶ record_document(): an attach row (deal timeline)

What the sync job may do to orders is `portal.orders.crm_side.OrderLink`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from portal.crm.deals import QUOTE, order_payload, record_attachment, record_deal
from portal.crm.outbox import DEAL, latest_payload
from portal.db.models import BUSINESS_TYPES, User
from portal.db.orders import Document, Order

CENT = Decimal("0.01")
CHARGE_NAMES = {"setup": "Setup and programming: %(part)s", "minimum_order": "Minimum order top-up"}


def order_snapshot(order: Order, business: bool) -> dict[str, Any]:
    """The order as the deal's plain data: totals with VAT, one product row per part."""
    lines = []
    for line in order.lines:
        total = line.total
        name = line.file_name
        chosen = [str(line.options.get(key)) for key in ("process_name", "material_name") if line.options.get(key)]
        if chosen:
            name = f"{name} ({', '.join(chosen)})"
        lines.append({
            "name": name,
            "unit_price": str((total / line.quantity).quantize(CENT)) if total is not None else "0",
            "quantity": line.quantity,
            "vat_rate": float(order.vat_rate * 100),
            "vat_included": True,
        })
    for charge in order.charges or []:
        if Decimal(charge["amount"]) == 0:
            continue
        name = CHARGE_NAMES.get(charge["code"], charge["code"]) % (charge.get("args") or {})
        lines.append({"name": name, "unit_price": charge["amount"], "quantity": 1,
                      "vat_rate": float(order.vat_rate * 100), "vat_included": True})
    return order_payload(
        {"id": str(order.id), "number": order.number, "total": str(order.total), "currency": order.currency,
         "status": order.status, "comment": _with_paid(order)},
        lines, str(order.customer_id), company=business,
    )


def _with_paid(order: Order) -> str:
    """The customer's comment, and how much of the order is paid once anything is: the deal's
    comment is where sales read it."""
    paid = order.amount_paid or Decimal(0)
    if not paid:
        return order.comment
    line = f"Оплачено: {paid.quantize(CENT)} из {order.total.quantize(CENT)} {order.currency}"
    return "\n".join(part for part in (order.comment, line) if part)


async def record_order(session: AsyncSession, order: Order) -> None:
    """A deal row when what Bitrix24 holds of the order changed (in the caller's transaction)."""
    customer = await session.get(User, order.customer_id)
    snapshot = order_snapshot(order, business=customer is not None and customer.account_type in BUSINESS_TYPES)
    if await latest_payload(session, DEAL, snapshot["order"]["id"]) != snapshot:
        record_deal(session, snapshot)


def record_document(session: AsyncSession, document: Document) -> None:
    if document.order_id is not None:
        record_attachment(session, str(document.order_id), str(document.id))


def record_quote(session: AsyncSession, order: Order) -> None:
    record_attachment(session, str(order.id), QUOTE)
