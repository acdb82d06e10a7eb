"""Orders, their lines and history, documents and notices. Rules live in portal/orders/services.py."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID

from advanced_alchemy.base import UUIDAuditBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

if TYPE_CHECKING:
    from portal.db.models import User

JsonB = JSON().with_variant(JSONB(), "postgresql")  # JSONB on PostgreSQL, JSON text on SQLite

ORDER_STATUSES = (
    "submitted",
    "in_review",
    "awaiting_payment",
    "in_production",
    "shipped",
    "completed",
    "cancelled",
)
PAYMENT_METHODS = ("card", "invoice")
DOCUMENT_KINDS = ("drawing", "invoice", "other")
PAYMENT_WAYS = ("bank_transfer", "card", "cash")  # what staff record; "yookassa": paid online by the customer


class Order(UUIDAuditBase):
    """A placed order: the customer's details and a frozen copy of the prices it was placed at."""

    __tablename__ = "customer_order"
    __table_args__ = (UniqueConstraint("customer_id", "idempotency_key"),)

    number: Mapped[int] = mapped_column(Integer, unique=True)
    customer_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"), index=True)
    status: Mapped[str] = mapped_column(String(24), default="submitted", index=True)
    # Bumped by every change staff or the customer make: a form sent from an older page is refused.
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The submit form's one-time key: the same key twice gives the same order.
    idempotency_key: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8), default="en")  # of the customer's messages
    currency: Mapped[str] = mapped_column(String(3), default="RUB")
    rate_card_version: Mapped[str] = mapped_column(String(64), default="")
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(6, 4), default=Decimal(0))
    subtotal: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal(0))
    vat: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal(0))
    total: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal(0))
    # What belongs to the order, not to a part (setup per part design, the minimum order top-up):
    # [{"code", "amount" (with VAT), "args"}], frozen like the lines.
    charges: Mapped[list] = mapped_column(JsonB, default=list)
    delivery_address: Mapped[str] = mapped_column(Text, default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_phone: Mapped[str] = mapped_column(String(32), default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    po_number: Mapped[str] = mapped_column(String(64), default="")
    payment_method: Mapped[str] = mapped_column(String(16), default="card")
    # The sum of the order's payments less refunds, kept by the payment service with each payment.
    amount_paid: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal(0), server_default="0")
    # The ship-by date staff promised when the quote's could not be kept (None: the quote's stands),
    # and the date it replaced, shown struck through beside it.
    promised_ship_by: Mapped[date | None] = mapped_column(Date, default=None)
    replaced_ship_by: Mapped[date | None] = mapped_column(Date, default=None)
    # Why the last attempt to give card payments back failed; None once nothing waits for a refund.
    refund_error: Mapped[str | None] = mapped_column(String(200), default=None)

    customer: Mapped[User] = relationship(lazy="selectin")
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.position", lazy="selectin", cascade="all, delete-orphan"
    )

    @property
    def needs_review(self) -> bool:
        """Some part has no price yet: staff must price it before the order can be paid."""
        return any(line.needs_price for line in self.lines)

    @property
    def left_to_pay(self) -> Decimal:
        return max(self.total - self.amount_paid, Decimal(0))


class OrderLine(UUIDAuditBase):
    """One part of an order as it was priced when the order was placed (never re-priced)."""

    __tablename__ = "order_line"

    order_id: Mapped[UUID] = mapped_column(ForeignKey("customer_order.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    file_id: Mapped[UUID | None] = mapped_column(  # the model file, while it exists
        ForeignKey("model_file.id", ondelete="SET NULL"), default=None
    )
    file_name: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64), default="")
    thumbnail_key: Mapped[str | None] = mapped_column(String(200), default=None)
    # The options with their names as the rate card called them: {"process": …, "process_name": …}.
    options: Mapped[dict] = mapped_column(JsonB, default=dict)
    quantity: Mapped[int] = mapped_column(Integer)
    # The quote's lines: [{"code", "amount", "args"}]; empty when the part waits for a manual price.
    price_lines: Mapped[list] = mapped_column(JsonB, default=list)
    quoted_total: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), default=None)  # with VAT
    review_reason: Mapped[str | None] = mapped_column(String(64), default=None)
    override_total: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), default=None)  # with VAT
    override_reason: Mapped[str] = mapped_column(Text, default="")
    lead_time_days: Mapped[int | None] = mapped_column(Integer, default=None)

    order: Mapped[Order] = relationship(back_populates="lines", lazy="noload")

    @property
    def total(self) -> Decimal | None:
        return self.override_total if self.override_total is not None else self.quoted_total

    @property
    def needs_price(self) -> bool:
        return self.total is None


class OrderEvent(UUIDAuditBase):
    """The order's history: placed, status changes, price overrides, notes, documents."""

    __tablename__ = "order_event"

    order_id: Mapped[UUID] = mapped_column(ForeignKey("customer_order.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # placed, status, price, note, document
    from_status: Mapped[str | None] = mapped_column(String(24), default=None)
    to_status: Mapped[str | None] = mapped_column(String(24), default=None)
    note: Mapped[str] = mapped_column(Text, default="")
    internal: Mapped[bool] = mapped_column(Boolean, default=False)  # staff only
    details: Mapped[dict | None] = mapped_column(JsonB, default=None)  # e.g. the line and amount of a price
    actor_id: Mapped[UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), default=None)
    actor_name: Mapped[str] = mapped_column(String(200), default="")


class Document(UUIDAuditBase):
    """A drawing or paper a customer attached, or an invoice staff uploaded for the customer."""

    __tablename__ = "order_document"

    owner_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    # None while the document waits in the customer's cart for the next order.
    order_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("customer_order.id", ondelete="CASCADE"), default=None, index=True
    )
    uploaded_by_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    kind: Mapped[str] = mapped_column(String(16), default="drawing")
    name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200))


class Notification(UUIDAuditBase):
    """An in-portal notice for one user (the e-mail goes out beside it)."""

    __tablename__ = "notification"

    user_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[UUID | None] = mapped_column(ForeignKey("customer_order.id", ondelete="CASCADE"), default=None)
    order_number: Mapped[int | None] = mapped_column(Integer, default=None)
    kind: Mapped[str] = mapped_column(String(16), default="status")  # status, payment, refund, shipment, ship_by
    status: Mapped[str | None] = mapped_column(String(24), default=None)
    # What the notice says besides the order: amounts, parts shipped, a tracking number, dates.
    details: Mapped[dict | None] = mapped_column(JsonB, default=None)
    read_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None, index=True)


class CartItem(UUIDAuditBase):
    """A quoted part waiting in the customer's cart: the file, its options and quantity. It is
    priced at the current rate card until the order is placed."""

    __tablename__ = "cart_item"

    user_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    file_id: Mapped[UUID] = mapped_column(ForeignKey("model_file.id", ondelete="CASCADE"))
    options: Mapped[dict] = mapped_column(JsonB, default=dict)  # process, material, …, units
    quantity: Mapped[int] = mapped_column(Integer, default=1)


class Payment(UUIDAuditBase):
    """Money received for an order (staff record it, or YooKassa confirms a card payment), or
    given back: a refund is a payment with a negative amount."""

    __tablename__ = "order_payment"

    order_id: Mapped[UUID] = mapped_column(ForeignKey("customer_order.id", ondelete="CASCADE"), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    paid_on: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(16))  # PAYMENT_WAYS or "yookassa"
    reference: Mapped[str] = mapped_column(String(200), default="")  # a refund: the refunded payment's id
    # YooKassa's id of the payment or refund: each is recorded once, however often it is reported.
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    actor_id: Mapped[UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), default=None)
    actor_name: Mapped[str] = mapped_column(String(200), default="")


class Shipment(UUIDAuditBase):
    """Parts handed to a carrier (or picked up): which lines, how many, and the tracking number."""

    __tablename__ = "order_shipment"

    order_id: Mapped[UUID] = mapped_column(ForeignKey("customer_order.id", ondelete="CASCADE"), index=True)
    carrier: Mapped[str] = mapped_column(String(32))  # a key of portal.orders.carriers.CARRIERS
    tracking_number: Mapped[str] = mapped_column(String(64), default="")
    shipped_on: Mapped[date] = mapped_column(Date)
    lines: Mapped[list] = mapped_column(JsonB, default=list)  # [{"line_id", "position", "quantity"}]
    actor_id: Mapped[UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), default=None)
    actor_name: Mapped[str] = mapped_column(String(200), default="")
