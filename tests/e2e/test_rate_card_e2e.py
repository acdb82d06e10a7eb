"""The rate card editor: collapsed panels, a search that works with and without JavaScript."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.test_accounts_e2e import log_in
from tests.e2e.test_staff_nav_e2e import shoot


def test_panels_start_closed_and_the_search_opens_the_matching_ones(page: Page) -> None:
    log_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(page).not_to_have_url(re.compile(r"/login"))
    page.goto("/admin/rates")
    panels = page.get_by_test_id("rate-panel")
    assert panels.count() >= 8  # general, five processes, finishes, tolerances, lead times, breaks
    expect(page.locator("details.rate-panel[open]")).to_have_count(0)
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 3000, f"the editor is {height} px tall with every panel closed"
    shoot(page, "rates-closed")

    page.get_by_label("Find a field").fill("Machine rate per hour")
    milling = page.locator("#panel-process-cnc_milling")
    expect(milling).to_have_attribute("open", "")
    expect(milling.get_by_label("Machine rate per hour")).to_be_visible()
    expect(milling.get_by_label("Setup hours per order")).to_be_hidden()
    expect(page.locator("#panel-finishes")).to_be_hidden()
    expect(milling.get_by_label("Undercuts go to a manual quote")).to_be_hidden()
    shoot(page, "rates-search")

    page.get_by_label("Find a field").fill("")
    expect(page.locator("details.rate-panel[open]")).to_have_count(0)
    page.locator("#panel-process-fdm summary").click()
    expect(page.locator("#panel-process-fdm").get_by_label("Printing technology")).to_have_value("fdm")
    expect(page.locator("#panel-process-fdm").get_by_label("Machine rate per hour")).to_be_visible()
    expect(page.locator("#panel-process-fdm .unit").first).to_contain_text("RUB")
    expect(page.locator("#panel-process-cnc_milling").get_by_label("Undercuts go to a manual quote")).to_be_checked()


def test_without_javascript_the_search_opens_and_marks_the_matching_fields(new_context) -> None:
    page = new_context(java_script_enabled=False).new_page()
    log_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(page).not_to_have_url(re.compile(r"/login"))
    page.goto("/admin/rates")
    page.get_by_label("Find a field").fill("Price per kg")
    page.get_by_role("button", name="Find", exact=True).click()
    expect(page).to_have_url(re.compile(r"q=Price\+per\+kg"))
    expect(page.locator("#panel-process-fdm")).to_have_attribute("open", "")
    expect(page.locator("#panel-finishes")).not_to_have_attribute("open", "")
    assert page.locator(".rate-match").count() >= 5
    shoot(page, "rates-search-nojs")
