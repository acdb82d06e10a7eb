"""Instant first, exact next, in a real browser: choosing FDM printing shows the estimate at once,
marked as one, and the slicer's price replaces it without a reload."""

from __future__ import annotations

import re
import secrets
import shutil

import pytest
from playwright.sync_api import expect

from tests.e2e.test_orders_e2e import box

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(shutil.which("prusa-slicer") is None, reason="prusa-slicer is not installed")]


def test_the_estimate_is_replaced_by_the_slicers_price_without_a_reload(new_context, tmp_path) -> None:
    context = new_context()
    context.route(re.compile(r"/static/vendor/model-viewer"), lambda route: route.abort())
    page = context.new_page()
    page.goto("/")
    page.get_by_test_id("upload-input").set_input_files(str(box(tmp_path / f"bin-{secrets.token_hex(3)}.stl",
                                                                (60.0, 40.0, 20.0))))
    expect(page).to_have_url(re.compile(r"/files/[0-9a-f-]{36}$"), timeout=30_000)
    expect(page.get_by_test_id("file-status")).to_have_attribute("data-status", "ready", timeout=90_000)
    page.get_by_label("Process").select_option("fdm")
    source = page.get_by_test_id("price-source")
    expect(source).to_have_attribute("data-source", "estimate")
    expect(source).to_contain_text("Estimate")
    page.evaluate("window.sameDocument = true")  # gone if the page were loaded again
    expect(source).to_have_attribute("data-source", "slicer", timeout=120_000)
    expect(source).to_contain_text("From the slicer")
    assert page.evaluate("window.sameDocument === true")
    expect(page.get_by_test_id("quote-total")).to_be_visible()
