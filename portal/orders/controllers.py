"""The customer's orders: list, order page with its live timeline, cancel, documents, quote PDF,
notifications."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import anyio
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template

from portal.company.services import CompanyService
from portal.core.documents import DocumentRefused, refused_text
from portal.core.downloads import attachment, stored_download
from portal.core.flash import flash
from portal.core.forms import FieldError, Form, FormData
from portal.core.i18n import N_
from portal.core.paging import PageNumber
from portal.core.queue import JobQueue
from portal.core.templates import redirect_to, render
from portal.core.uploads import BODY_LIMIT, received_document
from portal.db.models import Document, Order
from portal.db.unit_of_work import AfterCommit
from portal.files.storage import Storage
from portal.orders.guards import requires_login
from portal.orders.invoice_pdf import invoice_date, invoice_state, order_invoice, render_invoice_pdf
from portal.orders.payments import refund_when_cancelled
from portal.orders.quote_pdf import order_quote, render_quote_pdf
from portal.orders.schemas import document_kind, field_value
from portal.orders.services import NotificationService, OrderService
from portal.orders.thumbnails import document_thumbnail

PER_PAGE = 20


async def order_page_context(orders: OrderService, order: Order, staff: bool) -> dict:
    documents = await orders.documents(order)
    details = await orders.company_details()
    return {
        "order": order,
        "events": await orders.timeline(order, staff=staff),
        "order_documents": documents,
        "invoice": invoice_state(order, documents, details),
        "payments": await orders.payments(order),
        "shipments": await orders.shipments(order),
    }


async def thumbnails(storage: Storage, keys: list[str | None]) -> dict[str, bytes]:
    """The parts' PNG previews for the PDF (missing ones are left out)."""
    found: dict[str, bytes] = {}
    for key in {key for key in keys if key}:
        try:
            found[key] = b"".join([chunk async for chunk in storage.stream(key)])
        except (FileNotFoundError, OSError, ValueError):
            continue
    return found


def download(document: Document, storage: Storage) -> Response:
    """The stored bytes under the name the portal chose, never sniffed by the browser."""
    return stored_download(storage, document.storage_key, document.name, document.content_type)


async def pdf_response(quote, filename: str) -> Response:
    content = await anyio.to_thread.run_sync(render_quote_pdf, quote)
    return Response(
        content,
        media_type="application/pdf",
        headers={
            "content-disposition": attachment(filename),
            "cache-control": "private, no-store",
        },
    )


class OrderController(Controller):
    guards = [requires_login]

    @get("/orders", name="orders")
    async def list_orders(self, request: HTMXRequest, orders: OrderService, page: PageNumber = 1) -> Template:
        found = await orders.of_customer(request.user.id, page, PER_PAGE)
        return render(request, "orders/list.html", orders=found)

    @get("/orders/{order_id:uuid}", name="order")
    async def show_order(self, request: HTMXRequest, orders: OrderService, order_id: UUID) -> Template:
        order = await orders.visible(order_id, request.user)
        context = await order_page_context(orders, order, staff=False)
        return render(request, "orders/detail.html", upload_form=Form(), **context)

    @get("/orders/{order_id:uuid}/live", name="order_live")
    async def live(self, request: HTMXRequest, orders: OrderService, order_id: UUID) -> Template:
        """The part of the order page that changes: polled while the order is not finished."""
        order = await orders.visible(order_id, request.user)
        context = await order_page_context(orders, order, staff=False)
        return render(request, "orders/detail.html", fragment="orders/_live.html", **context)

    @post("/orders/{order_id:uuid}/cancel", name="order_cancel")
    async def cancel(self, request: HTMXRequest, orders: OrderService, queue: JobQueue, order_id: UUID,
                     data: FormData, after_commit: AfterCommit) -> Redirect:
        try:
            order = await orders.cancel(order_id, request.user, note=field_value(data, "note")[:2000])
        except FieldError as error:
            flash(request, error.message, "error")
        else:
            after_commit.add(lambda: refund_when_cancelled(queue, order))  # once the cancellation is saved
            flash(request, N_("The order is cancelled."), "success")
        return redirect_to(request, "order", order_id=order_id)

    @post("/orders/{order_id:uuid}/documents", name="order_document_add", request_max_body_size=BODY_LIMIT)
    async def add_document(
        self, request: HTMXRequest, orders: OrderService, storage: Storage, order_id: UUID
    ) -> Template | Redirect:
        order = await orders.visible(order_id, request.user)
        form = Form()
        try:
            async with received_document(request, storage.temp_dir()) as (received, fields):
                await orders.attach_document(
                    order, order.customer, request.user, document_kind(fields.get("kind"), staff=False),
                    received.path, received.name, received.sha256, storage,
                )
        except DocumentRefused as refused:
            form.errors["document"] = refused_text(refused)
        except FieldError as error:
            form.add(error)
        if not form.ok:
            context = await order_page_context(orders, order, staff=False)
            return render(request, "orders/detail.html", status_code=422, upload_form=form, **context)
        flash(request, N_("The document is attached."), "success")
        return redirect_to(request, "order", order_id=order_id)

    @get("/orders/{order_id:uuid}/quote.pdf", name="order_quote_pdf")
    async def quote_pdf(
        self, request: Request, orders: OrderService, company: CompanyService, storage: Storage, order_id: UUID
    ) -> Response:
        order = await orders.visible(order_id, request.user)
        images = await thumbnails(storage, [line.thumbnail_key for line in order.lines])
        quote = order_quote(order, images, date.today(), await company.current(with_logo=True))
        return await pdf_response(quote, f"quote-{order.number}.pdf")

    @get("/orders/{order_id:uuid}/invoice.pdf", name="order_invoice_pdf")
    async def invoice_pdf(
        self, request: Request, orders: OrderService, company: CompanyService, order_id: UUID
    ) -> Response:
        order = await orders.visible(order_id, request.user)
        details = await company.current(with_logo=True)
        if invoice_state(order, await orders.documents(order), details) != "ready":
            raise NotFoundException()
        invoice = order_invoice(order, details, invoice_date(order, await orders.timeline(order, staff=False)))
        content = await anyio.to_thread.run_sync(render_invoice_pdf, invoice)
        return Response(content, media_type="application/pdf", headers={
            "content-disposition": attachment(f"invoice-{order.number}.pdf"), "cache-control": "private, no-store"})

    @get("/documents/{document_id:uuid}", name="document")
    async def document(
        self, request: Request, orders: OrderService, storage: Storage, document_id: UUID
    ) -> Response:
        return download(await orders.document_for(document_id, request.user), storage)

    @get("/documents/{document_id:uuid}/thumbnail.png", name="document_thumbnail")
    async def thumbnail(
        self, request: Request, orders: OrderService, storage: Storage, document_id: UUID
    ) -> Response:
        png = await document_thumbnail(await orders.document_for(document_id, request.user), storage)
        if png is None:
            raise NotFoundException()
        headers = {"x-content-type-options": "nosniff", "cache-control": "private, max-age=86400"}
        return Response(png, media_type="image/png", headers=headers)

    @get("/notifications", name="notifications")
    async def notifications(
        self, request: HTMXRequest, notices: NotificationService, page: PageNumber = 1
    ) -> Template:
        found = await notices.recent(request.user.id, page, PER_PAGE)
        return render(request, "orders/notifications.html", notices=found)

    @get("/notifications/unread", name="notifications_unread")
    async def unread(self, request: HTMXRequest, notices: NotificationService) -> Template:
        """The count beside "Notifications" in the menu, loaded after the page."""
        return render(request, "orders/_unread.html", count=await notices.unread_count(request.user.id))

    @post("/notifications/read", name="notifications_read")
    async def mark_read(self, request: HTMXRequest, notices: NotificationService) -> Redirect:
        await notices.mark_all_read(request.user.id)
        return redirect_to(request, "notifications")

