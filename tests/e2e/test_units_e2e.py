"""A part exported in inches: the file page asks "millimetres or inches?" with inches pre-selected
and both sizes shown; choosing inches is kept and the price follows; the same without JavaScript.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
import trimesh
from playwright.sync_api import Page, expect

from tests.e2e.test_uploads_e2e import open_page, price_of, webgl_browser  # noqa: F401 - the fixture

pytestmark = pytest.mark.e2e

BRACKET_MM = (127.0, 63.5, 34.925)  # a machined bracket, exported in inches: 5 × 2.5 × 1.375


@pytest.fixture(scope="module")
def inch_stl(tmp_path_factory) -> Path:
    """A metric part scaled by 1/25.4, as a CAD program writes an STL in inches."""
    body = trimesh.creation.box(extents=BRACKET_MM)
    body.apply_translation([v / 2 for v in BRACKET_MM])
    body.apply_scale(1 / 25.4)
    path = tmp_path_factory.mktemp("inch") / f"bracket-in-{secrets.token_hex(3)}.stl"
    body.export(path)
    return path


def upload(page: Page, path: Path, scripted: bool = True) -> None:
    page.goto("/")
    page.get_by_test_id("upload-input").set_input_files(str(path))
    if not scripted:
        page.get_by_role("button", name="Upload and get a price").click()
    page.wait_for_url(re.compile(r"/files/[0-9a-f-]{36}$"))


def wait_ready(page: Page, reload: bool) -> None:
    for _ in range(120):
        if page.get_by_test_id("file-status").get_attribute("data-status") == "ready":
            return
        page.wait_for_timeout(500)
        if reload:
            page.reload()
    raise AssertionError("the file was not analysed")


def check_question(page: Page) -> None:
    question = page.get_by_test_id("units-question")
    expect(question).to_be_visible()
    expect(question.locator('input[name="units"][value="in"]')).to_be_checked()
    expect(question.locator('input[name="units"][value="mm"]')).not_to_be_checked()
    expect(page.get_by_test_id("units-size-mm")).to_contain_text("5.0 × 2.5 × 1.4 mm")
    expect(page.get_by_test_id("units-size-in")).to_contain_text("127.0 × 63.5 × 34.9 mm")
    expect(page.get_by_test_id("units-pending")).to_be_visible()  # priced as inches, says so
    expect(page.get_by_test_id("part-size")).to_contain_text("127.0 × 63.5 × 34.9")


def test_an_inch_stl_is_asked_about_and_the_answer_rescales(webgl_browser, server, inch_stl) -> None:  # noqa: F811
    page = open_page(webgl_browser, server)
    upload(page, inch_stl)
    wait_ready(page, reload=False)
    check_question(page)
    as_inches = price_of(page)

    page.get_by_label(re.compile("Millimetres")).check()  # the customer says millimetres after all
    expect(page.get_by_test_id("part-size")).to_contain_text("5.0 × 2.5 × 1.4")
    expect(page.get_by_test_id("quote-total")).not_to_have_attribute("data-amount", as_inches)
    expect(page.get_by_test_id("units-pending")).to_have_count(0)

    page.get_by_label(re.compile("Inches")).check()
    expect(page.get_by_test_id("part-size")).to_contain_text("127.0 × 63.5 × 34.9")
    assert price_of(page) == as_inches
    page.reload()  # the answer is kept for the file
    expect(page.get_by_test_id("units-question").locator('input[value="in"]')).to_be_checked()
    expect(page.get_by_test_id("units-pending")).to_have_count(0)
    assert price_of(page) == as_inches
    page.context.close()


def test_the_units_question_without_javascript(browser, server, inch_stl) -> None:
    page = open_page(browser, server, java_script_enabled=False)
    upload(page, inch_stl, scripted=False)
    wait_ready(page, reload=True)
    check_question(page)
    as_inches = price_of(page)
    page.get_by_label(re.compile("Millimetres")).check()
    page.get_by_role("button", name="Use these units").click()
    expect(page.get_by_test_id("part-size")).to_contain_text("5.0 × 2.5 × 1.4")
    assert price_of(page) != as_inches
    expect(page.get_by_test_id("units-question").locator('input[value="mm"]')).to_be_checked()
    page.context.close()
