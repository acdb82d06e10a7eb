"""Orders: placing one (once per submit key), moving it along the lifecycle, prices, notes,
documents and notices. Every write to the orders tables goes through here.

A change that staff make from a page carries the order's `version` as the page showed it; the
change is one conditional UPDATE (`… WHERE version = :seen`), so of two people acting on the same
page one wins and the other is told, on PostgreSQL and SQLite alike. A refused change writes
nothing: the check, the update and the history row are one transaction.

`changed()` is called inside that transaction after every change a customer would notice (placed,
status, price): the place where a sync to the CRM writes its outbox row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import anyio
from advanced_alchemy.filters import OrderBy
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from litestar.exceptions import NotFoundException
from sqlalchemy import Numeric, String, cast, delete, func, literal, or_, select, update
from sqlalchemy.exc import IntegrityError

from portal.company.services import CompanyService
from portal.core.documents import check_document
from portal.core.forms import FieldError
from portal.core.i18n import N_
from portal.core.paging import Page, limit_offset
from portal.core.search import contains
from portal.db.models import (
    CartItem,
    CompanyDetails,
    Document,
    Notification,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    Shipment,
    User,
)
from portal.db.turns import take_turns
from portal.files.storage import Storage, document_key
from portal.orders.charges import money, with_new_minimum
from portal.orders.crm import record_document, record_order, record_quote
from portal.orders.guards import can_see_document, can_see_order
from portal.orders.lifecycle import CANCELLABLE, PRICE_EDITABLE, allowed
from portal.orders.ship_dates import NOT_SHIPPED, order_ship_by

FIRST_NUMBER = 1000  # the first order is 1001
MAX_DOCUMENTS = 50  # per order (or waiting in a cart)

STALE = N_("Someone changed this order while you were looking at it. Its current state is shown: "
           "check it and try again.")
NOT_ALLOWED = N_("This status change is not allowed from the order's current status.")
NEEDS_PRICES = N_("Some parts have no price yet: set their price before the order awaits payment.")
NOT_CANCELLABLE = N_("This order can no longer be cancelled: it is already in production.")
PRICES_SETTLED = N_("Prices can be changed only while the order is submitted or in review.")
EMPTY_CART = N_("Your cart is empty: add quoted parts first.")
CART_CHANGED = N_("Your cart changed while the order was being placed (in another tab or window?): "
                  "check it and place the order again.")
TOO_MANY_DOCUMENTS = N_("At most 50 documents can be attached.")
NOT_PAID = N_("The order is not paid in full: record its payments first, or give a reason to start "
              "production without them.")
SHIP_BY_SETTLED = N_("The order is shipped or cancelled: its ship-by date no longer changes.")
SAME_SHIP_BY = N_("The order already ships by this date: choose another one.")
PAYMENT_FILTERS = ("unpaid", "paid", "overdue")
OWING = ("awaiting_payment", "in_production", "shipped", "completed")  # statuses in which money is due
# Half a kopeck of slack where the database compares sums of money: SQLite keeps these numbers as
# floats (0.20 + 0.10 > 0.30 there); amounts are whole kopecks, so the slack never lets one through.
# Typed: bound as the money columns' NUMERIC(14, 2), PostgreSQL would round it up to a whole kopeck.
HALF_KOPECK = literal(Decimal("0.005"), Numeric(6, 3))


@dataclass
class LineDraft:
    """One part as priced when the order is placed; copied into an OrderLine and never re-priced."""

    file_name: str
    quantity: int
    options: dict[str, Any] = field(default_factory=dict)
    price_lines: list[dict[str, Any]] = field(default_factory=list)
    quoted_total: Decimal | None = None  # with VAT; None: waits for a manual price
    review_reason: str | None = None
    lead_time_days: int | None = None
    file_id: UUID | None = None
    file_sha256: str = ""
    thumbnail_key: str | None = None


@dataclass
class PricedCart:
    """What `place` needs besides the customer's details: the lines and the card they came from."""

    lines: list[LineDraft]
    rate_card_version: str
    vat_rate: Decimal
    currency: str = "RUB"
    charges: list[dict[str, Any]] = field(default_factory=list)  # see `charges`: once per order
    item_ids: tuple[UUID, ...] = ()  # the stored cart lines priced; `place` claims them


@dataclass
class OrderFilters:
    status: str = ""
    customer_id: UUID | None = None
    date_from: date | None = None
    date_to: date | None = None
    text: str = ""
    payment: str = ""  # one of PAYMENT_FILTERS
    overdue_days: int = 7  # "overdue": awaiting payment for longer than this


def _same_parts(lines: list[OrderLine], drafts: list[LineDraft]) -> bool:
    def parts(rows) -> list[tuple[str, int]]:
        return sorted((str(row.file_id), row.quantity) for row in rows)

    return parts(lines) == parts(drafts)


def _starts_unpaid(order: Order, wanted: str) -> bool:
    return order.status == "awaiting_payment" and wanted == "in_production" and order.amount_paid < order.total


def lines_total(lines: list[OrderLine]) -> Decimal:
    return sum((line.total for line in lines if line.total is not None), Decimal(0))


def totals(
    lines: list[OrderLine], vat_rate: Decimal, charges: list[dict[str, Any]] = ()
) -> tuple[Decimal, Decimal, Decimal]:
    """(subtotal, vat, total) of the priced lines and the order's charges: amounts include VAT;
    VAT is taken out once."""
    total = lines_total(lines) + sum((Decimal(charge["amount"]) for charge in charges), Decimal(0))
    vat = money(total * vat_rate / (1 + vat_rate))
    return total - vat, vat, total


class OrderRepository(SQLAlchemyAsyncRepository[Order]):
    model_type = Order


class OrderService(SQLAlchemyAsyncRepositoryService[Order, OrderRepository]):
    repository_type = OrderRepository

    @property
    def _db(self):
        return self.repository.session

    # ------------------------------------------------------------------ reading

    async def visible(self, order_id: UUID, viewer: User) -> Order:
        """The order for its customer or staff; 404 for everyone else (as if it did not exist)."""
        order = await self.get_one_or_none(id=order_id)
        if not can_see_order(order, viewer):
            raise NotFoundException()
        return order

    async def of_customer(self, customer_id: UUID, page: int, per_page: int) -> Page[Order]:
        items, total = await self.list_and_count(
            Order.customer_id == customer_id,
            OrderBy(field_name="created_at", sort_order="desc"),
            limit_offset(page, per_page),
        )
        return Page(items=list(items), total=total, number=page, per_page=per_page)

    async def search(self, filters: OrderFilters, page: int, per_page: int) -> Page[Order]:
        conditions: list[Any] = []
        if filters.status:
            conditions.append(Order.status == filters.status)
        if filters.customer_id:
            conditions.append(Order.customer_id == filters.customer_id)
        if filters.date_from:
            conditions.append(Order.created_at >= datetime.combine(filters.date_from, time.min, UTC))
        if filters.date_to:
            conditions.append(Order.created_at < datetime.combine(filters.date_to + timedelta(days=1), time.min, UTC))
        conditions += self._payment_conditions(filters)
        if text := filters.text:
            customers = select(User.id).where(
                or_(contains(User.email, text), contains(User.full_name, text), contains(User.company_name, text),
                    contains(User.inn, text))
            )
            conditions.append(
                or_(
                    contains(cast(Order.number, String), text),
                    contains(Order.po_number, text),
                    contains(Order.contact_name, text),
                    contains(Order.comment, text),
                    Order.customer_id.in_(customers),
                )
            )
        items, total = await self.list_and_count(
            *conditions, OrderBy(field_name="created_at", sort_order="desc"), limit_offset(page, per_page)
        )
        return Page(items=list(items), total=total, number=page, per_page=per_page)

    @staticmethod
    def _payment_conditions(filters: OrderFilters) -> list[Any]:
        if filters.payment == "paid":
            return [Order.status != "cancelled", Order.total > 0, Order.amount_paid > Order.total - HALF_KOPECK]
        unpaid = Order.amount_paid < Order.total - HALF_KOPECK
        if filters.payment == "unpaid":
            return [Order.status.in_(OWING), unpaid]
        if filters.payment == "overdue":
            since = datetime.now(UTC) - timedelta(days=filters.overdue_days)
            waiting_since = (
                select(OrderEvent.order_id)
                .where(OrderEvent.kind == "status", OrderEvent.to_status == "awaiting_payment")
                .group_by(OrderEvent.order_id)
                .having(func.max(OrderEvent.created_at) < since)
            )
            return [Order.status == "awaiting_payment", unpaid, Order.id.in_(waiting_since)]
        return []

    async def timeline(self, order: Order, staff: bool) -> list[OrderEvent]:
        query = select(OrderEvent).where(OrderEvent.order_id == order.id)
        if not staff:
            query = query.where(OrderEvent.internal.is_(False))
        return list((await self._db.scalars(query.order_by(OrderEvent.created_at, OrderEvent.id))).all())

    async def payments(self, order: Order) -> list[Payment]:
        query = select(Payment).where(Payment.order_id == order.id).order_by(Payment.created_at, Payment.id)
        return list((await self._db.scalars(query)).all())

    async def shipments(self, order: Order) -> list[Shipment]:
        query = select(Shipment).where(Shipment.order_id == order.id).order_by(Shipment.created_at, Shipment.id)
        return list((await self._db.scalars(query)).all())

    async def documents(self, order: Order) -> list[Document]:
        query = select(Document).where(Document.order_id == order.id).order_by(Document.created_at)
        return list((await self._db.scalars(query)).all())

    async def company_details(self) -> CompanyDetails | None:
        """Our company's details, on this unit of work: their absence holds the invoice back."""
        return await CompanyService(session=self._db).current()

    # ------------------------------------------------------------------ placing

    async def place(
        self, customer: User, cart: PricedCart, details: dict[str, str], key: str, language: str
    ) -> Order:
        """One order per (customer, key): a second submit of the same form returns the first order.
        And one order per cart: a submit of the same cart from another form (another tab) returns
        the order that took the cart's lines."""
        existing = await self.get_one_or_none(customer_id=customer.id, idempotency_key=key)
        if existing is not None:
            return existing
        if not cart.lines:
            raise FieldError("cart", EMPTY_CART)
        if not await self._claim_cart(customer, cart):
            return await self._order_of_claimed_cart(customer, cart, key)
        for _ in range(100):
            number = (await self._db.scalar(select(func.max(Order.number)))) or FIRST_NUMBER
            order = self._new_order(customer, cart, details, key, language, number + 1)
            try:
                async with self._db.begin_nested():
                    self._db.add(order)
                    await self._db.flush()
            except IntegrityError:
                existing = await self.get_one_or_none(customer_id=customer.id, idempotency_key=key)
                if existing is not None:  # the other submit of this form won
                    return existing
                continue  # another order took the number: take the next one
            await self._claim_cart_documents(order)
            self._event(order, "placed", actor=customer, to_status=order.status)
            await self.changed(order, "placed")
            await self._db.flush()
            return order
        raise RuntimeError("could not number the order")

    async def _claim_cart(self, customer: User, cart: PricedCart) -> bool:
        """Take the priced lines out of the cart, in this transaction: true when every one was
        still there. Of two submits of one cart (two tabs, two keys) one takes the lines and the
        other finds them gone: PostgreSQL makes the second DELETE wait on the rows the first
        deleted until it commits, SQLite lets one writer at a time. A claim that found only some
        lines is undone with the request, which answers with the form and a message."""
        if not cart.item_ids:
            return True  # a cart not drawn from the stored one (an import, a test)
        taken = await self._db.execute(
            delete(CartItem).where(CartItem.user_id == customer.id, CartItem.id.in_(cart.item_ids))
        )
        return taken.rowcount == len(cart.item_ids)

    async def _order_of_claimed_cart(self, customer: User, cart: PricedCart, key: str) -> Order:
        """The order another submit of this cart placed, or a message when the cart changed."""
        placed = await self.get_one_or_none(customer_id=customer.id, idempotency_key=key)
        if placed is None:
            placed = await self._db.scalar(
                select(Order).where(Order.customer_id == customer.id).order_by(Order.number.desc()).limit(1)
            )
        if placed is not None and _same_parts(placed.lines, cart.lines):
            return placed
        raise FieldError("cart", CART_CHANGED)

    def _new_order(
        self, customer: User, cart: PricedCart, details: dict[str, str], key: str, language: str, number: int
    ) -> Order:
        lines = [
            OrderLine(
                position=position,
                file_id=draft.file_id,
                file_name=draft.file_name[:255],
                file_sha256=draft.file_sha256,
                thumbnail_key=draft.thumbnail_key,
                options=draft.options,
                quantity=draft.quantity,
                price_lines=draft.price_lines,
                quoted_total=draft.quoted_total,
                review_reason=draft.review_reason,
                lead_time_days=draft.lead_time_days,
                override_reason="",
            )
            for position, draft in enumerate(cart.lines, start=1)
        ]
        subtotal, vat, total = totals(lines, cart.vat_rate, cart.charges)
        payment = details.get("payment_method", "card")
        if payment == "invoice" and not customer.is_legal:
            payment = "card"  # invoices are for companies; the form never offers it to others
        return Order(
            number=number,
            customer_id=customer.id,
            status="submitted",
            version=1,
            idempotency_key=key,
            language=language,
            currency=cart.currency,
            rate_card_version=cart.rate_card_version,
            vat_rate=cart.vat_rate,
            subtotal=subtotal,
            vat=vat,
            total=total,
            charges=cart.charges,
            delivery_address=details.get("delivery_address", ""),
            contact_name=details.get("contact_name", ""),
            contact_phone=details.get("contact_phone", ""),
            comment=details.get("comment", ""),
            po_number=details.get("po_number", ""),
            payment_method=payment,
            lines=lines,
        )

    async def _claim_cart_documents(self, order: Order) -> None:
        await self._db.execute(
            update(Document)
            .where(Document.owner_id == order.customer_id, Document.order_id.is_(None))
            .values(order_id=order.id)
        )

    # ------------------------------------------------------------------ changing

    async def change_status(
        self, order_id: UUID, wanted: str, note: str, actor: User, seen_version: int | None, override: str = ""
    ) -> Order:
        """Staff move the order one step along TRANSITIONS; refused whole, with a message, otherwise.
        Production starts when the order is paid in full, or when staff say why it starts anyway
        (`override`: kept in the history, for staff)."""
        order = await self.get(order_id)
        if seen_version != order.version:
            raise FieldError("status", STALE)
        if not allowed(order.status, wanted):
            raise FieldError("status", NOT_ALLOWED)
        if wanted == "awaiting_payment" and order.needs_review:
            raise FieldError("status", NEEDS_PRICES)
        unpaid = _starts_unpaid(order, wanted)
        if unpaid and not override:
            raise FieldError("status", NOT_PAID)
        previous = order.status
        await self._bump(order, seen_version, wanted, from_statuses=(previous,))
        if unpaid:
            self._event(order, "override", actor=actor, note=override, internal=True,
                        amount_paid=str(order.amount_paid), total=str(order.total))
        self._status_changed(order, previous, actor, note)
        await self.changed(order, "status")
        return order

    async def cancel(self, order_id: UUID, customer: User, note: str = "") -> Order:
        """The customer cancels before production; staff's open pages become stale."""
        order = await self.visible(order_id, customer)
        previous = order.status
        if previous not in CANCELLABLE:
            raise FieldError("cancel", NOT_CANCELLABLE)
        await self._bump(order, None, "cancelled", from_statuses=CANCELLABLE, error=("cancel", NOT_CANCELLABLE))
        self._event(order, "status", actor=customer, from_status=previous, to_status="cancelled", note=note)
        await self.changed(order, "status")
        return order

    async def status_from_crm(self, order_id: UUID, wanted: str, note: str = "") -> bool:
        """A status that sales set in the CRM: applied when it is a move the map allows, and the
        customer is told as for a change staff make (the e-mail once the sync job has committed).

        False when the order already has it (the echo of our own change) or may not move there.
        """
        order = await self.get_one_or_none(id=order_id)
        if order is None or order.status == wanted or not allowed(order.status, wanted):
            return False
        if wanted == "awaiting_payment" and order.needs_review:
            return False
        if _starts_unpaid(order, wanted):  # only staff, with a reason, start an unpaid order
            return False
        previous = order.status
        try:
            await self._bump(order, None, wanted, from_statuses=(previous,))
        except FieldError:
            return False
        self._status_changed(order, previous, None, note)
        return True

    async def set_line_price(
        self, order_id: UUID, line_id: UUID, total: Decimal, reason: str, actor: User, seen_version: int | None
    ) -> Order:
        """Staff price one line by hand (with VAT), with a reason kept for staff."""
        order = await self.get(order_id)
        line = next((item for item in order.lines if item.id == line_id), None)
        if line is None:
            raise NotFoundException()
        if seen_version != order.version:
            raise FieldError("price", STALE)
        if order.status not in PRICE_EDITABLE:
            raise FieldError("price", PRICES_SETTLED)
        await self._bump(order, seen_version, order.status, from_statuses=PRICE_EDITABLE, error=("price", STALE))
        line.override_total = money(total)
        line.override_reason = reason
        order.charges = with_new_minimum(order.charges, lines_total(order.lines), order.vat_rate)
        order.subtotal, order.vat, order.total = totals(order.lines, order.vat_rate, order.charges)
        self._event(order, "price", actor=actor, note=reason, position=line.position, amount=str(line.override_total))
        await self.changed(order, "price")
        await self._db.flush()
        return order

    async def promise_ship_by(
        self, order_id: UUID, new_date: date, reason: str, actor: User
    ) -> tuple[Order, date | None]:
        """Staff promise a new ship-by date (the one before was missed, or will be): the order and
        the date it replaces. The customer sees both on the order page, in the history (with the
        reason, which is for them) and in a notice; the e-mail goes once this is saved.

        Two tabs sending at once change it once: on PostgreSQL the order's row is locked first, so
        the second reads the first's date (the same date is refused as such); on SQLite the
        version read decides, and the second is told the order changed meanwhile."""
        await self._db.execute(select(Order.id).where(Order.id == order_id).with_for_update())
        order = await self.get(order_id)
        if order.status not in NOT_SHIPPED:
            raise FieldError("ship_by", SHIP_BY_SETTLED)
        before = order_ship_by(order)
        if before == new_date:
            raise FieldError("ship_by", SAME_SHIP_BY)
        # the order as read (status and version), or the change is refused: someone changed it meanwhile
        await self._bump(order, order.version, order.status, from_statuses=(order.status,), error=("ship_by", STALE))
        order.promised_ship_by, order.replaced_ship_by = new_date, before
        was = before.isoformat() if before else None
        self._event(order, "ship_by", actor=actor, note=reason, ship_by=new_date.isoformat(), was=was)
        self._notify(order, "ship_by", ship_by=new_date.isoformat(), was=was, note=reason)
        await self._db.flush()
        return order, before

    async def add_note(self, order_id: UUID, note: str, actor: User) -> OrderEvent:
        order = await self.get(order_id)
        event = self._event(order, "note", actor=actor, note=note, internal=True)
        await self._db.flush()
        return event

    async def attach_document(
        self,
        order: Order | None,
        owner: User,
        uploader: User | None,
        kind: str,
        path: Path,
        name: str,
        sha256: str,
        storage: Storage,
    ) -> Document:
        """Check the file by its content, store it by hash, and record it (on the order, or in the
        owner's cart when there is no order yet). Raises DocumentRefused. No uploader: it came
        from the CRM (an invoice), so it is not sent back there."""
        checked = await anyio.to_thread.run_sync(check_document, path, name)
        count = select(func.count()).select_from(Document).where(Document.owner_id == owner.id)
        count = count.where(Document.order_id == order.id if order else Document.order_id.is_(None))
        await take_turns(self._db, f"documents:{owner.id}:{order.id if order else 'cart'}")
        if (await self._db.scalar(count) or 0) >= MAX_DOCUMENTS:
            raise FieldError("document", TOO_MANY_DOCUMENTS)
        key = document_key(sha256)
        await storage.put_file(key, path)
        document = Document(
            owner_id=owner.id,
            order_id=order.id if order else None,
            uploaded_by_id=uploader.id if uploader else None,
            kind=kind,
            name=checked.name,
            content_type=checked.content_type,
            size_bytes=path.stat().st_size,
            sha256=sha256,
            storage_key=key,
        )
        async with self._db.begin_nested():  # a refusal takes back this document only
            self._db.add(document)
            await self._db.flush()
            if await self._db.scalar(count) > MAX_DOCUMENTS:  # counted again after the write: see take_turns
                raise FieldError("document", TOO_MANY_DOCUMENTS)
        if order is not None:
            self._event(order, "document", actor=uploader, note=checked.name, document_kind=kind)
        await self._db.flush()
        if uploader is not None:
            record_document(self._db, document)
        return document

    async def document_for(self, document_id: UUID, viewer: User) -> Document:
        document = await self._db.get(Document, document_id)
        if not can_see_document(document, viewer):
            raise NotFoundException()
        return document

    async def cart_documents(self, owner_id: UUID) -> list[Document]:
        query = select(Document).where(Document.owner_id == owner_id, Document.order_id.is_(None))
        return list((await self._db.scalars(query.order_by(Document.created_at))).all())

    async def remove_cart_document(self, document_id: UUID, viewer: User) -> None:
        """Only while it waits in the cart: a document on an order stays with the order."""
        document = await self.document_for(document_id, viewer)
        if document.order_id is not None or document.owner_id != viewer.id:
            raise NotFoundException()
        await self._db.delete(document)
        await self._db.flush()

    async def changed(self, order: Order, what: str) -> None:
        """Called in the transaction of every change a customer would notice (placed, status,
        price). A sync to the CRM writes its outbox row here, so that it commits with the change."""
        await record_order(self._db, order)
        if what == "placed":  # its quote PDF and the documents that waited in the cart go to the deal too
            record_quote(self._db, order)
            for document in await self.documents(order):
                record_document(self._db, document)

    # ------------------------------------------------------------------ helpers

    async def _bump(
        self,
        order: Order,
        seen_version: int | None,
        status: str,
        from_statuses: tuple[str, ...],
        error: tuple[str, str] = ("status", STALE),
    ) -> None:
        """The one conditional UPDATE that decides who wins: version + 1 where nobody moved it."""
        condition = [Order.id == order.id, Order.status.in_(from_statuses)]
        if seen_version is not None:
            condition.append(Order.version == seen_version)
        result = await self._db.execute(
            update(Order)
            .where(*condition)
            .values(status=status, version=Order.version + 1, updated_at=datetime.now(UTC))
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            await self._db.refresh(order)
            raise FieldError(*error)
        await self._db.refresh(order, attribute_names=["status", "version", "updated_at"])

    def _event(self, order: Order, kind: str, actor: User | None, note: str = "", internal: bool = False,
               from_status: str | None = None, to_status: str | None = None, **details: Any) -> OrderEvent:
        event = OrderEvent(
            order_id=order.id,
            kind=kind,
            from_status=from_status,
            to_status=to_status,
            note=note,
            internal=internal,
            actor_id=actor.id if actor else None,
            actor_name=actor.full_name if actor else "",
            details=details or None,
        )
        self._db.add(event)
        return event

    def _status_changed(self, order: Order, previous: str, actor: User | None, note: str) -> None:
        """Every status change the customer is told of, whoever made it: the history row and the
        in-portal notice, in the change's transaction (the e-mail: portal/orders/notices.py)."""
        self._event(order, "status", actor=actor, from_status=previous, to_status=order.status, note=note)
        self._notify(order)

    def _notify(self, order: Order, kind: str = "status", **details: Any) -> None:
        """An in-portal notice for the customer, in the transaction of what it tells: a status,
        a payment or refund, a shipment, a new ship-by date (`details`: what the notice says)."""
        self._db.add(
            Notification(user_id=order.customer_id, order_id=order.id, order_number=order.number,
                         kind=kind, status=order.status, details=details or None)
        )


class NotificationRepository(SQLAlchemyAsyncRepository[Notification]):
    model_type = Notification


class NotificationService(SQLAlchemyAsyncRepositoryService[Notification, NotificationRepository]):
    repository_type = NotificationRepository

    async def unread_count(self, user_id: UUID) -> int:
        return await self.count(Notification.user_id == user_id, Notification.read_at.is_(None))

    async def recent(self, user_id: UUID, page: int, per_page: int) -> Page[Notification]:
        items, total = await self.list_and_count(
            Notification.user_id == user_id,
            OrderBy(field_name="created_at", sort_order="desc"),
            limit_offset(page, per_page),
        )
        return Page(items=list(items), total=total, number=page, per_page=per_page)

    async def mark_all_read(self, user_id: UUID) -> int:
        result = await self.repository.session.execute(
            update(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
            .values(read_at=datetime.now(UTC))
        )
        return result.rowcount or 0
