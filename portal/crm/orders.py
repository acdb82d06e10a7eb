"""Orders and Bitrix24 deals: what the orders service records, and what the sync job may do to orders.

    order placed / status / price changed ──▶ record_order(): a deal row in the same transaction
    a payment or refund recorded          ──▶ record_order(): the amount paid in the deal's comment
    an order placed                       ──▶ record_quote(): an attach row for its quote PDF
    a document added to an order          ──▶ record_document(): an attach row (deal timeline)
    sales move the deal (event → pull)    ──▶ OrderLink.status_from_crm(): the order follows,
                                               without writing the deal back (no echo), and
                                               OrderLink.status_told(): the customer's e-mail
                                               (and the refund of a cancelled order's card payments)
    the deal reaches an invoice stage     ──▶ OrderLink.attach_invoice(): the PDF on the order
"""

from __future__ import annotations

import hashlib
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from portal.core.i18n import DEFAULT_LANGUAGE, LANGUAGES, current_language
from portal.crm.deals import QUOTE, order_payload, record_attachment, record_deal
from portal.crm.outbox import DEAL, latest_payload
from portal.db.models import BUSINESS_TYPES, User
from portal.db.orders import Document, Order

if TYPE_CHECKING:
    from portal.core.links import SiteLinks
    from portal.core.mail import Mail
    from portal.core.queue import JobQueue
    from portal.files.storage import Storage

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


class OrderLink:
    """The `OrderSide` the sync job gets: order changes that come from Bitrix24.

    `links`: links to the order's page in its mail and deal, on the configured site (a job has no
    request to go by); `queue`: where the refund of a cancelled order's card payments is queued."""

    def __init__(self, storage: Storage, mail: Mail, links: SiteLinks, queue: JobQueue | None = None) -> None:
        self._storage = storage
        self._mail = mail
        self._links = links
        self._queue = queue

    def order_url(self, order_id: str) -> str:
        return self._links.url("order", order_id=order_id)

    async def status_from_crm(self, db: AsyncSession, order_id: str, status: str, stage_id: str) -> bool:
        from portal.orders.services import OrderService

        return await OrderService(session=db).status_from_crm(UUID(order_id), status, note=f"Bitrix24: {stage_id}")

    async def status_told(self, db: AsyncSession, order_id: str) -> None:
        from portal.orders.notices import tell_customer
        from portal.orders.payments import refund_when_cancelled

        order = await db.get(Order, UUID(order_id))
        if order is not None:
            await tell_customer(self._mail, order, self.order_url(order_id))
            if self._queue is not None:  # sales cancelled a paid order: its card payments go back
                await refund_when_cancelled(self._queue, order)

    async def attach_invoice(self, db: AsyncSession, order_id: str, filename: str, content: bytes) -> None:
        from portal.orders.services import OrderService

        order = await db.get(Order, UUID(order_id))
        if order is None:
            return
        with tempfile.TemporaryDirectory(dir=self._storage.temp_dir()) as folder:
            path = Path(folder) / filename
            path.write_bytes(content)
            await OrderService(session=db).attach_document(
                order, order.customer, None, "invoice", path, filename, hashlib.sha256(content).hexdigest(),
                self._storage)

    async def document_content(self, db: AsyncSession, order_id: str, document_id: str) -> tuple[str, bytes] | None:
        if document_id == QUOTE:
            return await self._quote(db, order_id)
        document = await db.get(Document, UUID(document_id))
        if document is None:
            return None
        with tempfile.TemporaryDirectory(dir=self._storage.temp_dir()) as folder:
            path = Path(folder) / "document"
            await self._storage.fetch(document.storage_key, path)
            return document.name, path.read_bytes()

    async def _quote(self, db: AsyncSession, order_id: str) -> tuple[str, bytes] | None:
        """The quote PDF its customer downloads from the order page: in their language, issued
        the day the order was placed."""
        from portal.orders.quote_pdf import order_quote, render_quote_pdf

        order = await db.get(Order, UUID(order_id))
        if order is None:
            return None
        language = current_language.set(order.language if order.language in LANGUAGES else DEFAULT_LANGUAGE)
        try:
            quote = order_quote(order, thumbnails={}, issued=order.created_at.date())
        finally:
            current_language.reset(language)
        return f"quote-{order.number}.pdf", await anyio.to_thread.run_sync(render_quote_pdf, quote)
