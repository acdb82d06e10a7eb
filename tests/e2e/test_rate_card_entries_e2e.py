"""Staff add a quantity break to the rate card, see what a customer's recent quote would cost with
it before saving (old and new price, nothing saved), save it, and take it out again."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.test_accessibility_e2e import CUBE_STL
from tests.e2e.test_accounts_e2e import log_in
from tests.e2e.test_staff_nav_e2e import PHONE, shoot

pytestmark = pytest.mark.e2e


def quote_eighty_cubes(page: Page) -> None:
    """A visitor prices 80 cubes; the panel keeps the choice a moment after it settles."""
    page.goto("/")
    page.get_by_test_id("upload-input").set_input_files(
        files=[{"name": "preview-cube.stl", "mimeType": "model/stl", "buffer": CUBE_STL}])
    page.wait_for_url(re.compile(r"/files/[0-9a-f-]{36}$"))
    expect(page.get_by_test_id("quote-total")).to_be_visible(timeout=60_000)
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/quote")
                              and "quantity=80" in (r.request.post_data or ""), timeout=30_000):
        page.get_by_label("Quantity").fill("80")


def amount(text: str) -> float:
    return float(re.sub(r"[^\d.]", "", text.replace(",", "")))


def test_a_new_quantity_break_is_previewed_on_a_recent_quote_then_saved_and_removed(new_context) -> None:
    customer = new_context().new_page()
    quote_eighty_cubes(customer)
    customer.close()  # its 3D view would keep drawing while staff work

    page = new_context().new_page()
    log_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(page).not_to_have_url(re.compile(r"/login"))
    page.goto("/admin/rates")
    breaks = page.locator("#panel-quantity_breaks")
    breaks.locator("summary").click()
    new_break = page.get_by_test_id("new-quantity-break")
    new_break.get_by_label("From quantity").fill("75")
    new_break.get_by_label("Discount (0.10 is 10 %)").fill("0.14")
    page.evaluate("window.__e2eMarker = 'the same page'")
    page.get_by_role("button", name="Preview prices").click()

    preview = page.get_by_test_id("rate-preview")
    row = preview.get_by_test_id("rate-preview-row").filter(has_text="preview-cube.stl").first
    expect(row).to_be_visible()
    expect(row).to_contain_text("Quantity: 80")
    old = amount(row.get_by_test_id("old-price").inner_text())
    new = amount(row.get_by_test_id("new-price").inner_text())
    assert new < old, (old, new)  # 14 % off instead of 13 %
    expect(row.get_by_test_id("price-change")).to_have_text(re.compile(r"^−\d"))
    assert page.evaluate("window.__e2eMarker") == "the same page"  # htmx: the edits stay as typed
    expect(new_break.get_by_label("From quantity")).to_have_value("75")
    versions_before = page.get_by_test_id("rate-version").count()
    shoot(page, "rates-preview-1280")
    page.set_viewport_size(PHONE["viewport"])
    row.scroll_into_view_if_needed()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the preview scrolls sideways on a phone"
    shoot(page, "rates-preview-390")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("button", name="Save as a new version").click()
    expect(page.get_by_text("The rate card is saved as a new version")).to_be_visible()
    expect(page.get_by_test_id("rate-version")).to_have_count(versions_before + 1)
    newest = page.get_by_test_id("rate-version").first
    expect(newest.get_by_test_id("rate-change")).to_have_text("From 75 parts: added")

    page.locator("#panel-quantity_breaks summary").click()
    page.get_by_role("checkbox", name="Remove From 75 parts").check()
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.get_by_text("The rate card is saved as a new version")).to_be_visible()
    expect(page.get_by_test_id("rate-version").first.get_by_test_id("rate-change")).to_have_text(
        "From 75 parts: removed")
    page.locator("#panel-quantity_breaks summary").click()
    expect(page.get_by_role("heading", name="From 75 parts")).to_have_count(0)


def test_a_first_break_cannot_be_removed_and_says_why_beside_the_box(new_context) -> None:
    page = new_context().new_page()
    log_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(page).not_to_have_url(re.compile(r"/login"))
    page.goto("/admin/rates")
    page.get_by_role("button", name="Русский").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.get_by_role("button", name="Посмотреть цены").click()
    heading = page.get_by_role("heading", name="Цены с вашими изменениями")
    expect(heading).to_be_visible()
    heading.scroll_into_view_if_needed()
    shoot(page, "rates-preview-ru-1280")
    page.set_viewport_size(PHONE["viewport"])
    heading.scroll_into_view_if_needed()
    shoot(page, "rates-preview-ru-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator("#panel-quantity_breaks summary").click()
    page.get_by_role("checkbox", name="Убрать От 1 детали").check()
    page.get_by_role("button", name="Сохранить как новую версию").click()
    box = page.get_by_role("checkbox", name="Убрать От 1 детали")
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_test_id("remove-error")).to_have_text("Не убрано: скидки за количество начинаются с 1 детали.")
    shoot(page, "rates-refused-ru")
    page.locator("#panel-processes summary").click()
    page.locator("#panel-tolerances summary").click()
    page.get_by_test_id("new-process").scroll_into_view_if_needed()
    shoot(page, "rates-new-process-ru")
    page.get_by_test_id("new-tolerance").scroll_into_view_if_needed()
    page.set_viewport_size(PHONE["viewport"])
    shoot(page, "rates-new-tolerance-ru-390")
