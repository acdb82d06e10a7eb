"""The invoice's payment QR string (GOST R 56042-2014) for a supplier without VAT and without KPP."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from portal.db.company import CompanyDetails
from portal.orders.invoice_pdf import payment_qr_text, vat_label


def test_an_entrepreneur_without_vat() -> None:
    details = CompanyDetails(legal_name="ИП Иванов Иван Иванович", inn="500100732259", kpp="",
                             bank_name="АО «Альфа-Банк»",
                             bik="044525593", correspondent_account="30101810200000000593",
                             settlement_account="40802810000000000001", vat_mode="none")
    label = vat_label(details, Decimal("0.22"))
    assert label == "Без НДС"
    assert payment_qr_text(details, 1042, date(2026, 12, 7), Decimal("15000.50"), label) == (
        "ST00012|Name=ИП Иванов Иван Иванович|PersonalAcc=40802810000000000001|BankName=АО «Альфа-Банк»|"
        "BIC=044525593|CorrespAcc=30101810200000000593|PayeeINN=500100732259|Sum=1500050|"
        "Purpose=Оплата по счёту № 1042 от 07.12.2026, без НДС"
    )
