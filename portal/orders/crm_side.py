"""The orders side of the Bitrix24 sync: the `OrderSide` that crm declares, implemented here.

    sales move the deal (event → pull)    ──▶ OrderLink.status_from_crm(): the order follows,
                                               without writing the deal back (no echo), and
                                               OrderLink.status_told(): the customer's e-mail
                                               (and the refund of a cancelled order's card payments)
    the deal reaches an invoice stage     ──▶ OrderLink.attach_invoice(): the PDF on the order

The job context wires it (jobs/context.py), so crm never imports the orders domain.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from uuid import UUID

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from portal.core.i18n import DEFAULT_LANGUAGE, LANGUAGES, current_language
from portal.core.links import SiteLinks
from portal.core.mail import Mail
from portal.core.queue import JobQueue
from portal.crm.deals import QUOTE
from portal.db.orders import Document, Order
from portal.files.storage import Storage
from portal.orders.notices import tell_customer
from portal.orders.payments import refund_when_cancelled
from portal.orders.quote_pdf import order_quote, render_quote_pdf
from portal.orders.services import OrderService


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
        return await OrderService(session=db).status_from_crm(UUID(order_id), status, note=f"Bitrix24: {stage_id}")

    async def status_told(self, db: AsyncSession, order_id: str) -> None:
        order = await db.get(Order, UUID(order_id))
        if order is not None:
            await tell_customer(self._mail, order, self.order_url(order_id))
            if self._queue is not None:  # sales cancelled a paid order: its card payments go back
                await refund_when_cancelled(self._queue, order)

    async def attach_invoice(self, db: AsyncSession, order_id: str, filename: str, content: bytes) -> None:
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
        order = await db.get(Order, UUID(order_id))
        if order is None:
            return None
        language = current_language.set(order.language if order.language in LANGUAGES else DEFAULT_LANGUAGE)
        try:
            quote = order_quote(order, thumbnails={}, issued=order.created_at.date())
        finally:
            current_language.reset(language)
        return f"quote-{order.number}.pdf", await anyio.to_thread.run_sync(render_quote_pdf, quote)
