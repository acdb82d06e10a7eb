"""Money and parcels in a real browser: staff record a partial then a full payment, the order goes
to production, staff ship it with a tracking number, and the customer's open order page shows the
tracking link without a reload."""

from __future__ import annotations

import re
import secrets
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.test_accounts_e2e import log_in
from tests.e2e.test_orders_e2e import company_orders_a_bracket

pytestmark = pytest.mark.e2e
LEFT = re.compile(r"Left to pay: ₽([\d,.]+)\.")


def test_staff_take_payments_ship_and_the_customer_sees_the_tracking_link(new_context, tmp_path: Path) -> None:
    context = new_context()
    context.route(re.compile(r"/static/vendor/model-viewer"), lambda route: route.abort())
    customer = context.new_page()
    order_path = company_orders_a_bracket(customer, f"payer-{secrets.token_hex(4)}@example.com", tmp_path)
    customer.evaluate("window.__e2eMarker = 'the same page'")

    staff = new_context().new_page()
    log_in(staff, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(staff).to_have_url(re.compile(r"/admin/users$"))
    staff.goto("/admin" + order_path)
    for status in ("In review", "Awaiting payment"):
        staff.get_by_label("New status").select_option(label=status)
        staff.get_by_role("button", name="Change the status").click()
        expect(staff.get_by_test_id("order-status")).to_have_text(status)

    payment = staff.get_by_test_id("record-payment")
    payment.get_by_label("Amount received, with VAT").fill("100")
    payment.get_by_label("Method").select_option(label="Bank transfer")
    payment.get_by_label("Reference (payment order number, receipt), optional").fill("PP-17")
    payment.get_by_role("button", name="Record the payment").click()
    expect(staff.get_by_test_id("amount-paid")).to_contain_text("Paid: ₽100.00 of")
    left = Decimal(LEFT.search(staff.get_by_test_id("amount-paid").inner_text()).group(1).replace(",", ""))
    assert left > 0

    staff.get_by_label("New status").select_option(label="In production")  # not paid in full: refused
    staff.get_by_role("button", name="Change the status").click()
    expect(staff.get_by_test_id("status-error")).to_contain_text("not paid in full")

    payment = staff.get_by_test_id("record-payment")
    payment.get_by_label("Amount received, with VAT").fill(f"{left + 1}")  # more than is left: refused
    payment.get_by_role("button", name="Record the payment").click()
    expect(staff.locator("#error-amount")).to_have_text("This is more than is left to pay for the order.")
    payment = staff.get_by_test_id("record-payment")
    payment.get_by_label("Amount received, with VAT").fill(f"{left}")
    payment.get_by_label("Method").select_option(label="Cash")
    payment.get_by_role("button", name="Record the payment").click()
    expect(staff.get_by_test_id("amount-paid")).to_contain_text("Left to pay: ₽0.00.")

    staff.get_by_label("New status").select_option(label="In production")
    staff.get_by_role("button", name="Change the status").click()
    expect(staff.get_by_test_id("order-status")).to_have_text("In production")
    expect(customer.get_by_test_id("order-status")).to_have_text("In production", timeout=15_000)

    shipment = staff.get_by_test_id("record-shipment")
    shipment.get_by_label("Carrier").select_option(label="CDEK")
    shipment.get_by_label("Tracking number").fill("<b>1</b>")  # markup: refused with a message
    shipment.get_by_role("button", name="Record the shipment").click()
    expect(staff.locator("#error-tracking_number")).to_contain_text("only letters, digits and dashes")
    shipment = staff.get_by_test_id("record-shipment")
    shipment.get_by_label("Tracking number").fill("1234567890")
    shipment.get_by_role("button", name="Record the shipment").click()
    expect(staff.get_by_test_id("order-status")).to_have_text("Shipped")

    link = customer.get_by_test_id("tracking-link")
    expect(link).to_have_attribute("href", "https://www.cdek.ru/ru/tracking?order_id=1234567890", timeout=15_000)
    expect(customer.get_by_test_id("order-status")).to_have_text("Shipped")
    assert customer.evaluate("window.__e2eMarker") == "the same page"  # no reload: htmx polled it in
    expect(customer.get_by_test_id("order-timeline")).to_contain_text("Payment received")
