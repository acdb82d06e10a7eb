"""Documents in a real browser: staff fill in our company's details (a wrong BIK is named next to
its field first); a customer's order moved to awaiting payment shows the invoice link without a
reload, and the invoice's QR code decodes to the payment string with the order's total."""

from __future__ import annotations

import re
import secrets
import subprocess
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.test_accounts_e2e import log_in
from tests.e2e.test_orders_e2e import company_orders_a_bracket

pytestmark = pytest.mark.e2e

DETAILS = {
    "Full legal name": "ООО «Цех»",
    "INN": "7709123453",
    "KPP": "770901001",
    "OGRN": "1027700132195",
    "Legal address": "Москва, ул. Станкостроителей, 5",
    "Bank": "ПАО Сбербанк",
    "BIK": "044525225",
    "Correspondent account": "30101810400000000225",
    "Settlement account": "40702810938000000001",
    "Signatory": "Директор И. И. Иванов",
}


def fill_company_details(staff: Page) -> None:
    staff.goto("/admin/company")
    for label, value in {**DETAILS, "BIK": "041234567"}.items():
        staff.get_by_label(label, exact=True).fill(value)
    staff.get_by_role("button", name="Save the details").click()
    expect(staff.locator("#error-correspondent_account")).to_contain_text("does not match the BIK")
    expect(staff.locator("#error-settlement_account")).to_contain_text("does not match the BIK")
    staff.get_by_label("BIK", exact=True).fill(DETAILS["BIK"])
    staff.get_by_label("VAT", exact=True).select_option("rate")
    staff.get_by_role("button", name="Save the details").click()
    expect(staff.get_by_text("The company details are saved.")).to_be_visible()
    expect(staff.get_by_label("Settlement account", exact=True)).to_have_value(DETAILS["Settlement account"])


def kopecks(shown: str) -> int:
    """"₽1,830.00" → 183000."""
    return int(re.sub(r"[^0-9]", "", shown))


def qr_texts(pdf: Path, folder: Path) -> list[str]:
    found = []
    for index, image in enumerate(PdfReader(pdf).pages[0].images):
        path = folder / f"image-{index}.png"
        image.image.save(path)
        result = subprocess.run(["zbarimg", "--raw", "-q", str(path)], capture_output=True, check=False)
        if result.returncode == 0:
            found.append(result.stdout.decode().strip())
    return found


def test_staff_fill_the_details_and_the_customer_gets_an_invoice_with_a_payment_qr(
    new_context, tmp_path: Path
) -> None:
    staff = new_context().new_page()
    log_in(staff, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(staff).to_have_url(re.compile(r"/admin/users$"))
    fill_company_details(staff)

    context = new_context(accept_downloads=True)
    context.route(re.compile(r"/static/vendor/model-viewer"), lambda route: route.abort())
    customer = context.new_page()
    order_path = company_orders_a_bracket(customer, f"payer-{secrets.token_hex(4)}@example.com", tmp_path)
    expect(customer.get_by_test_id("ship-by")).to_be_visible()
    expect(customer.get_by_test_id("invoice-pdf")).to_have_count(0)
    number = re.search(r"\d+", customer.get_by_role("heading", level=1).inner_text()).group(0)

    staff.goto("/admin" + order_path)
    for status in ("In review", "Awaiting payment"):
        staff.get_by_label("New status").select_option(label=status)
        staff.get_by_role("button", name="Change the status").click()
        expect(staff.get_by_test_id("order-status")).to_have_text(status)

    expect(customer.get_by_test_id("invoice-pdf")).to_be_visible(timeout=15_000)  # polled in, no reload
    total = kopecks(customer.get_by_test_id("order-total").inner_text())
    with customer.expect_download() as invoice:
        customer.get_by_test_id("invoice-pdf").click()
    assert qr_texts(Path(invoice.value.path()), tmp_path) == [
        "ST00012|Name=ООО «Цех»|PersonalAcc=40702810938000000001|BankName=ПАО Сбербанк|BIC=044525225|"
        f"CorrespAcc=30101810400000000225|PayeeINN=7709123453|KPP=770901001|Sum={total}|"
        f"Purpose=Оплата по счёту № {number} от {date.today():%d.%m.%Y}, НДС 22%"
    ]
