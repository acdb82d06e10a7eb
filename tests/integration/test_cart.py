"""From quoted parts to a placed order on PostgreSQL: a multi-part cart, the checkout (once per
form), frozen prices that a rate change does not touch, reordering at today's prices."""

from __future__ import annotations

import asyncio
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.db.models import CartItem, Document, Order
from portal.quotes.services import RateCardService, default_card_data
from tests.integration.conftest import COMPANY, PERSON, csrf_token, post_form, register
from tests.integration.orders import STAFF, order_row, user_by_email
from tests.integration.test_order_documents import PDF
from tests.integration.uploads import box_stl, run_worker, upload_id, wait_final

SUBMIT_KEY = re.compile(r'name="submit_key" value="([^"]+)"')
LINE_TOTAL = re.compile(r'data-testid="line-total">([^<]+)<')
ORDER_URL = re.compile(r"/orders/([0-9a-f-]{36})$")


async def ready_file(client, settings, tmp_path, name: str, size=(10.0, 20.0, 30.0)) -> str:
    file_id = await upload_id(client, name, box_stl(tmp_path / name, size).read_bytes())
    await run_worker(settings)
    status, _ = await wait_final(client, file_id)
    assert status == "ready"
    return file_id


async def add_to_cart(client, file_id: str, **options):
    wanted = {"process": "cnc_milling", "material": "al_6061", "finish": "", "tolerance": "", "lead_time": "",
              "units": "mm", "quantity": "1", **options}
    return await post_form(client, f"/cart/add/{file_id}", wanted, f"/files/{file_id}")


async def checkout(client, **fields):
    page = await client.get("/checkout")
    assert page.status_code == 200, page.text
    values = {"delivery_address": "Moscow, Vavilova st. 19", "contact_name": "Oleg Smirnov",
              "contact_phone": "+7 495 111-22-33", "po_number": "PO-2026-17", "comment": "Call first",
              "payment_method": "invoice", "submit_key": SUBMIT_KEY.search(page.text).group(1), **fields}
    return await post_form(client, "/checkout", values, "/checkout"), values


async def count(db, model, *where) -> int:
    async with db() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.mark.slow
async def test_a_multi_part_cart_becomes_one_order_with_frozen_lines(client, settings, db, tmp_path) -> None:
    await register(client, COMPANY)
    first = await ready_file(client, settings, tmp_path, "bracket.stl")
    second = await ready_file(client, settings, tmp_path, "plate.stl", (40.0, 40.0, 5.0))
    assert (await add_to_cart(client, first, quantity="3")).status_code == 303
    assert (await add_to_cart(client, second, material="steel_45", quantity="1")).status_code == 303
    assert (await add_to_cart(client, first, quantity="10")).status_code == 303  # the same file, other options

    cart = await client.get("/cart")
    totals = LINE_TOTAL.findall(cart.text)
    assert len(totals) == 3 and "bracket.stl" in cart.text and "plate.stl" in cart.text
    token = await csrf_token(client, "/cart")
    attached = await client.post("/cart/documents", data={"_csrf_token": token, "kind": "drawing"},
                                 files={"document": ("drawing.pdf", PDF, "application/pdf")}, follow_redirects=False)
    assert attached.status_code == 303

    response, values = await checkout(client)
    assert response.status_code == 303, response.text
    order_id = ORDER_URL.search(response.headers["location"]).group(1)
    order = await order_row(db, order_id)
    assert [line.quantity for line in order.lines] == [3, 1, 10]
    assert [line.file_name for line in order.lines] == ["bracket.stl", "plate.stl", "bracket.stl"]
    assert order.lines[1].options["material"] == "steel_45" and order.lines[1].options["material_name"]
    assert all(line.quoted_total and line.price_lines for line in order.lines)
    assert order.total == sum(line.quoted_total for line in order.lines) + sum(
        Decimal(charge["amount"]) for charge in order.charges)  # setup once per design, the minimum
    assert (order.po_number, order.payment_method) == ("PO-2026-17", "invoice")
    assert order.rate_card_version
    assert await count(db, CartItem) == 0
    assert await count(db, Document, Document.order_id == order.id) == 1

    again = await post_form(client, "/checkout", values, "/orders")  # the same form sent again
    assert again.status_code == 303 and again.headers["location"].endswith(order_id)
    assert await count(db, Order) == 1
    page = await client.get(f"/orders/{order_id}")
    assert "drawing.pdf" in page.text and "PO-2026-17" in page.text


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True)
async def test_a_double_click_on_place_order_gives_one_order(client, settings, db, tmp_path) -> None:
    await register(client, COMPANY)
    file_id = await ready_file(client, settings, tmp_path, "part.stl")
    await add_to_cart(client, file_id)
    page = await client.get("/checkout")
    key = SUBMIT_KEY.search(page.text).group(1)
    token = await csrf_token(client, "/checkout")
    data = {"delivery_address": "Moscow", "contact_name": "Oleg", "contact_phone": "+7 495 111-22-33",
            "payment_method": "card", "submit_key": key, "_csrf_token": token}
    answers = await asyncio.gather(*(client.post("/checkout", data=data, follow_redirects=False) for _ in range(20)))
    assert {answer.status_code for answer in answers} == {303}
    assert len({answer.headers["location"] for answer in answers}) == 1
    assert await count(db, Order) == 1


@pytest.mark.slow
async def test_frozen_prices_survive_a_rate_change_and_a_reorder_uses_todays(client, settings, db, tmp_path) -> None:
    await register(client, COMPANY)
    file_id = await ready_file(client, settings, tmp_path, "bracket.stl")
    await add_to_cart(client, file_id, quantity="5")
    response, _ = await checkout(client)
    order_id = ORDER_URL.search(response.headers["location"]).group(1)
    placed = await order_row(db, order_id)
    page_before = await client.get(f"/orders/{order_id}")

    staff = await user_by_email(db, COMPANY["email"])
    card = default_card_data()
    card["processes"]["cnc_milling"]["hourly_rate"] = str(Decimal(card["processes"]["cnc_milling"]["hourly_rate"]) * 2)
    async with db() as session:
        async with RateCardService.new(session=session) as cards:
            await cards.save(card, staff.id)
        await session.commit()

    after = await order_row(db, order_id)
    assert after.total == placed.total and after.lines[0].quoted_total == placed.lines[0].quoted_total
    assert after.rate_card_version == placed.rate_card_version
    page_after = await client.get(f"/orders/{order_id}")
    assert LINE_TOTAL.findall(page_after.text) == LINE_TOTAL.findall(page_before.text)

    assert (await post_form(client, f"/orders/{order_id}/reorder", {}, f"/orders/{order_id}")).status_code == 303
    cart = await client.get("/cart")
    [today] = LINE_TOTAL.findall(cart.text)
    assert today not in LINE_TOTAL.findall(page_after.text)  # priced again, at the doubled rate
    response, _ = await checkout(client)
    reordered = await order_row(db, ORDER_URL.search(response.headers["location"]).group(1))
    assert reordered.total > placed.total and reordered.rate_card_version != placed.rate_card_version
    assert reordered.lines[0].quantity == 5


@pytest.mark.slow
async def test_bad_checkout_input_gets_messages_and_saves_nothing(client, settings, db, tmp_path) -> None:
    await register(client, PERSON)  # a private person: no invoice
    file_id = await ready_file(client, settings, tmp_path, "part.stl")
    await add_to_cart(client, file_id)
    response, _ = await checkout(client, delivery_address="", contact_phone="call me", payment_method="invoice",
                                 po_number="x" * 65)
    assert response.status_code == 422
    for message in ("Please enter the delivery address.", "phone number such as",
                    "Payment by invoice is for company accounts.", "This is too long."):
        assert message in response.text
    forged, _ = await checkout(client, submit_key="")
    assert forged.status_code == 422 and "out of date" in forged.text
    assert await count(db, Order) == 0 and await count(db, CartItem) == 1

    bad_quantity = await post_form(client, f"/cart/add/{file_id}", {"quantity": "0"}, "/cart")
    assert bad_quantity.status_code == 303  # back to the file with a message
    item = (await client.get("/cart")).text
    item_id = re.search(r'/cart/items/([0-9a-f-]{36})"', item).group(1)
    wrong = await post_form(client, f"/cart/items/{item_id}", {"quantity": "-3"}, "/cart")
    assert wrong.status_code == 422 and "whole number" in wrong.text


@pytest.mark.slow
async def test_cart_lines_and_files_of_others_are_404(client, other_client, settings, db, tmp_path) -> None:
    await register(client, COMPANY)
    file_id = await ready_file(client, settings, tmp_path, "part.stl")
    await add_to_cart(client, file_id)
    item_id = re.search(r'/cart/items/([0-9a-f-]{36})"', (await client.get("/cart")).text).group(1)
    await register(other_client, {**PERSON, "email": STAFF["email"]})
    assert (await add_to_cart(other_client, file_id)).status_code == 404
    for path in (f"/cart/items/{item_id}", f"/cart/items/{item_id}/remove"):
        assert (await post_form(other_client, path, {"quantity": "2"}, "/cart")).status_code == 404
    assert await count(db, CartItem) == 1


@pytest.mark.slow
async def test_the_cart_quote_pdf_lists_the_parts(client, settings, db, tmp_path) -> None:
    await register(client, COMPANY)
    file_id = await ready_file(client, settings, tmp_path, "кронштейн.stl")
    await add_to_cart(client, file_id, quantity="2")
    client.cookies.set("lang", "ru", domain="testserver.local")
    response = await client.get("/cart/quote.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "кронштейн.stl" in text and "Действительно до" in text and "НДС" in text
    assert "Фрезерование с ЧПУ (3 оси)" in text and "Материал: Алюминий АД33 (6061-T6)" in text
    assert "Стандартный" in text and "CNC milling" not in text
    cart = await client.get("/cart")
    assert "Технология: Фрезерование с ЧПУ (3 оси)" in cart.text and "Срок: Стандартный" in cart.text
    assert reader.pages[0].images, "the part's thumbnail is in the PDF"


@pytest.mark.parametrize("quantity", ["²", "٣", "1²", "3.0", "99999999999"])
async def test_a_quantity_in_other_digits_is_refused_next_to_the_field(client, settings, tmp_path, quantity) -> None:
    await register(client, COMPANY)
    file_id = await ready_file(client, settings, tmp_path, "peg.stl")
    refused = await add_to_cart(client, file_id, quantity=quantity)
    assert refused.status_code == 303 and refused.headers["location"] == f"/files/{file_id}"
    await add_to_cart(client, file_id, quantity="2")
    cart = await client.get("/cart")
    item_id = re.search(r'action="/cart/items/([0-9a-f-]{36})"', cart.text).group(1)
    token = await csrf_token(client, "/cart")
    changed = await client.post(f"/cart/items/{item_id}", data={"_csrf_token": token, "quantity": quantity})
    assert changed.status_code == 422 and "Enter a whole number from 1 to 100,000." in changed.text
