"""Uploads in a real browser: an anonymous visitor uploads a STEP part, watches the progress,
sees it in 3D (the WebGL canvas is drawn) and priced, changes the quantity, registers and finds
the file in their list; the same page in Russian; and an upload without JavaScript.
"""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.e2e

# Software WebGL (SwiftShader), so that the viewer draws on a machine without a GPU.
WEBGL_ARGS = [*CHROMIUM_ARGS, "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"]
PASSWORD = "correct horse 42"


@pytest.fixture(scope="module")
def webgl_browser(browser):
    """A second Chromium from the same Playwright, with software WebGL."""
    webgl = browser.browser_type.launch(executable_path=str(CHROMIUM), args=WEBGL_ARGS)
    yield webgl
    webgl.close()


@pytest.fixture(scope="module")
def step_part(tmp_path_factory) -> Path:
    from portal.files.demo_models import DEMO_MODELS, export

    bracket = next(model for model in DEMO_MODELS if model.file_name == "bracket.step")
    folder = tmp_path_factory.mktemp("parts")
    path = export(bracket, folder)
    return path.rename(folder / f"bracket-{secrets.token_hex(3)}.step")


def open_page(browser, server, locale: str = "en-US", **options) -> Page:
    context = browser.new_context(base_url=server.base_url, locale=locale,
                                  viewport={"width": 1280, "height": 900}, **options)
    context.set_default_timeout(30_000)
    return context.new_page()


def price_of(page: Page) -> str:
    total = page.get_by_test_id("quote-total")
    expect(total).to_be_visible()
    return total.get_attribute("data-amount")


def viewer_is_drawn(page: Page) -> None:
    """The viewer's WebGL canvas shows the part: its picture is not one flat colour."""
    viewer = page.get_by_test_id("model-viewer")
    expect(viewer).to_have_class(re.compile(r"\bdrawn\b"), timeout=30_000)
    # model-viewer's own loading bar (in its shadow DOM) no longer shows once the part is drawn
    page.wait_for_function(
        """() => {
            const viewer = document.querySelector('model-viewer');
            const bar = viewer.shadowRoot.querySelector('[part="default-progress-bar"]');
            const style = bar && getComputedStyle(bar);
            return !style || style.display === 'none' || style.visibility === 'hidden' || style.opacity === '0';
        }""",
        timeout=5_000,
    )
    colours = page.evaluate(
        """async () => {
            const viewer = document.querySelector('model-viewer');
            const image = new Image();
            image.src = viewer.toDataURL('image/png');
            await image.decode();
            const canvas = document.createElement('canvas');
            canvas.width = 64; canvas.height = 64;
            const context = canvas.getContext('2d');
            context.drawImage(image, 0, 0, 64, 64);
            const data = context.getImageData(0, 0, 64, 64).data;
            const seen = new Set();
            for (let i = 0; i < data.length; i += 4) {
                if (data[i + 3] > 0) seen.add(`${data[i] >> 3},${data[i + 1] >> 3},${data[i + 2] >> 3}`);
            }
            return seen.size;
        }"""
    )
    assert colours > 8, f"the 3D view looks blank ({colours} colours)"


def test_anonymous_upload_viewer_price_quantity_register_and_list(webgl_browser, server, step_part) -> None:
    page = open_page(webgl_browser, server)
    page.goto("/")

    def send_late(route) -> None:  # a small file uploads in a blink: hold it a moment to see the bar
        if route.request.method == "POST":
            time.sleep(1)
        route.continue_()

    page.route(re.compile(r"/files$"), send_late)
    page.get_by_test_id("upload-input").set_input_files(str(step_part))
    expect(page.locator("progress")).to_have_count(1)  # the file's own progress bar
    page.wait_for_url(re.compile(r"/files/[0-9a-f-]{36}$"))
    expect(page.get_by_test_id("file-status")).to_have_attribute("data-status", "ready", timeout=60_000)
    viewer_is_drawn(page)
    first = price_of(page)

    asked = []
    page.on("request", lambda request: asked.append(request.method) if "/quote" in request.url else None)
    page.get_by_label("Quantity").fill("12")
    expect(page.get_by_test_id("quote-total")).not_to_have_attribute("data-amount", first)
    assert page.get_by_label("Quantity").input_value() == "12"
    assert asked[0] == "GET"  # the price comes by GET; the choice is kept by a POST after it
    expect(page).to_have_url(re.compile(r"quantity=12"))  # a reload shows the same price
    twelve = price_of(page)
    with page.expect_response(lambda answer: answer.request.method == "POST" and "/quote" in answer.url):
        pass  # the owner's choice is kept once the customer settles
    page.reload()
    expect(page.get_by_test_id("file-status")).to_have_attribute("data-status", "ready")
    assert page.get_by_label("Quantity").input_value() == "12"
    assert price_of(page) == twelve

    page.get_by_role("link", name="Register").click()
    page.get_by_label("Full name").fill("Olga Upload")
    page.get_by_label("E-mail").fill(f"upload-{secrets.token_hex(4)}@example.com")
    page.get_by_label("Phone").fill("+7 912 345-67-89")
    page.get_by_label(re.compile(r"^\s*Password")).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create the account").click()
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Files").click()
    expect(page.get_by_role("heading", name="Files")).to_be_visible()
    row = page.get_by_test_id("file-row").filter(has_text=step_part.name)
    expect(row).to_be_visible()
    expect(row).to_contain_text("Ready")
    page.context.close()


def test_the_file_page_in_russian(browser, server, step_part) -> None:
    page = open_page(browser, server, locale="ru-RU")
    page.goto("/")
    expect(page.get_by_text("Перетащите файлы моделей сюда")).to_be_visible()
    page.get_by_test_id("upload-input").set_input_files(str(step_part))
    page.wait_for_url(re.compile(r"/files/[0-9a-f-]{36}$"))
    expect(page.get_by_test_id("file-status")).to_have_attribute("data-status", "ready", timeout=60_000)
    expect(page.get_by_role("heading", name="Деталь")).to_be_visible()
    expect(page.get_by_test_id("price-summary")).to_contain_text("Итого с НДС")
    assert "₽" in page.get_by_test_id("quote-total").inner_text()
    if not page.evaluate("!!document.createElement('canvas').getContext('webgl')"):
        # no WebGL in this browser: the thumbnail stands in for the viewer
        expect(page.get_by_role("img", name=re.compile("Изображение"))).to_be_visible()
    page.context.close()


def test_an_upload_without_javascript(browser, server, step_part) -> None:
    page = open_page(browser, server, java_script_enabled=False)
    page.goto("/")
    page.get_by_test_id("upload-input").set_input_files(str(step_part))
    page.get_by_role("button", name="Upload and get a price").click()
    page.wait_for_url(re.compile(r"/files/[0-9a-f-]{36}$"))
    for _ in range(60):
        if page.get_by_test_id("file-status").get_attribute("data-status") == "ready":
            break
        page.wait_for_timeout(500)
        page.reload()
    first = price_of(page)
    page.get_by_label("Quantity").fill("7")
    page.get_by_role("button", name="Update the price").click()
    assert page.get_by_label("Quantity").input_value() == "7"
    assert price_of(page) != first
    page.context.close()


def test_a_new_visitor_dropping_several_files_keeps_them_all(page, tmp_path) -> None:
    """The page sends one request per file: a new visitor's first one alone (its answer gives the
    session the visitor's key), then the rest at once. Every file is the visitor's afterwards."""
    names = [f"part-{secrets.token_hex(3)}.stl" for _ in range(4)]
    paths = []
    for name in names:
        (tmp_path / name).write_bytes(b"not a model at all")  # refused by content at once
        paths.append(str(tmp_path / name))
    page.goto("/")
    page.get_by_test_id("upload-input").set_input_files(paths)
    expect(page.locator(".upload-item.done")).to_have_count(len(names))
    page.goto("/files")
    for name in names:
        expect(page.get_by_test_id("file-row").filter(has_text=name)).to_be_visible()
