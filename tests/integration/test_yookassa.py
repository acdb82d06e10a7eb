"""Card payments against our fake YooKassa on loopback: pay, the notification, a duplicate, a
notification for a payment the API says is not paid, retries with the same key, refund on cancel."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from decimal import Decimal

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from portal.app import create_app
from portal.config import PaymentSettings
from portal.db.models import OrderEvent, Payment
from tests.fakes.yookassa import FakeYooKassa
from tests.integration.conftest import COMPANY, csrf_token, post_form, register, run_queued_jobs
from tests.integration.orders import awaiting_payment, order_row, place_order, staff_login

NOTIFICATIONS = "/payments/yookassa/notifications"


@pytest.fixture
def kassa() -> Iterator[FakeYooKassa]:
    with FakeYooKassa().running() as fake:
        yield fake


@pytest.fixture
def paying(settings, kassa):
    return replace(settings, payments=PaymentSettings(
        yookassa_shop_id=kassa.shop_id, yookassa_secret_key=kassa.secret_key, yookassa_api_url=kassa.api_url,
        yookassa_attempts=3,
    ))


@pytest.fixture
async def customer(paying, db) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=create_app(paying)) as client:
        await register(client, COMPANY)
        yield client


@pytest.fixture
async def awaiting(paying, customer, db):
    """An order of 1830.00 that awaits payment (staff moved it in another browser)."""
    order = await place_order(db)
    async with AsyncTestClient(app=create_app(paying)) as staff:
        await staff_login(staff, db)
        await awaiting_payment(staff, order)
    return order


async def start_payment(customer, order) -> str:
    """The customer presses "Pay by card": the id of the payment YooKassa made."""
    page = await customer.get(f"/orders/{order.id}")
    assert 'data-testid="pay-by-card"' in page.text
    answer = await post_form(customer, f"/orders/{order.id}/pay", {"pay_key": "k" * 32}, f"/orders/{order.id}")
    assert answer.status_code == 303
    return answer.headers["location"].rsplit("/", 1)[1]


async def payments_of(db, order) -> list[Payment]:
    async with db() as session:
        return list((await session.scalars(select(Payment).where(Payment.order_id == order.id)
                                           .order_by(Payment.created_at))).all())


async def test_pay_by_card_then_the_notification_records_the_payment(customer, awaiting, kassa, db) -> None:
    payment_id = await start_payment(customer, awaiting)
    [created] = kassa.calls("POST", "/v3/payments")
    assert created.status == 200 and created.key == "k" * 32
    assert created.body["amount"] == {"value": "1830.00", "currency": "RUB"}
    assert created.body["metadata"] == {"order_id": str(awaiting.id)}
    assert created.body["confirmation"]["return_url"].endswith(f"/orders/{awaiting.id}")
    assert await payments_of(db, awaiting) == []  # nothing counts until YooKassa says it is paid

    kassa.succeed(payment_id)
    answer = await customer.post(NOTIFICATIONS, json=kassa.notification(payment_id))  # no CSRF token: exempt
    assert answer.status_code == 200
    [recorded] = await payments_of(db, awaiting)
    assert (recorded.amount, recorded.method, recorded.external_id) == (Decimal("1830.00"), "yookassa", payment_id)
    assert (await order_row(db, awaiting.id)).amount_paid == Decimal("1830.00")
    page = await customer.get(f"/orders/{awaiting.id}")
    assert "Payment received: ₽1,830.00 (Card, online)" in page.text
    assert 'data-testid="pay-by-card"' not in page.text  # nothing left to pay


@pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True)
async def test_a_duplicate_notification_records_the_payment_once(customer, awaiting, kassa, db) -> None:
    payment_id = await start_payment(customer, awaiting)
    kassa.succeed(payment_id)
    notice = kassa.notification(payment_id)
    first = await customer.post(NOTIFICATIONS, json=notice)
    again = await asyncio.gather(*(customer.post(NOTIFICATIONS, json=notice) for _ in range(20)))
    assert {first.status_code, *(answer.status_code for answer in again)} == {200}
    assert len(await payments_of(db, awaiting)) == 1
    assert (await order_row(db, awaiting.id)).amount_paid == Decimal("1830.00")
    async with db() as session:
        events = (await session.scalars(select(OrderEvent.kind).where(OrderEvent.order_id == awaiting.id))).all()
    assert events.count("payment") == 1


async def test_a_notification_for_a_payment_the_api_says_is_not_paid_is_ignored(customer, awaiting, kassa, db) -> None:
    payment_id = await start_payment(customer, awaiting)
    forged = kassa.notification(payment_id)  # the body claims success; the API knows better
    forged["object"].update(status="succeeded", paid=True)
    assert (await customer.post(NOTIFICATIONS, json=forged)).status_code == 200
    kassa.cancel(payment_id)
    assert (await customer.post(NOTIFICATIONS, json=forged)).status_code == 200
    unknown = {**forged, "object": {**forged["object"], "id": "2d6b6a8c-000f-5000-9000-1a2b3c4d5e6f"}}
    assert (await customer.post(NOTIFICATIONS, json=unknown)).status_code == 200
    for body in (b"not json", b"[]", b'{"event": "payment.succeeded", "object": {"id": "../../refunds"}}'):
        answer = await customer.post(NOTIFICATIONS, content=body, headers={"content-type": "application/json"})
        assert answer.status_code in (200, 400)
    assert await payments_of(db, awaiting) == []
    assert (await order_row(db, awaiting.id)).amount_paid == 0
    assert [call.path for call in kassa.calls("GET", "/v3/payments/")].count(f"/v3/payments/{payment_id}") == 2


async def test_a_notification_we_cannot_check_asks_yookassa_to_send_it_again(customer, awaiting, kassa, db) -> None:
    payment_id = await start_payment(customer, awaiting)
    kassa.succeed(payment_id)
    kassa.fail_next(3, 500)  # every attempt of the check fails
    assert (await customer.post(NOTIFICATIONS, json=kassa.notification(payment_id))).status_code == 503
    assert await payments_of(db, awaiting) == []
    assert (await customer.post(NOTIFICATIONS, json=kassa.notification(payment_id))).status_code == 200
    assert len(await payments_of(db, awaiting)) == 1


async def test_creating_a_payment_is_retried_with_the_same_idempotence_key(customer, awaiting, kassa) -> None:
    kassa.fail_next(1, 429)
    kassa.fail_next(1, 503)
    await start_payment(customer, awaiting)
    calls = kassa.calls("POST", "/v3/payments")
    assert [call.status for call in calls] == [429, 500, 200]
    assert {call.key for call in calls} == {"k" * 32}
    assert len(kassa.payments) == 1
    await start_payment(customer, awaiting)  # the same form sent again: the same payment
    assert len(kassa.payments) == 1


async def test_yookassa_down_tells_the_customer_and_creates_nothing(customer, awaiting, kassa, db) -> None:
    kassa.fail_next(3, 500)
    answer = await post_form(customer, f"/orders/{awaiting.id}/pay", {"pay_key": "k" * 32}, f"/orders/{awaiting.id}")
    assert answer.status_code == 303 and answer.headers["location"].endswith(f"/orders/{awaiting.id}")
    page = await customer.get(f"/orders/{awaiting.id}")
    assert "Card payment is not available right now" in page.text
    assert kassa.payments == {}


async def test_cancelling_a_card_paid_order_refunds_it_once(paying, customer, awaiting, kassa, db) -> None:
    payment_id = await start_payment(customer, awaiting)
    kassa.succeed(payment_id)
    assert (await customer.post(NOTIFICATIONS, json=kassa.notification(payment_id))).status_code == 200
    cancel = await post_form(customer, f"/orders/{awaiting.id}/cancel", {"note": ""}, f"/orders/{awaiting.id}")
    assert cancel.status_code == 303
    await run_queued_jobs(paying)
    [refund] = kassa.refunds.values()
    assert refund["payment_id"] == payment_id and refund["amount"] == {"value": "1830.00", "currency": "RUB"}
    [posted] = kassa.calls("POST", "/v3/refunds")
    assert posted.key  # an Idempotence-Key on the refund too
    paid, refunded = await payments_of(db, awaiting)
    assert refunded.amount == Decimal("-1830.00") and refunded.external_id == refund["id"]
    assert (await order_row(db, awaiting.id)).amount_paid == 0
    page = await customer.get(f"/orders/{awaiting.id}")
    assert "Refunded: ₽1,830.00" in page.text

    from jobs.context import build_context, close_context
    from jobs.orders import refund_card_payments

    ctx = build_context(paying)  # the job run again (arq may): nothing is refunded twice
    try:
        await refund_card_payments(ctx, str(awaiting.id))
    finally:
        await close_context(ctx)
    assert len(kassa.refunds) == 1 and len(await payments_of(db, awaiting)) == 2


async def test_without_the_settings_there_is_no_card_button(client, other_client, db) -> None:
    await register(client, COMPANY)
    order = await place_order(db)
    await staff_login(other_client, db)
    await awaiting_payment(other_client, order)
    page = await client.get(f"/orders/{order.id}")
    assert 'data-testid="order-status">Awaiting payment<' in page.text
    assert 'data-testid="pay-by-card"' not in page.text
    token = await csrf_token(client, f"/orders/{order.id}")
    answer = await client.post(f"/orders/{order.id}/pay", data={"_csrf_token": token}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].endswith(f"/orders/{order.id}")
    assert (await client.post(NOTIFICATIONS, json={"event": "payment.succeeded"})).status_code == 404


async def test_a_card_paid_order_sales_cancel_in_bitrix24_is_refunded(paying, customer, awaiting, kassa, db) -> None:
    payment_id = await start_payment(customer, awaiting)
    kassa.succeed(payment_id)
    assert (await customer.post(NOTIFICATIONS, json=kassa.notification(payment_id))).status_code == 200

    from jobs.context import build_context, close_context

    ctx = build_context(paying)  # what the Bitrix24 sync job does when sales lose the deal
    try:
        async with ctx["sessionmaker"]() as session:
            assert await ctx["crm_orders"].status_from_crm(session, str(awaiting.id), "cancelled", "LOSE")
            await session.commit()
            await ctx["crm_orders"].status_told(session, str(awaiting.id))
    finally:
        await close_context(ctx)
    await run_queued_jobs(paying)
    [refund] = kassa.refunds.values()
    assert refund["payment_id"] == payment_id
    assert (await order_row(db, awaiting.id)).amount_paid == 0


async def test_with_receipts_on_every_payment_and_refund_carries_one(settings, db) -> None:
    with FakeYooKassa(receipts=True).running() as kassa:
        paying = replace(settings, payments=PaymentSettings(
            yookassa_shop_id=kassa.shop_id, yookassa_secret_key=kassa.secret_key, yookassa_api_url=kassa.api_url,
            yookassa_receipts=True,
        ))
        async with AsyncTestClient(app=create_app(paying)) as customer, \
                AsyncTestClient(app=create_app(paying)) as staff:
            await register(customer, COMPANY)
            order = await place_order(db)
            await staff_login(staff, db)
            await awaiting_payment(staff, order)
            payment_id = await start_payment(customer, order)
            [created] = kassa.calls("POST", "/v3/payments")
            assert created.body["receipt"]["customer"] == {"email": COMPANY["email"]}
            [item] = created.body["receipt"]["items"]
            assert (item["vat_code"], item["amount"]["value"]) == (11, "1830.00")  # 22 % VAT
            assert item["payment_mode"] == "full_prepayment"
            kassa.succeed(payment_id)
            assert (await customer.post(NOTIFICATIONS, json=kassa.notification(payment_id))).status_code == 200
            await post_form(customer, f"/orders/{order.id}/cancel", {"note": ""}, f"/orders/{order.id}")
            await run_queued_jobs(paying)
        [refund] = kassa.calls("POST", "/v3/refunds")
        assert refund.status == 200 and refund.body["receipt"]["items"][0]["amount"]["value"] == "1830.00"
