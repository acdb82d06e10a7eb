"""Staff pages have their own navigation: one row at desktop width, a disclosure on a phone."""

from __future__ import annotations

import os
import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, sideways_overflow
from tests.e2e.test_accounts_e2e import log_in

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
STAFF_PATHS = ["/admin/orders", "/admin/reviews", "/admin/leads", "/admin/crm", "/admin/rates", "/admin/users"]
CUSTOMER_PATHS = ("/files", "/cart", "/orders", "/notifications", "/account", "/login")
LABELS = {
    "en": ["Orders", "Reviews", "Leads", "CRM sync", "Rates", "Users"],
    "ru": ["Заказы", "Запросы", "Заявки", "Синхронизация CRM", "Цены", "Пользователи"],
}
COMPANY = {"en": "Company details", "ru": "Реквизиты компании"}  # when that page is in the build


def shoot(page: Page, name: str) -> None:
    """A picture of the page for a person to look at, when asked for (PORTAL_E2E_SHOTS=folder)."""
    folder = os.environ.get("PORTAL_E2E_SHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


def staff_hrefs(page: Page) -> list[str]:
    links = page.get_by_test_id("staff-nav").locator(".staff-row a")
    return [href.split("?")[0] for href in links.evaluate_all("links => links.map(a => a.getAttribute('href'))")]


def to_russian(page: Page) -> None:
    page.get_by_role("button", name="Русский").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")


def test_the_staff_row_holds_staff_links_only_and_fits_at_1280(page: Page) -> None:
    log_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(page).not_to_have_url(re.compile(r"/login"))
    page.goto("/admin/orders")
    nav = page.get_by_role("navigation", name="Staff pages")
    for language in ("en", "ru"):
        if language == "ru":
            to_russian(page)
            nav = page.get_by_role("navigation", name="Разделы для сотрудников")
        hrefs = staff_hrefs(page)
        assert hrefs[: len(STAFF_PATHS)] == STAFF_PATHS and set(hrefs) <= {*STAFF_PATHS, "/admin/company"}
        assert not any(href.startswith(CUSTOMER_PATHS) for href in hrefs)
        labels = LABELS[language] + ([COMPANY[language]] if "/admin/company" in hrefs else [])
        expect(nav.get_by_role("link")).to_have_text(labels)
        expect(nav.get_by_role("link", name=LABELS[language][0])).to_have_attribute("aria-current", "page")
        row = page.get_by_test_id("staff-nav").locator(".staff-row").bounding_box()
        assert row["height"] < 48, "the staff links wrap onto a second line"
        brand = page.locator("header.site .brand").bounding_box()
        main_nav = page.get_by_test_id("main-nav").bounding_box()
        assert abs(brand["y"] - main_nav["y"]) < 20, "the main navigation wraps under the brand"
        main_hrefs = page.get_by_test_id("main-nav").locator("a").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))")
        assert not any(href.startswith("/admin") for href in main_hrefs)
        shoot(page, f"staff-nav-1280-{language}")


def test_on_a_phone_the_staff_links_fold_into_a_disclosure(new_context) -> None:
    page = new_context(**PHONE).new_page()
    log_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(page).not_to_have_url(re.compile(r"/login"))
    for language in ("en", "ru"):
        page.goto("/admin/rates")
        if language == "ru":
            to_russian(page)
        nav = page.get_by_test_id("staff-nav")
        expect(nav.locator(".staff-row")).to_be_hidden()
        menu = nav.locator("details.staff-menu")
        expect(menu.get_by_role("link", name=LABELS[language][0])).to_be_hidden()
        summary = menu.locator("summary")
        expect(summary).to_contain_text(LABELS[language][4])  # the page one is on
        shoot(page, f"staff-nav-390-{language}-closed")
        summary.click()
        for label in LABELS[language]:
            expect(menu.get_by_role("link", name=label, exact=True)).to_be_visible()
        assert sideways_overflow(page) <= 0
        shoot(page, f"staff-nav-390-{language}-open")
        menu.get_by_role("link", name=LABELS[language][5], exact=True).click()
        expect(page).to_have_url(re.compile(r"/admin/users$"))
