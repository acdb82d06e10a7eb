"""Shipments staff record: partial then full, the customer's tracking link in the live fragment
and the e-mail, and tracking numbers with markup (or other bad input) refused."""

from __future__ import annotations

import re

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from portal.app import create_app
from portal.db.models import Shipment
from tests.integration.conftest import COMPANY, csrf_token, register, run_queued_jobs
from tests.integration.orders import awaiting_payment, move, order_row, place_order, staff_login
from tests.smtp import body_of

LINK = re.compile(r'<a href="([^"]+)"[^>]*data-testid="tracking-link"')


async def in_production(staff, order) -> None:
    await awaiting_payment(staff, order)
    assert (await move(staff, order, "in_production", override="Pays on delivery")).status_code == 303


async def ship(client, order, fields: dict):
    token = await csrf_token(client, f"/admin/orders/{order.id}")
    return await client.post(f"/admin/orders/{order.id}/shipments", data={**fields, "_csrf_token": token},
                             follow_redirects=False)


async def shipments_of(db, order) -> list[Shipment]:
    async with db() as session:
        return list((await session.scalars(select(Shipment).where(Shipment.order_id == order.id))).all())


async def test_a_partial_then_a_full_shipment_and_the_customer_follows_the_tracking_link(mailing, db) -> None:
    settings, mailbox = mailing
    async with AsyncTestClient(app=create_app(settings)) as customer, \
            AsyncTestClient(app=create_app(settings)) as staff:
        await register(customer, COMPANY)
        order = await place_order(db)  # bracket.stl × 2, plate.step × 1
        await staff_login(staff, db)
        await in_production(staff, order)
        bracket, plate = (await order_row(db, order.id)).lines

        first = await ship(staff, order, {"carrier": "cdek", "tracking_number": "1234567890", "shipped_on": "",
                                          f"quantity-{bracket.id}": "1", f"quantity-{plate.id}": "0"})
        assert first.status_code == 303, first.text
        assert (await order_row(db, order.id)).status == "in_production"
        live = await customer.get(f"/orders/{order.id}/live", headers={"HX-Request": "true"})
        assert LINK.findall(live.text) == ["https://www.cdek.ru/ru/tracking?order_id=1234567890"]
        assert 'hx-trigger="every 3s"' in live.text  # the page keeps following

        too_many = await ship(staff, order, {"carrier": "pochta", "tracking_number": "RA123456789RU",
                                             f"quantity-{bracket.id}": "2", f"quantity-{plate.id}": "1"})
        assert too_many.status_code == 422 and "More parts than are left to ship" in too_many.text
        page = await staff.get(f"/admin/orders/{order.id}")
        assert "(1 left to ship)" in page.text

        rest = await ship(staff, order, {"carrier": "pochta", "tracking_number": "RA123456789RU",
                                         f"quantity-{bracket.id}": "1", f"quantity-{plate.id}": "1"})
        assert rest.status_code == 303
        assert (await order_row(db, order.id)).status == "shipped"
        live = await customer.get(f"/orders/{order.id}/live", headers={"HX-Request": "true"})
        assert LINK.findall(live.text) == ["https://www.cdek.ru/ru/tracking?order_id=1234567890",
                                           "https://www.pochta.ru/tracking#RA123456789RU"]
        assert 'data-testid="order-status">Shipped<' in live.text

    await run_queued_jobs(settings)
    messages = await mailbox.await_for(COMPANY["email"], count=5)
    shipped = [m for m in messages if "parts shipped" in m["Subject"]]
    assert len(shipped) == 2
    assert "https://www.pochta.ru/tracking#RA123456789RU" in body_of(shipped[-1])


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"tracking_number": '<script>alert(1)</script>'}, "tracking_number", "only letters, digits and dashes"),
    ({"tracking_number": '"><img src=x>'}, "tracking_number", "only letters, digits and dashes"),
    ({"tracking_number": "12 34"}, "tracking_number", "only letters, digits and dashes"),
    ({"tracking_number": "A" * 41}, "tracking_number", "only letters, digits and dashes"),
    ({"tracking_number": ""}, "tracking_number", "tracking number"),
    ({"carrier": "dhl"}, "carrier", "Choose the carrier"),
    ({"shipped_on": "yesterday"}, "shipped_on", "YYYY-MM-DD"),
    ({"quantity": "-1"}, "lines", "whole number"),
    ({"quantity": "abc"}, "lines", "whole number"),
    ({"quantity": "0"}, "lines", "at least one part"),
])
async def test_bad_shipment_input_gets_a_message_next_to_the_field_and_saves_nothing(
    client, db, fields, field, message
) -> None:
    await register(client, COMPANY)
    order = await place_order(db)
    await client.post("/logout")
    await staff_login(client, db)
    await in_production(client, order)
    bracket, plate = (await order_row(db, order.id)).lines
    quantity = fields.pop("quantity", "1")
    data = {"carrier": "cdek", "tracking_number": "1234567890", "shipped_on": "",
            f"quantity-{bracket.id}": quantity, f"quantity-{plate.id}": "0", **fields}
    response = await ship(client, order, data)
    assert response.status_code == 422
    error = re.search(rf'id="error-{re.escape(field)}"[^>]*>([^<]+)<', response.text)
    assert error and message in error.group(1)
    assert "<script>alert(1)</script>" not in response.text and '"><img' not in response.text
    assert await shipments_of(db, order) == []
    assert (await order_row(db, order.id)).status == "in_production"


async def test_a_pickup_needs_no_tracking_number_and_shows_no_link(client, db) -> None:
    await register(client, COMPANY)
    order = await place_order(db, lines=None)
    await client.post("/logout")
    await staff_login(client, db)
    await in_production(client, order)
    bracket, plate = (await order_row(db, order.id)).lines
    done = await ship(client, order, {"carrier": "pickup", "tracking_number": "",
                                      f"quantity-{bracket.id}": "2", f"quantity-{plate.id}": "1"})
    assert done.status_code == 303
    assert (await order_row(db, order.id)).status == "shipped"
    page = await client.get(f"/admin/orders/{order.id}")
    assert "Pickup from our workshop" in page.text and 'data-testid="record-shipment"' not in page.text


async def test_parts_are_not_shipped_before_production(client, db) -> None:
    await register(client, COMPANY)
    order = await place_order(db)
    await client.post("/logout")
    await staff_login(client, db)
    await awaiting_payment(client, order)
    bracket, plate = (await order_row(db, order.id)).lines
    refused = await ship(client, order, {"carrier": "cdek", "tracking_number": "1", f"quantity-{bracket.id}": "1"})
    assert refused.status_code == 422 and "while the order is in production" in refused.text
    assert await shipments_of(db, order) == []


async def test_simultaneous_shipments_of_the_same_parts_ship_them_once(client, db) -> None:
    import asyncio

    await register(client, COMPANY)
    order = await place_order(db)
    await client.post("/logout")
    await staff_login(client, db)
    await in_production(client, order)
    bracket, plate = (await order_row(db, order.id)).lines
    token = await csrf_token(client, f"/admin/orders/{order.id}")
    data = {"carrier": "cdek", "tracking_number": "1234567890", f"quantity-{bracket.id}": "2",
            f"quantity-{plate.id}": "1", "_csrf_token": token}
    answers = await asyncio.gather(*(
        client.post(f"/admin/orders/{order.id}/shipments", data=data, follow_redirects=False) for _ in range(20)
    ))
    assert sum(answer.status_code == 303 for answer in answers) == 1
    assert {answer.status_code for answer in answers} <= {303, 409, 422}
    assert all('class="field-error"' in answer.text for answer in answers if answer.status_code != 303)
    assert len(await shipments_of(db, order)) == 1
    assert (await order_row(db, order.id)).status == "shipped"
