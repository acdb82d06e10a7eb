"""Our own company's details, printed on every document the portal produces. One row at most."""

from __future__ import annotations

from advanced_alchemy.base import UUIDAuditBase
from sqlalchemy import LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

VAT_MODES = ("rate", "none")  # the rate card's VAT rate, or without VAT (the simplified tax system)


class CompanyDetails(UUIDAuditBase):
    __tablename__ = "company_details"

    legal_name: Mapped[str] = mapped_column(String(300))
    inn: Mapped[str] = mapped_column(String(12))
    kpp: Mapped[str] = mapped_column(String(9), default="")
    ogrn: Mapped[str] = mapped_column(String(15))
    legal_address: Mapped[str] = mapped_column(Text)
    bank_name: Mapped[str] = mapped_column(String(300))
    bik: Mapped[str] = mapped_column(String(9))
    correspondent_account: Mapped[str] = mapped_column(String(20))
    settlement_account: Mapped[str] = mapped_column(String(20))
    signatory: Mapped[str] = mapped_column(String(200))
    vat_mode: Mapped[str] = mapped_column(String(8), default="rate")
    # PNG or JPEG, small; loaded only for the documents, not for every order page a poll renders
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, default=None, deferred=True)
    logo_type: Mapped[str] = mapped_column(String(32), default="")
