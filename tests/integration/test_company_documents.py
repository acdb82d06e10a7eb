"""Our company's details (superusers only, every checksum) and the documents made from them: the
invoice with its payment QR code, and the commercial offer."""

from __future__ import annotations

import io
import os
import re
import subprocess
from datetime import date

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import func, select

from portal.db.models import CompanyDetails, User
from portal.orders.ship_dates import order_ship_by
from tests.integration.conftest import COMPANY, csrf_token, register
from tests.integration.orders import STAFF, order_row, place_order, staff_login
from tests.integration.test_orders import move

DETAILS = {
    "legal_name": "ООО «Цех»",
    "inn": "7709123453",
    "kpp": "770901001",
    "ogrn": "1027700132195",
    "legal_address": "Москва, ул. Станкостроителей, 5",
    "bank_name": "ПАО Сбербанк",
    "bik": "044525225",
    "correspondent_account": "30101810400000000225",
    "settlement_account": "40702810938000000001",
    "signatory": "Директор И. И. Иванов",
    "vat_mode": "rate",
}


def png_logo(noise: bool = False) -> bytes:
    """A small PNG, or with noise one of about 270 KB (noise does not compress)."""
    buffer = io.BytesIO()
    image = Image.frombytes("RGB", (300, 300), os.urandom(300 * 300 * 3)) if noise \
        else Image.new("RGB", (40, 20), (200, 30, 30))
    image.save(buffer, format="PNG")
    return buffer.getvalue()


async def superuser_login(client, db) -> None:
    await staff_login(client, db)
    async with db() as session:
        user = await session.scalar(select(User).where(User.email == STAFF["email"]))
        user.is_superuser = True
        await session.commit()


async def save_details(client, values: dict, logo: bytes = b""):
    token = await csrf_token(client, "/admin/company")
    return await client.post("/admin/company", data={**values, "_csrf_token": token},
                             files={"logo": ("logo.png", logo, "image/png")}, follow_redirects=False)


async def stored(db) -> int:
    async with db() as session:
        return await session.scalar(select(func.count()).select_from(CompanyDetails))


async def test_a_superuser_saves_the_details_and_a_logo(client, db) -> None:
    await superuser_login(client, db)
    logo = png_logo()
    response = await save_details(client, DETAILS, logo=logo)
    assert response.status_code == 303, response.text
    page = await client.get("/admin/company")
    assert 'value="044525225"' in page.text and "ООО «Цех»" in page.text
    shown = await client.get("/admin/company/logo")
    assert shown.content == logo and shown.headers["content-type"] == "image/png"


async def test_wrong_requisites_are_named_next_to_their_fields_and_nothing_is_saved(client, db) -> None:
    await superuser_login(client, db)
    cases = {
        "bik": ({"bik": "123456789"}, "The BIK is not valid"),
        "settlement_account": ({"settlement_account": "40702810938000000002"},
                               "The settlement account does not match the BIK"),
        "correspondent_account": ({"correspondent_account": "30101810400000000226"},
                                  "The correspondent account does not match the BIK"),
        "inn": ({"inn": "7709123454"}, "The INN is not valid"),
        "legal_name": ({"legal_name": "ООО | Цех"}, "The character | cannot be used here."),
        "logo": ({}, "The logo must be a PNG or JPEG picture."),
    }
    logos = {"logo": b"<svg/>", "big logo": png_logo(noise=True)}
    cases["big logo"] = ({}, "The logo is larger than 200 KB: please make it smaller.")
    for case, (change, message) in cases.items():
        response = await save_details(client, {**DETAILS, **change}, logo=logos.get(case, b""))
        assert response.status_code == 422, case
        assert f'id="error-{case.split()[-1]}">{message}' in response.text, case
    assert await stored(db) == 0


async def test_staff_who_are_not_superusers_find_no_company_page(client, db) -> None:
    await staff_login(client, db)
    assert (await client.get("/admin/company")).status_code == 404
    token = await csrf_token(client, "/")
    response = await client.post("/admin/company", data={**DETAILS, "_csrf_token": token},
                                 files={"logo": ("", b"", "application/octet-stream")})
    assert response.status_code == 404
    assert await stored(db) == 0


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def qr_codes(content: bytes, tmp_path) -> list[str]:
    """Every QR code on the PDF's pages, read by zbar from the images embedded there."""
    found = []
    for number, page in enumerate(PdfReader(io.BytesIO(content)).pages):
        for index, image in enumerate(page.images):
            path = tmp_path / f"page{number}-{index}.png"
            image.image.save(path)
            result = subprocess.run(["zbarimg", "--raw", "-q", str(path)], capture_output=True, check=False)
            if result.returncode == 0:
                found.append(result.stdout.decode().strip())
    return found


async def test_the_invoice_waits_for_the_details_then_carries_them_and_a_payment_qr(
    client, settings, db, tmp_path
) -> None:
    from litestar.testing import AsyncTestClient

    from portal.app import create_app

    await register(client, COMPANY)
    order = await place_order(db)
    async with AsyncTestClient(app=create_app(settings)) as staff:
        await superuser_login(staff, db)
        assert "invoice-pdf" not in (await client.get(f"/orders/{order.id}")).text  # not due yet
        for status in ("in_review", "awaiting_payment"):
            assert (await move(staff, order, status)).status_code == 303
        page = await client.get(f"/orders/{order.id}")
        assert "The invoice will be available soon." in page.text and "invoice-pdf" not in page.text
        assert (await client.get(f"/orders/{order.id}/invoice.pdf")).status_code == 404
        staff_page = await staff.get(f"/admin/orders/{order.id}")
        assert 'data-testid="invoice-missing-details"' in staff_page.text and 'href="/admin/company"' in staff_page.text

        assert (await save_details(staff, DETAILS)).status_code == 303
    page = await client.get(f"/orders/{order.id}")
    assert 'data-testid="invoice-pdf"' in page.text
    response = await client.get(f"/orders/{order.id}/invoice.pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    text = pdf_text(response.content)
    today = date.today()
    for expected in (f"Счёт на оплату № {order.number}", "ООО «Цех»", "ИНН 7709123453", "044525225",
                     "40702810938000000001", "30101810400000000225", "OOO Zavod", "ИНН 7707083893",
                     "bracket.stl", "plate.step", "В том числе НДС 22%:", "330,00", "1 830,00",
                     "Одна тысяча восемьсот тридцать рублей 00 копеек", "Директор И. И. Иванов"):
        assert expected in text.replace("\u00a0", " "), expected
    assert qr_codes(response.content, tmp_path) == [
        "ST00012|Name=ООО «Цех»|PersonalAcc=40702810938000000001|BankName=ПАО Сбербанк|BIC=044525225|"
        "CorrespAcc=30101810400000000225|PayeeINN=7709123453|KPP=770901001|Sum=183000|"
        f"Purpose=Оплата по счёту № {order.number} от {today:%d.%m.%Y}, НДС 22%"
    ]


async def save_details_directly(db, **changes) -> None:
    async with db() as session:
        session.add(CompanyDetails(**{**DETAILS, **changes}))
        await session.commit()


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_the_order_offer_names_the_supplier_the_total_in_words_and_the_ship_by_date(
    client, db, language
) -> None:
    await register(client, COMPANY)
    order = await place_order(db)
    await save_details_directly(db, logo=png_logo(), logo_type="image/png")
    client.cookies.set("lang", language, domain="testserver.local")
    page = await client.get(f"/orders/{order.id}")
    due = re.search(r'data-testid="ship-by">([^<]+)<', page.text).group(1)
    response = await client.get(f"/orders/{order.id}/quote.pdf")
    assert response.status_code == 200
    text = pdf_text(response.content)
    words = {"en": "One thousand, eight hundred and thirty roubles 00 kopecks",
             "ru": "Одна тысяча восемьсот тридцать рублей 00 копеек"}[language]
    title = {"en": f"Commercial offer No. {order.number}", "ru": f"Коммерческое предложение № {order.number}"}
    each = {"en": "Quantity: 2, ₽610.00 each", "ru": "Количество: 2, по 610,00 ₽ за шт."}[language]
    text = text.replace("\u00a0", " ")
    for expected in (title[language], each, "ООО «Цех»", "7709123453", "40702810938000000001", "044525225",
                     "OOO Zavod", "bracket.stl", words, "Директор И. И. Иванов",
                     f"{order_ship_by(await order_row(db, order.id)):%d.%m.%Y}"):
        assert expected in text, expected
    assert due  # the page shows the same ship-by date
    assert len(PdfReader(io.BytesIO(response.content)).pages[0].images) == 1  # the logo


async def test_without_details_the_quote_stays_a_plain_quote(client, db) -> None:
    await register(client, COMPANY)
    order = await place_order(db)
    text = pdf_text((await client.get(f"/orders/{order.id}/quote.pdf")).content)
    assert f"Quote for order {order.number}" in text and "Supplier" not in text


async def test_the_cart_offer_carries_the_supplier_and_the_ship_by_date(client, settings, db, tmp_path) -> None:
    from tests.integration.test_cart import add_to_cart, ready_file

    await register(client, COMPANY)
    await save_details_directly(db, vat_mode="none")
    file_id = await ready_file(client, settings, tmp_path, "bracket.stl")
    await add_to_cart(client, file_id, quantity="2")
    cart = await client.get("/cart")
    assert 'data-testid="offer-pdf"' in cart.text
    response = await client.get("/cart/quote.pdf")
    text = pdf_text(response.content)
    assert "Commercial offer No." in text and "ООО «Цех»" in text and "Ships by" in text
    assert "Without VAT (simplified tax system)" in text and "VAT 22" not in text
    assert "roubles" in text and "Директор И. И. Иванов" in text
    assert PdfReader(io.BytesIO(response.content)).pages[0].images, "the part's thumbnail"
