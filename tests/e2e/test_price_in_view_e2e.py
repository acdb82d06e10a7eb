"""The price is in view beside the model without scrolling: at the top of the quote on a desktop,
in a bar along the bottom of the screen on a phone; in both languages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_uploads_e2e import open_page, step_part  # noqa: F401 - the fixture

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
@pytest.mark.parametrize("locale", ["en-US", "ru-RU"])
def test_the_price_is_in_view_without_scrolling(browser, server, step_part, width, height, locale) -> None:  # noqa: F811
    page = open_page(browser, server, locale=locale)
    page.set_viewport_size({"width": width, "height": height})
    page.goto("/")
    page.get_by_test_id("upload-input").set_input_files(str(step_part))
    page.wait_for_url(re.compile(r"/files/[0-9a-f-]{36}$"))
    expect(page.get_by_test_id("file-status")).to_have_attribute("data-status", "ready", timeout=60_000)
    page.evaluate("window.scrollTo(0, 0)")
    total = page.get_by_test_id("quote-total")
    expect(total).to_be_visible()
    box = total.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height, box
    page.context.close()
