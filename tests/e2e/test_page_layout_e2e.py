"""What a person sees on the main path, measured: the units choices read as one line each, the file's
Delete sits beside its Download, the phone's price bar never hides the footer, the cart's quantity
error reads across its line, cancelling an order asks first, and staff read their order list and an
order with its payments on a phone."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, sideways_overflow
from tests.e2e.test_accounts_e2e import log_in, register_individual, unique_email
from tests.e2e.test_orders_e2e import box, quote_and_add

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def no_viewer(context) -> None:
    """The 3D viewer has its own test (with WebGL); here the page shows the part's picture."""
    context.route(re.compile(r"/static/vendor/model-viewer"), lambda route: route.abort())


def upload_ready(page: Page, model: Path) -> None:
    page.goto("/")
    page.get_by_test_id("upload-input").set_input_files(str(model))
    expect(page).to_have_url(re.compile(r"/files/[0-9a-f-]{36}$"), timeout=30_000)
    expect(page.get_by_test_id("file-status")).to_have_attribute("data-status", "ready", timeout=90_000)
    expect(page.get_by_test_id("quote-total")).to_be_visible()


def place_order(page: Page) -> None:
    page.goto("/checkout")
    page.get_by_label("Delivery address").fill("Moscow, Vavilova st. 19")
    page.get_by_test_id("place-order").click()
    expect(page).to_have_url(re.compile(r"/orders/[0-9a-f-]{36}$"))


def test_the_units_choices_and_the_file_actions_each_read_as_one_line(new_context, tmp_path: Path) -> None:
    context = new_context()
    no_viewer(context)
    page = context.new_page()
    register_individual(page, unique_email("units-look"))
    upload_ready(page, box(tmp_path / f"block-{secrets.token_hex(3)}.stl", (40.0, 30.0, 20.0)))

    question = page.get_by_test_id("units-question")
    expect(question).to_be_visible()  # an STL does not say its units: the page asks
    for units in ("mm", "in"):
        radio = question.locator(f'input[name="units"][value="{units}"]').bounding_box()
        size = page.get_by_test_id(f"units-size-{units}").bounding_box()
        label = question.locator("label.choice", has=page.locator(f'input[value="{units}"]')).bounding_box()
        # the radio, the units' name and the size they give on one line, not stacked down the box
        assert abs((radio["y"] + radio["height"] / 2) - (size["y"] + size["height"] / 2)) < 12, (radio, size)
        assert size["x"] > radio["x"] + radio["width"]
        assert label["height"] < 40, label

    download = page.get_by_role("link", name="Download the original").bounding_box()
    delete = page.get_by_role("button", name="Delete").bounding_box()
    assert abs(download["y"] - delete["y"]) < 6 and delete["x"] > download["x"] + download["width"], (download, delete)


def test_on_a_phone_the_price_bar_leaves_the_footer_in_reach(new_context, tmp_path: Path) -> None:
    context = new_context(**PHONE)
    no_viewer(context)
    page = context.new_page()
    register_individual(page, unique_email("price-bar"))
    upload_ready(page, box(tmp_path / f"plate-{secrets.token_hex(3)}.stl", (40.0, 40.0, 5.0)))

    expect(page.get_by_test_id("price-summary")).to_be_visible()  # the bar along the bottom
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    for target in (page.locator("footer.site").get_by_role("button", name="Русский"),
                   page.get_by_test_id("call-request-open")):
        found = target.bounding_box()
        assert found is not None
        on_top = page.evaluate(
            "([x, y]) => document.elementFromPoint(x, y).closest('[data-testid=price-summary]') === null",
            [found["x"] + found["width"] / 2, found["y"] + found["height"] / 2],
        )
        assert on_top, "the price bar covers the end of the page"


def test_cancelling_an_order_asks_first(new_context, tmp_path: Path) -> None:
    context = new_context()
    no_viewer(context)
    page = context.new_page()
    register_individual(page, unique_email("cancel"))
    quote_and_add(page, box(tmp_path / f"shim-{secrets.token_hex(3)}.stl", (30.0, 20.0, 10.0)), "5")
    # a quantity the server refuses (a browser that does not check the field first): the message reads
    # across the line under the field and its button, not squeezed into the narrow field's width
    quantity = page.locator(".quantity-form").first
    quantity.evaluate("form => form.setAttribute('novalidate', '')")
    quantity.locator('input[name="quantity"]').fill("0")
    quantity.get_by_role("button", name="Update").click()
    error = page.locator(".quantity-form .field-error").first
    expect(error).to_be_visible()
    field = page.locator('.quantity-form input[name="quantity"]').first.bounding_box()
    message = error.bounding_box()
    assert message["y"] >= field["y"] + field["height"] and message["height"] < 30, (field, message)
    place_order(page)
    expect(page.get_by_test_id("order-status")).to_have_text("Submitted")

    asked = []

    def answer(dialog, accept: bool) -> None:
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    page.get_by_role("button", name="Cancel the order").click()
    page.wait_for_timeout(500)
    assert asked and "cannot be undone" in asked[0]
    page.reload()
    expect(page.get_by_test_id("order-status")).to_have_text("Submitted")  # a slip of the finger cancels nothing

    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    page.get_by_role("button", name="Cancel the order").click()
    expect(page.get_by_test_id("order-status")).to_have_text("Cancelled")


def test_staff_read_orders_and_payments_on_a_phone_without_the_call_strip(new_context, server, tmp_path: Path) -> None:
    context = new_context()
    no_viewer(context)
    customer = context.new_page()
    email = unique_email("staff-phone")
    register_individual(customer, email)
    quote_and_add(customer, box(tmp_path / f"lug-{secrets.token_hex(3)}.stl", (30.0, 20.0, 10.0)), "5")
    place_order(customer)
    order_path = re.search(r"/orders/[0-9a-f-]{36}$", customer.url).group(0)
    expect(customer.get_by_test_id("call-request-open")).to_be_visible()  # customers may ask for a call

    phone = new_context(**PHONE)
    staff = phone.new_page()
    log_in(staff, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(staff).to_have_url(re.compile(r"/admin/users$"))
    phone.add_cookies([{"name": "lang", "value": "ru", "url": server.base_url}])  # the longer words
    staff.goto(f"/admin{order_path}")
    for status in ("in_review", "awaiting_payment"):
        staff.locator("#field-status").select_option(status)
        staff.locator("form:has(#field-status) button[type=submit]").click()
        expect(staff.get_by_test_id("order-status")).to_have_class(re.compile(f"status-{status}"))
    payment = staff.get_by_test_id("record-payment")
    payment.locator('input[name="amount"]').fill("100")
    payment.locator('select[name="method"]').select_option(index=0)
    payment.get_by_role("button").click()
    expect(staff.locator("#payments-title + p + .table-wrap table")).to_be_visible()
    # a payments table wider than the phone scrolls in its own frame; the page does not
    assert sideways_overflow(staff) <= 0
    expect(staff.get_by_test_id("call-request-open")).to_have_count(0)  # staff take calls, not ask for them

    staff.goto(f"/admin/orders?q={email}")
    total = staff.get_by_test_id("order-table").locator("td.num").first
    expect(total).to_be_visible()
    found = total.bounding_box()
    assert found["x"] + found["width"] <= 390, "the order's total is off the side of the phone's screen"
