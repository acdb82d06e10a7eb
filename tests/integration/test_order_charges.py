"""Charges that belong to the order: setup and programming once per part design whatever the number
of lines and quantities, the minimum order top-up once on the total; in the cart, the checkout,
the order page, its PDF and the cart's PDF; the top-up follows a price staff set by hand."""

from __future__ import annotations

import io
import re
from decimal import Decimal

from pypdf import PdfReader

from tests.integration.conftest import COMPANY, csrf_token, register
from tests.integration.orders import order_row, staff_login
from tests.integration.test_cart import ORDER_URL, add_to_cart, checkout, ready_file

CHARGE = re.compile(r'data-testid="charge-(setup|minimum)"><th scope="row">([^<]+)</th><td class="num">([^<]+)<')
CART_TOTAL = re.compile(r'data-testid="cart-total">([^<]+)<')
LINE_TOTAL = re.compile(r'data-testid="line-total">([^<]+)<')


def amount(text: str) -> Decimal:
    return Decimal(re.sub(r"[^0-9.]", "", text))


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


async def test_setup_is_charged_once_per_part_design_and_the_minimum_once(client, settings, db, tmp_path) -> None:
    await register(client, COMPANY)
    bracket = await ready_file(client, settings, tmp_path, "bracket.stl")
    plate = await ready_file(client, settings, tmp_path, "plate.stl", (40.0, 40.0, 5.0))
    await add_to_cart(client, bracket, quantity="3")
    await add_to_cart(client, bracket, quantity="10", material="steel_45")  # the same design again
    await add_to_cart(client, plate, quantity="1")

    cart = (await client.get("/cart")).text
    charges = CHARGE.findall(cart)
    assert [kind for kind, _, _ in charges] == ["setup", "setup"]  # two designs, three lines
    assert "bracket.stl" in charges[0][1] and "plate.stl" in charges[1][1]
    assert all("once per part design" in label for _, label, _ in charges)
    lines = [amount(text) for text in LINE_TOTAL.findall(cart)]
    setups = [amount(text) for _, _, text in charges]
    assert amount(CART_TOTAL.search(cart).group(1)) == sum(lines) + sum(setups)
    assert setups[0] == setups[1]  # the same process, options at the shop's defaults

    # the cart's PDF and the checkout say the same
    pdf = pdf_text((await client.get("/cart/quote.pdf")).content)
    assert pdf.count("once per part design") == 2
    checkout_page = (await client.get("/checkout")).text
    assert checkout_page.count('data-testid="charge-setup"') == 2

    placed, _ = await checkout(client)
    order_id = ORDER_URL.search(placed.headers["location"]).group(1)
    order = await order_row(db, order_id)
    assert [charge["code"] for charge in order.charges] == ["setup", "setup", "minimum_order"]
    assert order.total == sum(lines) + sum(setups)
    page = (await client.get(f"/orders/{order_id}")).text
    assert [kind for kind, _, _ in CHARGE.findall(page)] == ["setup", "setup"]  # no top-up above the minimum
    pdf = pdf_text((await client.get(f"/orders/{order_id}/quote.pdf")).content)
    assert pdf.count("once per part design") == 2 and "Minimum order top-up" not in pdf


async def test_the_minimum_order_tops_up_the_total_once(client, settings, db, tmp_path) -> None:
    await register(client, COMPANY)
    first = await ready_file(client, settings, tmp_path, "clip.stl", (5.0, 5.0, 5.0))
    second = await ready_file(client, settings, tmp_path, "peg.stl", (4.0, 4.0, 8.0))
    await add_to_cart(client, first, process="fdm", material="pla")
    await add_to_cart(client, second, process="fdm", material="pla")
    cart = (await client.get("/cart")).text
    kinds = [kind for kind, _, _ in CHARGE.findall(cart)]
    assert kinds == ["setup", "setup", "minimum"]
    total = amount(CART_TOTAL.search(cart).group(1))
    assert total == Decimal("3660.00")  # 3,000 before VAT, once for the whole order
    label = CHARGE.findall(cart)[-1][1]
    assert "the minimum order is ₽3,000.00 before VAT" in label

    placed, _ = await checkout(client)
    order_id = ORDER_URL.search(placed.headers["location"]).group(1)
    order = await order_row(db, order_id)
    assert order.total == Decimal("3660.00")

    # staff raise a part's price above the minimum: the top-up goes, the total follows
    await staff_login(client, db)
    page = await client.get(f"/admin/orders/{order_id}")
    version = re.search(r'name="version" value="(\d+)"', page.text).group(1)
    token = await csrf_token(client, f"/admin/orders/{order_id}")
    line = order.lines[0]
    answer = await client.post(
        f"/admin/orders/{order_id}/lines/{line.id}/price",
        data={"_csrf_token": token, "price": "5000.00", "reason": "Hand finishing", "version": version},
    )
    assert answer.status_code in (200, 303), answer.text
    order = await order_row(db, order_id)
    minimum = next(charge for charge in order.charges if charge["code"] == "minimum_order")
    assert Decimal(minimum["amount"]) == 0
    assert order.total == Decimal("5000.00") + sum(
        (line.total for line in order.lines[1:]), Decimal(0)
    ) + sum(Decimal(charge["amount"]) for charge in order.charges)
