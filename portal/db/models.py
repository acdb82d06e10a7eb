"""The tables. Business rules live in the services, not here."""

from __future__ import annotations

from datetime import datetime

from advanced_alchemy.base import UUIDAuditBase, orm_registry
from advanced_alchemy.extensions.litestar.store import StoreModelMixin
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

metadata = orm_registry.metadata

ACCOUNT_TYPES = ("individual", "legal")


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
    # Bumped whenever every other session of the user must end (password change, deactivation).
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)

    @property
    def is_legal(self) -> bool:
        return self.account_type == "legal"


class KeyValueItem(StoreModelMixin):
    """Server-side sessions in the embedded default (Redis holds them in services mode)."""

    __tablename__ = "key_value_store"


class LoginFailureCounter(UUIDAuditBase):
    """Login attempts per account or per client address within a window, less those that succeeded."""

    __tablename__ = "login_failure_counter"

    key: Mapped[str] = mapped_column(String(400), unique=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_ends_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
