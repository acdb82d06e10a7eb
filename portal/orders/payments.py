"""An order's money and parcels: payments staff record or YooKassa confirms, refunds of card
payments when a paid order is cancelled, and shipments with their tracking numbers. Each is
recorded with its history row and the customer's in-portal notice (the e-mail goes once it is
saved: portal/orders/notices.py).

The order keeps the running sum (`amount_paid`); a payment adds to it in one conditional UPDATE
that holds only while the sum stays within the total, so two people recording at once can never
take more than the order costs. A card payment is recorded once by YooKassa's id however often it
is reported (a unique index decides), and only after the API itself said it succeeded.

A refund YooKassa could not make (no answer, an error, a refund it answered `canceled`) leaves its
reason on the order (`refund_error`) for staff, who retry it from the order's page. Every attempt
sends the same Idempotence-Key for the same payment (a new one only after YooKassa canceled a
refund: that key would give the canceled answer again), and the refund is recorded once by its
YooKassa id: a retry after a lost answer, a second click or twenty at once give back the money once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from litestar.exceptions import NotFoundException
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from portal.core.forms import FieldError
from portal.core.i18n import N_
from portal.core.queue import JobQueue
from portal.db.models import Order, OrderEvent, Payment, Shipment, User
from portal.db.unit_of_work import commit_now
from portal.orders.services import HALF_KOPECK, STALE, OrderService
from portal.orders.yookassa import YooKassa, YooKassaError, YooKassaRefundCanceled, receipt

_log = logging.getLogger("portal.orders")

PAYABLE = ("awaiting_payment", "in_production", "shipped", "completed")
ONLINE = "yookassa"

NOT_PAYABLE = N_("Payments are recorded once the order awaits payment, and not for a cancelled order.")
TOO_MUCH = N_("This is more than is left to pay for the order.")
NOTHING_TO_PAY = N_("This order does not wait for a payment.")
CARD_UNAVAILABLE = N_("Card payment is not available right now: please try again in a few minutes.")
NOT_SHIPPABLE = N_("Parts are shipped while the order is in production.")
NOTHING_SHIPPED = N_("Enter how many of at least one part are shipped.")
TOO_MANY_SHIPPED = N_("More parts than are left to ship: check the quantities.")
MAX_REFUND_ERROR = 200


@dataclass
class Refunds:
    """What an attempt to give back a cancelled order's card payments did: the amounts given
    back, and the error that stopped it (the rest waits for a retry)."""

    order: Order | None
    amounts: list[Decimal] = field(default_factory=list)
    error: YooKassaError | None = None


class PaymentRepository(SQLAlchemyAsyncRepository[Payment]):
    model_type = Payment


class PaymentService(SQLAlchemyAsyncRepositoryService[Payment, PaymentRepository]):
    repository_type = PaymentRepository

    @property
    def _db(self):
        return self.repository.session


    async def record(self, order_id: UUID, amount: Decimal, paid_on: date, method: str, reference: str,
                     actor: User) -> Order:
        """Staff record money received; refused whole when it is more than is left to pay."""
        orders = OrderService(session=self._db)
        order = await orders.get(order_id)
        if order.status not in PAYABLE:
            raise FieldError("amount", NOT_PAYABLE)
        if not await self._add_to_order(order, amount, within_total=True):
            raise FieldError("amount", TOO_MUCH)
        self._db.add(Payment(order_id=order.id, amount=amount, paid_on=paid_on, method=method, reference=reference,
                             actor_id=actor.id, actor_name=actor.full_name))
        orders._event(order, "payment", actor=actor, note=reference, amount=str(amount), method=method,
                      paid_on=paid_on.isoformat())
        _notify_money(orders, order, "payment", amount)
        await orders.changed(order, "payment")
        return order

    async def record_online(self, order_id: UUID, paid: dict[str, Any]) -> Order | None:
        """A card payment the API says succeeded (`paid`: YooKassa's payment object). None when
        it was recorded already or its order is gone."""
        order = await self._db.get(Order, order_id)
        if order is None or await self.get_one_or_none(external_id=paid["id"]) is not None:
            return None
        if paid["amount"].get("currency") != order.currency:
            _log.warning("yookassa payment %s is in %s, order %s in %s: not recorded", paid["id"],
                         paid["amount"].get("currency"), order.id, order.currency)
            return None
        amount = Decimal(str(paid["amount"]["value"])).quantize(Decimal("0.01"))
        try:
            async with self._db.begin_nested():
                self._db.add(Payment(order_id=order.id, amount=amount, paid_on=datetime.now(UTC).date(),
                                     method=ONLINE, reference=paid["id"], external_id=paid["id"]))
                await self._db.flush()
        except IntegrityError:
            return None  # the same notification, handled at the same moment by another process
        await self._add_to_order(order, amount, within_total=False)  # the money is taken: it counts
        orders = OrderService(session=self._db)
        orders._event(order, "payment", actor=None, note=paid["id"], amount=str(amount), method=ONLINE,
                      paid_on=datetime.now(UTC).date().isoformat())
        _notify_money(orders, order, "payment", amount)
        await orders.changed(order, "payment")
        return order

    async def refund_cancelled(self, order_id: UUID, kassa: YooKassa, receipts: bool = False,
                               actor: User | None = None) -> Refunds:
        """Give back every card payment of a cancelled order that is not given back yet. The
        Idempotence-Key is the payment's row id: a job run twice, a retry after a lost answer or
        staff's retry refunds once. A failure is left on the order for staff (and in its history);
        once nothing is left to give back, the order's failure is cleared."""
        order = await self._db.get(Order, order_id)
        if order is None or order.status != "cancelled":
            return Refunds(order)
        done = Refunds(order)
        canceled = await self._canceled_refunds(order)
        for payment in await self._refundable(order):
            try:
                refund = await kassa.refund(payment.external_id, payment.amount, order.currency,
                                            key=_refund_key(payment, canceled.get(payment.external_id, 0)),
                                            receipt=self._receipt(order, payment.amount, receipts))
                if refund.get("status") == "canceled":
                    raise YooKassaRefundCanceled.of(refund)
            except YooKassaError as error:
                _log.warning("card payment %s of order %s not refunded: %s", payment.external_id, order.id, error)
                self._refund_failed(order, error, payment)
                done.error = error
                return done
            if await self._record_refund(order, payment, refund, actor):
                await commit_now(self._db)  # each refund with its record: a failure later keeps this one
                done.amounts.append(payment.amount)
        if order.refund_error is not None:
            order.refund_error = None
            await self._db.flush()
        return done

    async def retry_refund(self, order_id: UUID, kassa: YooKassa, actor: User,
                           receipts: bool = False) -> Refunds | None:
        """Staff try again a refund that failed. None when none waits (it was made meanwhile, by
        another click or the job). The flag is taken in one conditional UPDATE: of simultaneous
        retries one goes on and the others wait for it (the order's row on PostgreSQL, the one
        writer on SQLite), then find nothing waiting."""
        taken = await self._db.execute(
            update(Order)
            .where(Order.id == order_id, Order.refund_error.is_not(None))
            .values(refund_error=None, updated_at=datetime.now(UTC))
            .execution_options(synchronize_session=False)
        )
        order = await self._db.get(Order, order_id, populate_existing=True)
        if order is None:
            raise NotFoundException()
        if taken.rowcount != 1:
            return None
        return await self.refund_cancelled(order.id, kassa, receipts, actor=actor)

    async def _refundable(self, order: Order) -> list[Payment]:
        payments = await OrderService(session=self._db).payments(order)
        refunded = {payment.reference for payment in payments if payment.amount < 0}
        return [payment for payment in payments
                if payment.method == ONLINE and payment.amount > 0 and payment.external_id not in refunded]

    async def _record_refund(self, order: Order, payment: Payment, refund: dict[str, Any], actor: User | None) -> bool:
        """The refund YooKassa made, once by its id (False: recorded already, by another attempt)."""
        if await self.get_one_or_none(external_id=refund["id"]) is not None:
            return False
        try:
            async with self._db.begin_nested():
                self._db.add(Payment(order_id=order.id, amount=-payment.amount, paid_on=datetime.now(UTC).date(),
                                     method=ONLINE, reference=payment.external_id, external_id=refund["id"],
                                     actor_id=actor.id if actor else None, actor_name=actor.full_name if actor else ""))
                await self._db.flush()
        except IntegrityError:
            return False  # the same refund, recorded at the same moment by another attempt
        await self._add_to_order(order, -payment.amount, within_total=False)
        orders = OrderService(session=self._db)
        orders._event(order, "refund", actor=actor, note=refund["id"], amount=str(payment.amount), method=ONLINE)
        _notify_money(orders, order, "refund", payment.amount)
        await orders.changed(order, "payment")
        return True

    def _refund_failed(self, order: Order, error: YooKassaError, payment: Payment) -> None:
        """The reason stays on the order for staff, with a row in its history (staff only). A
        refund YooKassa canceled is named there with its payment: the next attempt is a new refund."""
        reason = str(error)[:MAX_REFUND_ERROR]
        order.refund_error = reason
        canceled = isinstance(error, YooKassaRefundCanceled)
        details = {"payment": payment.external_id, "canceled": True} if canceled else {}
        OrderService(session=self._db)._event(order, "refund_failed", actor=None, note=reason, internal=True,
                                              **details)

    async def _canceled_refunds(self, order: Order) -> dict[str, int]:
        """Card payment id → how many of its refunds YooKassa canceled."""
        events = await self._db.scalars(
            select(OrderEvent).where(OrderEvent.order_id == order.id, OrderEvent.kind == "refund_failed"))
        canceled: dict[str, int] = {}
        for event in events:
            details = event.details or {}
            if details.get("canceled") and details.get("payment"):
                canceled[details["payment"]] = canceled.get(details["payment"], 0) + 1
        return canceled

    async def start_online(self, order: Order, kassa: YooKassa, key: str, return_url: str,
                           receipts: bool = False) -> str:
        """Ask YooKassa for a payment of what is left to pay; the page to send the customer to.
        The same `key` (the same form sent twice) gives the same payment."""
        if order.status != "awaiting_payment" or order.left_to_pay <= 0:
            raise FieldError("pay", NOTHING_TO_PAY)
        try:
            created = await kassa.create_payment(order.left_to_pay, order.currency, str(order.id),
                                                 f"Order {order.number}", return_url, key,
                                                 self._receipt(order, order.left_to_pay, receipts))
        except YooKassaError as error:
            _log.warning("yookassa payment not created for order %s: %s", order.id, error)
            raise FieldError("pay", CARD_UNAVAILABLE) from error
        url = (created.get("confirmation") or {}).get("confirmation_url")
        if not isinstance(url, str) or not url.startswith("https://") and not url.startswith("http://"):
            raise FieldError("pay", CARD_UNAVAILABLE)
        return url

    @staticmethod
    def _receipt(order: Order, amount: Decimal, receipts: bool) -> dict | None:
        if not receipts:
            return None
        return receipt(order.customer.email, f"Оплата заказа № {order.number}", amount, order.currency,
                       order.vat_rate, full=amount >= order.total)

    async def _add_to_order(self, order: Order, amount: Decimal, within_total: bool) -> bool:
        condition = [Order.id == order.id]
        if within_total:
            condition += [Order.status.in_(PAYABLE), Order.amount_paid + amount <= Order.total + HALF_KOPECK]
        result = await self._db.execute(
            update(Order)
            .where(*condition)
            .values(amount_paid=Order.amount_paid + amount, version=Order.version + 1, updated_at=datetime.now(UTC))
            .execution_options(synchronize_session=False)
        )
        await self._db.refresh(order, attribute_names=["amount_paid", "status", "version", "updated_at"])
        return result.rowcount == 1


def _refund_key(payment: Payment, canceled: int) -> str:
    """The Idempotence-Key of a payment's refund: the payment's row id, the same for every attempt
    (a lost answer, a second click, the job run twice), so the money goes back once. A refund
    YooKassa canceled is final under its key (the key gives the same canceled answer for a day),
    so the attempt after one asks under a key of its own."""
    return f"refund-{payment.id}" if not canceled else f"refund-{payment.id}-{canceled}"


def _notify_money(orders: OrderService, order: Order, kind: str, amount: Decimal) -> None:
    """The customer's notice of a payment or refund: how much, and where the order stands."""
    orders._notify(order, kind, amount=str(amount), paid=str(order.amount_paid), total=str(order.total),
                   left=str(order.left_to_pay), currency=order.currency)


async def refund_when_cancelled(queue: JobQueue, order: Order) -> None:
    """After a cancellation is committed: the job that gives card payments back, when there are any."""
    if order.status == "cancelled" and order.amount_paid > 0:
        await queue.enqueue("refund_card_payments", str(order.id), job_id=f"refunds:{order.id}")


class ShipmentRepository(SQLAlchemyAsyncRepository[Shipment]):
    model_type = Shipment


def shipped_quantities(shipments: list[Shipment]) -> dict[str, int]:
    """Line id → how many of it have gone."""
    shipped: dict[str, int] = {}
    for shipment in shipments:
        for line in shipment.lines:
            shipped[line["line_id"]] = shipped.get(line["line_id"], 0) + int(line["quantity"])
    return shipped


class ShipmentService(SQLAlchemyAsyncRepositoryService[Shipment, ShipmentRepository]):
    repository_type = ShipmentRepository

    @property
    def _db(self):
        return self.repository.session


    async def record(self, order_id: UUID, carrier: str, tracking_number: str, shipped_on: date,
                     quantities: dict[UUID, int], actor: User) -> tuple[Order, Shipment]:
        """Some or all of the parts leave; when nothing is left to ship the order is shipped."""
        orders = OrderService(session=self._db)
        order = await orders.get(order_id)
        if order.status != "in_production":
            raise FieldError("carrier", NOT_SHIPPABLE)
        shipped = shipped_quantities(await orders.shipments(order))
        lines, complete = [], True
        for line in order.lines:
            left = line.quantity - shipped.get(str(line.id), 0)
            now = quantities.get(line.id, 0)
            if now > left:
                raise FieldError("lines", TOO_MANY_SHIPPED)
            if now:
                lines.append({"line_id": str(line.id), "position": line.position, "quantity": now})
            complete = complete and now == left
        if not lines:
            raise FieldError("lines", NOTHING_SHIPPED)
        # The order's version decides between two people shipping at once: one wins, one is told.
        await orders._bump(order, order.version, "shipped" if complete else "in_production",
                           from_statuses=("in_production",), error=("carrier", STALE))
        shipment = Shipment(order_id=order.id, carrier=carrier, tracking_number=tracking_number, shipped_on=shipped_on,
                            lines=lines, actor_id=actor.id, actor_name=actor.full_name)
        self._db.add(shipment)
        orders._event(order, "shipment", actor=actor, carrier=carrier, tracking_number=tracking_number,
                      shipped_on=shipped_on.isoformat(), lines=lines)
        if complete:  # the history has the status too; the customer's one notice says it was the last
            orders._event(order, "status", actor=actor, from_status="in_production", to_status=order.status)
        names = {str(line.id): line.file_name for line in order.lines}
        orders._notify(order, "shipment", carrier=carrier, tracking_number=tracking_number,
                       shipped_on=shipped_on.isoformat(), complete=complete,
                       lines=[{**line, "name": names.get(line["line_id"], "")} for line in lines])
        await orders.changed(order, "status" if complete else "shipment")
        return order, shipment
