"""The tables. Business rules live in the services, not here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from advanced_alchemy.base import IdentityAuditBase, UUIDAuditBase, orm_registry
from advanced_alchemy.extensions.litestar.store import StoreModelMixin
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

metadata = orm_registry.metadata

ACCOUNT_TYPES = ("individual", "entrepreneur", "legal")  # a person, an ИП, a company
BUSINESS_TYPES = ("entrepreneur", "legal")

# JSONB on PostgreSQL, JSON text on SQLite.
JsonB = JSON().with_variant(JSONB(), "postgresql")


class User(UUIDAuditBase):
    __tablename__ = "user_account"

    email: Mapped[str] = mapped_column(String(320), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(32), default="")
    account_type: Mapped[str] = mapped_column(String(16), default="individual")
    company_name: Mapped[str] = mapped_column(String(300), default="")
    inn: Mapped[str] = mapped_column(String(12), default="")
    kpp: Mapped[str] = mapped_column(String(9), default="")
    ogrn: Mapped[str] = mapped_column(String(15), default="")
    legal_address: Mapped[str] = mapped_column(Text, default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    # Staff who alone grant and revoke staff rights and change staff accounts; never none of them.
    is_superuser: Mapped[bool] = mapped_column(Boolean, default=False)
    # Bumped whenever every other session of the user must end (password change, deactivation).
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # What this account may keep stored, when staff set it; None: the settings' quota.
    quota_mb: Mapped[int | None] = mapped_column(Integer, default=None)
    quota_files: Mapped[int | None] = mapped_column(Integer, default=None)

    @property
    def is_legal(self) -> bool:
        return self.account_type == "legal"

    @property
    def is_business(self) -> bool:
        """A company or an individual entrepreneur: the account carries registration numbers."""
        return self.account_type in BUSINESS_TYPES


class KeyValueItem(StoreModelMixin):
    """Server-side sessions in the embedded default (Redis holds them in services mode)."""

    __tablename__ = "key_value_store"


class LoginFailureCounter(UUIDAuditBase):
    """Login attempts per account or per client address within a window, less those that succeeded."""

    __tablename__ = "login_failure_counter"

    key: Mapped[str] = mapped_column(String(400), unique=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_ends_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))




# Longer than drawing takes even behind a queue of uploads (each drawing is limited to minutes).
DRAWING_GIVEN_UP_AFTER = timedelta(minutes=10)


class ModelFile(UUIDAuditBase):
    """One uploaded model. The bytes live in storage under their sha256; this row says whose it
    is, what the analysis found, and what the customer last chose for it."""

    __tablename__ = "model_file"

    owner_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), default=None, index=True
    )
    # An anonymous upload belongs to the visitor's session through this key until claimed.
    visitor_key: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    format: Mapped[str | None] = mapped_column(String(16), default=None)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    failure_code: Mapped[str | None] = mapped_column(String(64), default=None)
    failure_message: Mapped[str | None] = mapped_column(Text, default=None)  # English, for staff and logs
    failure_params: Mapped[dict | None] = mapped_column(JsonB, default=None)  # fill the code's text
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # While a worker analyses the file it holds it until then; a dead worker's lease runs out.
    lease_until: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    analysed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    metrics: Mapped[dict | None] = mapped_column(JsonB, default=None)
    findings: Mapped[list | None] = mapped_column(JsonB, default=None)
    thumbnail_key: Mapped[str | None] = mapped_column(String(200), default=None)
    glb_key: Mapped[str | None] = mapped_column(String(200), default=None)
    thickness_key: Mapped[str | None] = mapped_column(String(200), default=None)  # GLB coloured by wall
    thickness: Mapped[dict | None] = mapped_column(JsonB, default=None)  # its legend: scale, thinnest wall
    features_key: Mapped[str | None] = mapped_column(String(200), default=None)  # GLB coloured by machining feature
    features: Mapped[dict | None] = mapped_column(JsonB, default=None)  # its legend: the feature kinds shown
    # The units the owner says the file's numbers are in (mm, in, m, um); "" until they answer
    # (the quote reads it the more plausible way meanwhile). Earlier answers may say "inch".
    units: Mapped[str] = mapped_column(String(8), default="")
    quote_options: Mapped[dict | None] = mapped_column(JsonB, default=None)
    last_total: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), default=None)
    last_currency: Mapped[str | None] = mapped_column(String(3), default=None)
    expires_at: Mapped[datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), default=None, index=True
    )
    # A file of several parts: each distinct part becomes a file of its own (`split`), cut out of
    # this one (its `parent_id`, `part_index` into the parent's parts); or the owner says the
    # bodies are one welded or assembled item and the file is priced whole.
    parent_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("model_file.id", ondelete="SET NULL"), default=None, index=True
    )
    part_index: Mapped[int | None] = mapped_column(Integer, default=None)
    split: Mapped[bool] = mapped_column(Boolean, default=False)
    whole: Mapped[bool] = mapped_column(Boolean, default=False)

    @property
    def is_final(self) -> bool:
        return self.status in ("ready", "failed")

    @property
    def parts(self) -> list[dict]:
        """The distinct parts the analysis found: {"name", "count", "volume_mm3", "bbox_mm"}."""
        return list((self.metrics or {}).get("parts") or [])

    @property
    def is_assembly(self) -> bool:
        """Several bodies (of one part or more): priced part by part unless said to be one item."""
        return sum(int(part.get("count") or 1) for part in self.parts) > 1

    @property
    def drawing_given_up(self) -> bool:
        """Ready, and still no 3D view long after the analysis: the pictures could not be drawn
        (the measurements and the price stand), so the page stops waiting for them."""
        return (
            self.status == "ready"
            and self.glb_key is None
            and self.analysed_at is not None
            and datetime.now(UTC) - self.analysed_at > DRAWING_GIVEN_UP_AFTER
        )


class RateCardVersion(UUIDAuditBase):
    """Every saved rate card; the one with the highest number prices new quotes."""

    __tablename__ = "rate_card_version"

    number: Mapped[int] = mapped_column(Integer, unique=True)
    version: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict] = mapped_column(JsonB)  # the card as geometry.pricing reads it (amounts as text)
    created_by_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )




class ReviewRequest(UUIDAuditBase):
    """A customer asks staff to price a file the instant quote cannot."""

    __tablename__ = "review_request"

    file_id: Mapped[UUID] = mapped_column(ForeignKey("model_file.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    options: Mapped[dict] = mapped_column(JsonB, default=dict)
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    price: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), default=None)
    currency: Mapped[str | None] = mapped_column(String(3), default=None)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    answered_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # A drawing or photo sent with the request, checked as an order's documents are and kept by
    # its content (`documents/<sha256>` in the storage).
    attachment_name: Mapped[str | None] = mapped_column(String(255), default=None)
    attachment_type: Mapped[str | None] = mapped_column(String(100), default=None)
    attachment_size: Mapped[int | None] = mapped_column(BigInteger, default=None)
    attachment_key: Mapped[str | None] = mapped_column(String(200), default=None)


class CallRequest(UUIDAuditBase):
    """A visitor asked to be called back; it becomes a Bitrix24 lead through the sync queue."""

    __tablename__ = "call_request"

    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(32))
    email: Mapped[str] = mapped_column(String(320), default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    preferred_time: Mapped[str] = mapped_column(String(100), default="")
    page: Mapped[str] = mapped_column(String(500), default="")  # where the form was sent from
    client_key: Mapped[str] = mapped_column(String(64), default="", index=True)  # keyed hash of the address
    user_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None, index=True
    )


SYNC_STATUSES = ("pending", "sent", "failed", "dead", "superseded")


class BitrixSyncRow(IdentityAuditBase):
    """The outbox: one change that must reach Bitrix24 (or one event to fetch from it).

    Written in the same transaction as the business change. `bitrix_id` is stored in the same
    transaction that marks the row sent; `lease_until` keeps two workers off one row.
    """

    __tablename__ = "bitrix_sync_queue"
    __table_args__ = (
        Index("ix_bitrix_sync_queue_due", "status", "next_attempt_at"),
        Index("ix_bitrix_sync_queue_entity", "entity_type", "entity_id"),
    )

    entity_type: Mapped[str] = mapped_column(String(32))  # lead, contact, company, deal
    entity_id: Mapped[str] = mapped_column(String(64))  # our id ("" for events about a Bitrix24 record)
    action: Mapped[str] = mapped_column(String(16), default="upsert")  # upsert, pull, invoice
    payload: Mapped[dict] = mapped_column(JsonB, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    lease_until: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    bitrix_id: Mapped[str | None] = mapped_column(String(32), default=None, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


# The orders domain's tables live in their own module; importing it here puts them on `metadata`.
from portal.db.company import CompanyDetails  # noqa: E402, F401
from portal.db.orders import (  # noqa: E402, F401
    CartItem,
    Document,
    Notification,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    Shipment,
)
