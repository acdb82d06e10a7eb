"""The staff navigation: staff links only, for staff only, from one list that skips absent pages."""

from __future__ import annotations

import re

from portal.core import navigation
from tests.integration.conftest import COMPANY, register
from tests.integration.orders import staff_login

STAFF_PATHS = ["/admin/orders", "/admin/reviews", "/admin/leads", "/admin/crm", "/admin/rates", "/admin/users"]


def staff_nav_hrefs(html: str) -> list[str]:
    found = re.search(r'<nav class="staff".*?</nav>', html, re.S)
    return re.findall(r'href="([^"]+)"', found.group(0)) if found else []


async def test_staff_pages_carry_the_staff_links_and_no_customer_ones(client, db) -> None:
    await staff_login(client, db)
    page = await client.get("/admin/reviews")
    hrefs = staff_nav_hrefs(page.text)
    assert hrefs == STAFF_PATHS * 2  # the row and the phone's disclosure
    assert '<a href="/admin/reviews" data-testid="staff-reviews" aria-current="page">' in page.text
    main_nav = re.search(r'<nav class="main".*?</nav>', page.text, re.S).group(0)
    assert "/admin/" not in main_nav


async def test_customers_get_no_staff_navigation(client, db) -> None:
    await register(client, COMPANY)
    page = await client.get("/orders")
    assert page.status_code == 200 and 'data-testid="staff-nav"' not in page.text


async def test_a_page_missing_from_this_build_is_left_out(client, db, monkeypatch) -> None:
    monkeypatch.setattr(navigation, "STAFF_LINKS", (("no_such_page", "Nowhere", False), *navigation.STAFF_LINKS))
    await staff_login(client, db)
    page = await client.get("/admin/orders")
    assert page.status_code == 200 and staff_nav_hrefs(page.text) == STAFF_PATHS * 2
