"""The customer's in-portal notices beside the e-mails: a payment recorded (partial or full, with
what is paid and what is left), each shipment (which parts and how many, the tracking link), in
the customer's language, and the unread counter that follows them."""

from __future__ import annotations

import re

import pytest
from litestar.testing import AsyncTestClient

from portal.app import create_app
from tests.integration.conftest import COMPANY, register, run_queued_jobs
from tests.integration.orders import awaiting_payment, move, order_row, place_order, staff_login
from tests.integration.test_payments import pay
from tests.integration.test_shipments import ship
from tests.smtp import body_of

UNREAD = re.compile(r'data-testid="unread-count"[^>]*>(\d+)<')
TRACKING = re.compile(r'<a href="([^"]+)"[^>]*data-testid="notice-tracking-link"')


def notices_of(page: str) -> list[tuple[str, str]]:
    """(kind, text) of each notice on the notifications page, newest first."""
    found = []
    for html in re.findall(r'<li class="(?:unread)?">(.*?)</li>', page, re.S):
        kind = re.search(r'data-kind="(\w+)"', html).group(1)
        html = re.sub(r"<time[^>]*>.*?</time>", "", html)
        text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
        found.append((kind, text.removesuffix(" new")))
    return found


async def unread(client) -> int:
    answer = await client.get("/notifications/unread", headers={"HX-Request": "true"})
    match = UNREAD.search(answer.text)
    return int(match.group(1)) if match else 0


@pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True)
async def test_payments_and_shipments_reach_the_customer_as_notices_and_mail(mailing, db) -> None:
    settings, mailbox = mailing
    async with AsyncTestClient(app=create_app(settings)) as customer, \
            AsyncTestClient(app=create_app(settings)) as staff:
        await register(customer, COMPANY)
        order = await place_order(db)  # bracket.stl × 2, plate.step × 1: 1830.00
        await staff_login(staff, db)
        await awaiting_payment(staff, order)
        assert await unread(customer) == 2  # in review, awaiting payment

        assert (await pay(staff, order, "1000")).status_code == 303
        [(kind, text)] = notices_of((await customer.get("/notifications")).text)[:1]
        assert kind == "payment"
        assert text == (f"Order {order.number} payment received: ₽1,000.00. Paid ₽1,000.00 of ₽1,830.00; "
                        "left to pay: ₽830.00.")
        assert await unread(customer) == 3

        assert (await pay(staff, order, "830", method="cash")).status_code == 303
        assert (await move(staff, order, "in_production")).status_code == 303
        bracket, plate = (await order_row(db, order.id)).lines
        first = await ship(staff, order, {"carrier": "cdek", "tracking_number": "1234567890", "shipped_on": "",
                                          f"quantity-{bracket.id}": "1", f"quantity-{plate.id}": "0"})
        assert first.status_code == 303
        rest = await ship(staff, order, {"carrier": "pochta", "tracking_number": "RA123456789RU", "shipped_on": "",
                                         f"quantity-{bracket.id}": "1", f"quantity-{plate.id}": "1"})
        assert rest.status_code == 303

        page = (await customer.get("/notifications")).text
        notices = notices_of(page)
        assert [kind for kind, _ in notices] == ["shipment", "shipment", "status", "payment", "payment", "status",
                                                 "status"]
        assert notices[0][1] == (f"Order {order.number} shipped in full: Russian Post. Part 1, bracket.stl: 1 pcs; "
                                 "Part 2, plate.step: 1 pcs. Track RA123456789RU")
        assert notices[1][1] == (f"Order {order.number} parts shipped: CDEK. Part 1, bracket.stl: 1 pcs. "
                                 "Track 1234567890")
        assert notices[3][1].endswith("Paid ₽1,830.00 of ₽1,830.00; left to pay: ₽0.00.")
        assert TRACKING.findall(page) == ["https://www.pochta.ru/tracking#RA123456789RU",
                                          "https://www.cdek.ru/ru/tracking?order_id=1234567890"]
        assert await unread(customer) == 7
        read = await customer.post("/notifications/read", data={"_csrf_token": re.search(
            r'name="csrf-token" content="([^"]+)"', page).group(1)}, follow_redirects=False)
        assert read.status_code == 303 and await unread(customer) == 0

    await run_queued_jobs(settings)
    messages = await mailbox.await_for(COMPANY["email"], count=7)
    shipped = [body_of(m) for m in messages if "parts shipped" in m["Subject"]]
    assert len(shipped) == 2
    partial, full = sorted(shipped, key=lambda body: "shipped in full" in body)
    assert "Parts of your order" in partial and "Part 1, bracket.stl: 1 pcs" in partial
    assert "Part 2" not in partial
    assert f"Your order {order.number} is shipped in full: Russian Post." in full
    assert "Part 1, bracket.stl: 1 pcs" in full and "Part 2, plate.step: 1 pcs" in full
    paid = [body_of(m) for m in messages if "payment received" in m["Subject"]]
    assert len(paid) == 2 and any("Left to pay: ₽830.00." in body for body in paid)


async def test_notices_are_in_the_customers_language(client, other_client, db) -> None:
    await register(client, COMPANY)
    order = await place_order(db)
    await staff_login(other_client, db)
    await awaiting_payment(other_client, order)
    assert (await pay(other_client, order, "1000")).status_code == 303
    page = await client.get("/notifications", headers={"Accept-Language": "ru"})
    [(kind, text)] = notices_of(page.text)[:1]
    assert kind == "payment" and "оплата получена" in text.lower() and "830,00" in text
