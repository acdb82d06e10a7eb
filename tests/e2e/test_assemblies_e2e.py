"""An assembly in a real browser: a STEP of a plate, two brackets and four identical bolts shows
three parts with counts 1, 2, 4; one click makes each its own file, priced with its count; all
three go in the cart and the order charges setup once per part design and the minimum once."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.test_orders_e2e import register_company
from tests.integration.test_assemblies import write_rig

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def rig_step(tmp_path_factory) -> Path:
    # a small one, so that printed its parts stay under the minimum order
    return write_rig(tmp_path_factory.mktemp("rig") / f"rig-{secrets.token_hex(3)}.step", scale=0.4)


def test_an_assembly_is_quoted_part_by_part_and_ordered(new_context, rig_step: Path) -> None:
    context = new_context()
    context.route(re.compile(r"/static/vendor/model-viewer"), lambda route: route.abort())
    page = context.new_page()
    register_company(page, f"rig-{secrets.token_hex(4)}@example.com")
    page.goto("/")
    page.get_by_test_id("upload-input").set_input_files(str(rig_step))
    expect(page).to_have_url(re.compile(r"/files/[0-9a-f-]{36}$"), timeout=30_000)
    expect(page.get_by_test_id("file-status")).to_have_attribute("data-status", "ready", timeout=90_000)

    parts = page.get_by_test_id("assembly-part")
    expect(parts).to_have_count(3)
    assert [parts.nth(i).get_attribute("data-count") for i in range(3)] == ["1", "2", "4"]
    expect(page.get_by_test_id("add-to-cart")).to_have_count(0)  # not one milled block
    page.get_by_test_id("split-assembly").click()
    expect(parts.first.get_by_role("link")).to_be_visible()
    links = [parts.nth(i).get_by_role("link").get_attribute("href") for i in range(3)]

    for link, count in zip(links, ("1", "2", "4"), strict=True):
        page.goto(link)
        expect(page.get_by_test_id("file-status")).to_have_attribute("data-status", "ready", timeout=90_000)
        expect(page.locator("#q-quantity")).to_have_value(count)  # its count in the file
        page.get_by_label("Process").select_option("fdm")
        expect(page.locator('.add-to-cart input[name="process"]')).to_have_value("fdm")  # priced again
        expect(page.get_by_test_id("quote-total")).to_be_visible()
        page.get_by_test_id("add-to-cart").click()
        expect(page).to_have_url(re.compile(r"/cart$"))

    expect(page.get_by_test_id("line-total")).to_have_count(3)
    expect(page.get_by_test_id("charge-setup")).to_have_count(3)
    expect(page.get_by_test_id("charge-minimum")).to_have_count(1)
    page.get_by_test_id("checkout").click()
    page.get_by_label("Delivery address").fill("Moscow, Vavilova st. 19")
    page.get_by_test_id("place-order").click()
    expect(page).to_have_url(re.compile(r"/orders/[0-9a-f-]{36}$"))
    expect(page.get_by_test_id("charge-setup")).to_have_count(3)
    expect(page.get_by_test_id("charge-minimum")).to_have_count(1)
