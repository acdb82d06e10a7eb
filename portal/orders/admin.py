"""Staff's orders area: the list with filters, and an order's page with status changes, prices
set by hand, payments, shipments, internal notes and documents for the customer."""

from __future__ import annotations

import logging
from datetime import date
from typing import Annotated
from uuid import UUID

from litestar import Controller, get, post
from litestar.params import Parameter
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template

from portal.accounts.services import UserService
from portal.config import Settings
from portal.core.documents import DocumentRefused, refused_text
from portal.core.flash import flash
from portal.core.forms import FieldError, Form, FormData, SearchText
from portal.core.i18n import N_
from portal.core.logging import log_event
from portal.core.mail import Mail
from portal.core.paging import PageNumber
from portal.core.queue import JobQueue
from portal.core.templates import redirect_to, render
from portal.core.uploads import BODY_LIMIT, received_document
from portal.db.orders import ORDER_STATUSES, PAYMENT_WAYS
from portal.db.unit_of_work import AfterCommit
from portal.files.storage import Storage
from portal.orders.carriers import CARRIERS
from portal.orders.controllers import order_page_context
from portal.orders.guards import requires_staff
from portal.orders.lifecycle import TRANSITIONS
from portal.orders.notices import tell_customer, tell_payment, tell_ship_by, tell_shipment
from portal.orders.payments import PaymentService, ShipmentService, refund_when_cancelled, shipped_quantities
from portal.orders.schemas import (
    clean_filters,
    clean_note,
    clean_payment,
    clean_price,
    clean_ship_by,
    clean_shipment,
    clean_status_change,
    document_kind,
    seen_version,
)
from portal.orders.services import PAYMENT_FILTERS, STALE, OrderService
from portal.orders.yookassa import YooKassa

PER_PAGE = 25
CARD_REFUNDS_OFF = N_("Card payments are not set up: the refund cannot be made from here.")
_log = logging.getLogger("portal.orders")
Text = Annotated[str, Parameter(max_length=200)]


async def admin_page(
    request: HTMXRequest, orders: OrderService, order_id: UUID, status_code: int = 200, **forms: Form
) -> Template:
    order = await orders.get(order_id)
    context = await order_page_context(orders, order, staff=True)
    forms.setdefault("status_form", Form())
    forms.setdefault("note_form", Form())
    forms.setdefault("upload_form", Form())
    forms.setdefault("price_form", Form())
    forms.setdefault("ship_by_form", Form())
    forms.setdefault("payment_form", Form(values={"paid_on": date.today().isoformat(), "method": "bank_transfer"}))
    shipped = shipped_quantities(context["shipments"])
    left_to_ship = {str(line.id): line.quantity - shipped.get(str(line.id), 0) for line in order.lines}
    forms.setdefault("shipment_form", Form(values={
        "shipped_on": date.today().isoformat(),
        **{f"quantity-{line_id}": str(left) for line_id, left in left_to_ship.items()},
    }))
    return render(
        request, "orders/admin_order.html", status_code=status_code, moves=TRANSITIONS[order.status],
        price_line_id=forms.pop("price_line_id", None), payment_ways=PAYMENT_WAYS, carriers=CARRIERS,
        left_to_ship=left_to_ship, today=date.today(), **forms, **context,
    )


class OrderAdminController(Controller):
    path = "/admin/orders"
    guards = [requires_staff]

    @get("/", name="admin_orders")
    async def list_orders(
        self,
        request: HTMXRequest,
        orders: OrderService,
        users: UserService,
        status: Text = "",
        customer: Text = "",
        date_from: Text = "",
        date_to: Text = "",
        q: SearchText = "",
        payment: Text = "",
        page: PageNumber = 1,
    ) -> Template:
        filters, shown = clean_filters(status, customer, date_from, date_to, q, payment,
                                       request.app.state.settings.payments.overdue_days)
        found = await orders.search(filters, page, PER_PAGE)
        subject = await users.get_one_or_none(id=filters.customer_id) if filters.customer_id else None
        return render(
            request, "orders/admin_list.html", fragment="orders/_admin_table.html",
            orders=found, filters=shown, statuses=ORDER_STATUSES, subject=subject, payment_filters=PAYMENT_FILTERS,
        )

    @get("/{order_id:uuid}", name="admin_order")
    async def show_order(self, request: HTMXRequest, orders: OrderService, order_id: UUID) -> Template:
        return await admin_page(request, orders, order_id)

    @post("/{order_id:uuid}/status", name="admin_order_status")
    async def change_status(
        self, request: HTMXRequest, orders: OrderService, mail: Mail, queue: JobQueue, order_id: UUID,
        data: FormData, after_commit: AfterCommit,
    ) -> Template | Redirect:
        form = clean_status_change(data)
        if form.ok:
            try:
                order = await orders.change_status(
                    order_id, form.values["status"], form.values["note"], request.user, seen_version(data),
                    override=form.values["override_reason"],
                )
            except FieldError as error:
                form.add(error)
        if not form.ok:
            return await admin_page(request, orders, order_id, status_code=409 if _stale(form) else 422,
                                    status_form=form)
        log_event(_log, "order_status", order_id=str(order.id), status=order.status, by=str(request.user.id))
        link = mail.link(request, "order", order_id=order.id)  # never mail a change that was not saved
        after_commit.add(lambda: tell_customer(mail, order, link, note=form.values["note"]))
        after_commit.add(lambda: refund_when_cancelled(queue, order))
        flash(request, N_("The status is changed and the customer is told."), "success")
        return redirect_to(request, "admin_order", order_id=order_id)

    @post("/{order_id:uuid}/lines/{line_id:uuid}/price", name="admin_order_price")
    async def set_price(
        self, request: HTMXRequest, orders: OrderService, order_id: UUID, line_id: UUID, data: FormData
    ) -> Template | Redirect:
        form, amount = clean_price(data)
        if form.ok and amount is not None:
            try:
                await orders.set_line_price(order_id, line_id, amount, form.values["reason"], request.user,
                                            seen_version(data))
            except FieldError as error:
                form.errors["price"] = error.message
        if not form.ok:
            return await admin_page(request, orders, order_id, status_code=409 if _stale(form) else 422,
                                    price_form=form, price_line_id=line_id)
        flash(request, N_("The price is set."), "success")
        return redirect_to(request, "admin_order", order_id=order_id)

    @post("/{order_id:uuid}/payments", name="admin_order_payment")
    async def record_payment(
        self, request: HTMXRequest, orders: OrderService, payments: PaymentService, mail: Mail, order_id: UUID,
        data: FormData, after_commit: AfterCommit,
    ) -> Template | Redirect:
        form, amount, paid_on = clean_payment(data, date.today())
        if form.ok:
            try:
                order = await payments.record(order_id, amount, paid_on, form.values["method"],
                                              form.values["reference"], request.user)
            except FieldError as error:
                form.add(error)
        if not form.ok:
            return await admin_page(request, orders, order_id, status_code=422, payment_form=form)
        log_event(_log, "order_payment", order_id=str(order.id), amount=str(amount), by=str(request.user.id))
        link = mail.link(request, "order", order_id=order.id)  # told once the payment is saved
        after_commit.add(lambda: tell_payment(mail, order, amount, link))
        flash(request, N_("The payment is recorded and the customer is told."), "success")
        return redirect_to(request, "admin_order", order_id=order_id)

    @post("/{order_id:uuid}/shipments", name="admin_order_shipment")
    async def record_shipment(
        self, request: HTMXRequest, orders: OrderService, shipments: ShipmentService, mail: Mail, order_id: UUID,
        data: FormData, after_commit: AfterCommit,
    ) -> Template | Redirect:
        order = await orders.get(order_id)
        form, shipped_on, quantities = clean_shipment(data, [line.id for line in order.lines], date.today())
        if form.ok:
            try:
                order, shipment = await shipments.record(order_id, form.values["carrier"],
                                                         form.values["tracking_number"], shipped_on, quantities,
                                                         request.user)
            except FieldError as error:
                form.add(error)
        if not form.ok:
            return await admin_page(request, orders, order_id, status_code=409 if _stale(form) else 422,
                                    shipment_form=form)
        log_event(_log, "order_shipment", order_id=str(order.id), carrier=shipment.carrier, by=str(request.user.id))
        link = mail.link(request, "order", order_id=order.id)  # told once the shipment is saved
        after_commit.add(lambda: tell_shipment(mail, order, shipment, link))
        flash(request, N_("The shipment is recorded and the customer is told."), "success")
        return redirect_to(request, "admin_order", order_id=order_id)

    @post("/{order_id:uuid}/ship-by", name="admin_order_ship_by")
    async def promise_ship_by(
        self, request: HTMXRequest, orders: OrderService, mail: Mail, order_id: UUID, data: FormData,
        after_commit: AfterCommit,
    ) -> Template | Redirect:
        """A new ship-by date when the promised one cannot be kept; the customer is told."""
        form, new_date = clean_ship_by(data, date.today())
        if form.ok and new_date is not None:
            try:
                order, before = await orders.promise_ship_by(order_id, new_date, form.values["ship_by_reason"],
                                                             request.user)
            except FieldError as error:
                form.add(error)
        if not form.ok:
            return await admin_page(request, orders, order_id, status_code=409 if _stale(form) else 422,
                                    ship_by_form=form)
        log_event(_log, "order_ship_by", order_id=str(order.id), ship_by=new_date.isoformat(),
                  by=str(request.user.id))
        link = mail.link(request, "order", order_id=order.id)  # told once the new date is saved
        after_commit.add(lambda: tell_ship_by(mail, order, before, link, form.values["ship_by_reason"]))
        flash(request, N_("The new ship-by date is saved and the customer is told."), "success")
        return redirect_to(request, "admin_order", order_id=order_id)

    @post("/{order_id:uuid}/refunds/retry", name="admin_order_refund_retry")
    async def retry_refund(
        self, request: HTMXRequest, payments: PaymentService, settings: Settings, mail: Mail, order_id: UUID,
        after_commit: AfterCommit,
    ) -> Redirect:
        """Try again the card refund that failed; a second click, or many at once, refund once."""
        if not settings.payments.yookassa_enabled:
            flash(request, CARD_REFUNDS_OFF, "error")
            return redirect_to(request, "admin_order", order_id=order_id)
        async with YooKassa(settings.payments) as kassa:
            done = await payments.retry_refund(order_id, kassa, request.user, settings.payments.yookassa_receipts)
        if done is None:
            flash(request, N_("No refund waits for this order: it was made already."))
            return redirect_to(request, "admin_order", order_id=order_id)
        link = mail.link(request, "order", order_id=order_id)
        for amount in done.amounts:  # each refund made is told once it is saved, even when a later one failed
            after_commit.add(lambda amount=amount: tell_payment(mail, done.order, amount, link, refund=True))
        log_event(_log, "order_refund_retried", order_id=str(order_id), by=str(request.user.id),
                  refunded=str(sum(done.amounts)), error=str(done.error or ""))
        if done.error is not None:
            flash(request, N_("YooKassa did not make the refund this time either: try again later."), "error")
        else:
            flash(request, N_("The card payments are refunded and the customer is told."), "success")
        return redirect_to(request, "admin_order", order_id=order_id)

    @post("/{order_id:uuid}/notes", name="admin_order_note")
    async def add_note(
        self, request: HTMXRequest, orders: OrderService, order_id: UUID, data: FormData
    ) -> Template | Redirect:
        form = clean_note(data)
        if form.ok:
            await orders.add_note(order_id, form.values["note"], request.user)
        else:
            return await admin_page(request, orders, order_id, status_code=422, note_form=form)
        flash(request, N_("The note is saved."), "success")
        return redirect_to(request, "admin_order", order_id=order_id)

    @post("/{order_id:uuid}/documents", name="admin_order_document", request_max_body_size=BODY_LIMIT)
    async def add_document(
        self, request: HTMXRequest, orders: OrderService, storage: Storage, order_id: UUID
    ) -> Template | Redirect:
        order = await orders.get(order_id)
        form = Form()
        try:
            async with received_document(request, storage.temp_dir()) as (received, fields):
                await orders.attach_document(
                    order, order.customer, request.user, document_kind(fields.get("kind"), staff=True),
                    received.path, received.name, received.sha256, storage,
                )
        except DocumentRefused as refused:
            form.errors["document"] = refused_text(refused)
        except FieldError as error:
            form.add(error)
        if not form.ok:
            return await admin_page(request, orders, order_id, status_code=422, upload_form=form)
        flash(request, N_("The document is attached; the customer can download it."), "success")
        return redirect_to(request, "admin_order", order_id=order_id)


def _stale(form: Form) -> bool:
    return STALE in form.errors.values()
