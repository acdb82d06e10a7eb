"""Ordering in a real browser: a company customer quotes two parts, orders them with a PO number
and a PDF drawing; staff, in a second browser, move the order to production; the customer's open
order page shows it without a reload; the quote PDF downloads and opens."""

from __future__ import annotations

import io
import re
import secrets
from pathlib import Path

import pytest
import trimesh
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from geometry.stl import write_binary
from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.test_accounts_e2e import (
    choose_company_with_htmx,
    fill_company,
    fill_passwords,
    fill_person,
    log_in,
)

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def box(path: Path, size: tuple[float, float, float]) -> Path:
    mesh = trimesh.creation.box(extents=size)
    mesh.apply_translation([s / 2 for s in size])
    write_binary(path, mesh.triangles)
    return path


def register_company(page: Page, email: str) -> None:
    page.goto("/register")
    choose_company_with_htmx(page)
    fill_person(page, email, name="Oleg Smirnov")
    fill_company(page, company="Zavod LLC")
    fill_passwords(page)
    page.get_by_role("button", name="Create the account").click()
    expect(page).to_have_url(re.compile(r"/account$"))


def quote_and_add(page: Page, model: Path, quantity: str) -> None:
    page.goto("/")
    page.get_by_test_id("upload-input").set_input_files(str(model))  # the page uploads it at once
    expect(page).to_have_url(re.compile(r"/files/[0-9a-f-]{36}$"), timeout=30_000)
    expect(page.get_by_test_id("file-status")).to_have_attribute("data-status", "ready", timeout=90_000)
    expect(page.get_by_test_id("quote-total")).to_be_visible()
    # The quantity from the price-by-quantity table: one click re-prices the panel in place.
    page.locator("table.breaks").get_by_role("button", name=quantity, exact=True).click()
    expect(page.locator('.add-to-cart input[name="quantity"]')).to_have_value(quantity)
    expect(page.locator("#q-quantity")).to_have_value(quantity)
    page.get_by_test_id("add-to-cart").click()
    expect(page).to_have_url(re.compile(r"/cart$"))


def company_orders_a_bracket(page: Page, email: str, folder: Path) -> str:
    """A company customer registers, orders five 10 × 20 × 30 brackets invoiced to the company,
    and lands on the order's page; its path."""
    register_company(page, email)
    quote_and_add(page, box(folder / "bracket.stl", (10.0, 20.0, 30.0)), "5")
    page.get_by_test_id("checkout").click()
    page.get_by_label("Delivery address").fill("Moscow, Vavilova st. 19")
    page.get_by_label("Invoice to the company").check()
    page.get_by_test_id("place-order").click()
    expect(page).to_have_url(re.compile(r"/orders/[0-9a-f-]{36}$"))
    return re.search(r"/orders/[0-9a-f-]{36}$", page.url).group(0)


def test_company_orders_two_parts_and_follows_the_order_live(new_context, tmp_path: Path) -> None:
    context = new_context(accept_downloads=True)
    # The 3D viewer has its own test (test_uploads_e2e, with WebGL); without WebGL it only keeps
    # this browser's renderer busy, so here the page shows the part's picture instead.
    context.route(re.compile(r"/static/vendor/model-viewer"), lambda route: route.abort())
    customer = context.new_page()
    register_company(customer, f"buyer-{secrets.token_hex(4)}@example.com")
    quote_and_add(customer, box(tmp_path / "bracket.stl", (10.0, 20.0, 30.0)), "5")
    quote_and_add(customer, box(tmp_path / "plate.stl", (40.0, 40.0, 5.0)), "10")
    expect(customer.get_by_test_id("line-total")).to_have_count(2)

    drawing = tmp_path / "drawing.pdf"
    drawing.write_bytes(PDF)
    file_label = "File (PDF, TXT, PPTX, DXF, DWG, STEP, IGES, PNG, JPEG, ZIP; up to 25 MB each)"
    customer.get_by_label(file_label).set_input_files(str(drawing))
    customer.get_by_role("button", name="Attach the document").click()
    expect(customer.get_by_test_id("cart-documents")).to_contain_text("drawing.pdf")

    with customer.expect_download() as cart_pdf:
        customer.get_by_test_id("offer-pdf").click()
    text = "\n".join(p.extract_text() for p in PdfReader(cart_pdf.value.path()).pages)
    assert "bracket.stl" in text and "plate.stl" in text and "Valid until" in text

    customer.get_by_test_id("checkout").click()
    customer.get_by_label("Delivery address").fill("Moscow, Vavilova st. 19")
    customer.get_by_label("Purchase order (PO) number, optional").fill("PO-4711")
    customer.get_by_label("Invoice to the company").check()
    customer.get_by_test_id("place-order").click()
    expect(customer).to_have_url(re.compile(r"/orders/[0-9a-f-]{36}$"))
    expect(customer.get_by_test_id("order-status")).to_have_text("Submitted")
    expect(customer.get_by_test_id("po-number")).to_have_text("PO-4711")
    expect(customer.get_by_test_id("order-documents")).to_contain_text("drawing.pdf")
    order_url = customer.url
    order_path = re.search(r"/orders/[0-9a-f-]{36}$", order_url).group(0)

    staff = new_context().new_page()
    log_in(staff, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(staff).to_have_url(re.compile(r"/admin/users$"))  # staff land on their work
    staff.goto("/admin/orders")
    staff.get_by_label("Search by number, customer, PO or comment").fill("PO-4711")
    expect(staff).to_have_url(re.compile(r"q=PO-4711"))  # the live filter answered (htmx)
    expect(staff.get_by_test_id("order-table")).to_contain_text("PO-4711")
    staff.locator("#order-table").get_by_role("link", name=re.compile(r"^Order \d+$")).first.click()
    expect(staff).to_have_url(re.compile(r"/admin" + order_path + "$"))
    customer.evaluate("window.__e2eMarker = 'the same page'")
    for status in ("In review", "Awaiting payment", "In production"):
        staff.get_by_label("New status").select_option(label=status)
        if status == "In production":  # not paid yet: staff say why production starts anyway
            staff.get_by_label("Start production before it is paid in full: why (staff only)").fill("Regular customer")
        staff.get_by_role("button", name="Change the status").click()
        expect(staff.get_by_test_id("order-status")).to_have_text(status)

    expect(customer.get_by_test_id("order-status")).to_have_text("In production", timeout=15_000)
    assert customer.evaluate("window.__e2eMarker") == "the same page"  # no reload: htmx polled it in
    expect(customer.get_by_test_id("order-timeline")).to_contain_text("In production")
    expect(customer.get_by_role("button", name="Cancel the order")).to_have_count(0)

    with customer.expect_download() as order_pdf:
        customer.get_by_test_id("offer-pdf").click()
    reader = PdfReader(io.BytesIO(Path(order_pdf.value.path()).read_bytes()))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "PO-4711" in text and "bracket.stl" in text and "plate.stl" in text
