"""A new ship-by date in real browsers: staff set it on the order's page with a reason, and the
customer's open order page shows the new date, the old one struck through and the reason in the
history, without a reload; the notice waits on the notifications page."""

from __future__ import annotations

import re
import secrets
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.test_accounts_e2e import log_in
from tests.e2e.test_orders_e2e import company_orders_a_bracket

pytestmark = pytest.mark.e2e


def test_the_customer_sees_a_new_ship_by_date_without_a_reload(new_context, tmp_path: Path) -> None:
    context = new_context()
    context.route(re.compile(r"/static/vendor/model-viewer"), lambda route: route.abort())
    customer = context.new_page()
    order_path = company_orders_a_bracket(customer, f"late-{secrets.token_hex(4)}@example.com", tmp_path)
    quoted = customer.get_by_test_id("ship-by").inner_text()
    expect(customer.get_by_test_id("ship-by-was")).to_have_count(0)
    customer.evaluate("window.__e2eMarker = 'the same page'")

    staff = new_context().new_page()
    log_in(staff, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(staff).to_have_url(re.compile(r"/admin/users$"))
    staff.goto("/admin" + order_path)
    new = date.today() + timedelta(days=40)
    promise = staff.get_by_test_id("new-ship-by")
    promise.get_by_label("New ship-by date").fill(new.isoformat())
    promise.get_by_label("Why, for the customer (optional)").fill("The heat treatment shop is closed for a week.")
    promise.get_by_role("button", name="Set the new date and tell the customer").click()
    expect(staff.get_by_text("The new ship-by date is saved and the customer is told.")).to_be_visible()
    shown = f"{new:%a %d %b %Y}"
    expect(staff.get_by_test_id("ship-by")).to_have_text(shown)

    expect(customer.get_by_test_id("ship-by")).to_have_text(shown, timeout=15_000)
    expect(customer.get_by_test_id("ship-by-was").locator("del")).to_have_text(quoted)
    timeline = customer.get_by_test_id("order-timeline")
    expect(timeline).to_contain_text(f"New ship-by date: {shown} (was {quoted})")
    expect(timeline).to_contain_text("The heat treatment shop is closed for a week.")
    assert customer.evaluate("window.__e2eMarker") == "the same page"  # no reload: htmx polled it in

    customer.goto("/notifications")
    expect(customer.locator('[data-testid="notice"][data-kind="ship_by"]')).to_contain_text(
        f"new ship-by date: {shown} (was {quoted}).")
