"""A card refund YooKassa does not make (an error, no answer in time) waits on the staff order page
with a "Retry refund" button. A retry that works clears it, records the refund in the history and
tells the customer; a second click, or twenty at once, never give the money back twice: every
attempt sends the payment's own Idempotence-Key and the refund is recorded once."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal

import pytest
from arq import Retry
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from portal.app import create_app
from portal.config import PaymentSettings
from portal.db.models import OrderEvent, Payment
from tests.fakes.yookassa import FakeYooKassa
from tests.integration.conftest import COMPANY, csrf_token, login, post_form, register, run_queued_jobs
from tests.integration.orders import STAFF, awaiting_payment, order_row, place_order, staff_login
from tests.integration.test_bursts import at_once, browsers
from tests.integration.test_order_notices import notices_of
from tests.integration.test_yookassa import NOTIFICATIONS, start_payment
from tests.smtp import body_of

FAILED = 'data-testid="refund-failed"'


@pytest.fixture
def kassa() -> Iterator[FakeYooKassa]:
    with FakeYooKassa().running() as fake:
        yield fake


@pytest.fixture
def paying(mailing, kassa):
    """Mail to the test's SMTP server; YooKassa asked once per attempt, given a second to answer."""
    settings, _ = mailing
    return replace(settings, payments=PaymentSettings(
        yookassa_shop_id=kassa.shop_id, yookassa_secret_key=kassa.secret_key, yookassa_api_url=kassa.api_url,
        yookassa_attempts=1, yookassa_timeout=1.0,
    ))


async def paid_by_card(customer, staff, db, kassa):
    """A customer's order of 1830.00, paid by card in full."""
    await register(customer, COMPANY)
    order = await place_order(db)
    await staff_login(staff, db)
    await awaiting_payment(staff, order)
    payment_id = await start_payment(customer, order)
    kassa.succeed(payment_id)
    assert (await customer.post(NOTIFICATIONS, json=kassa.notification(payment_id))).status_code == 200
    return order


async def cancel(customer, order) -> None:
    answer = await post_form(customer, f"/orders/{order.id}/cancel", {"note": ""}, f"/orders/{order.id}")
    assert answer.status_code == 303


async def refund_failure_shown(settings, db, order) -> str:
    """The refund job has run (the worker, or the portal itself in the embedded default) and left
    its failure on the order: the reason staff see."""
    await run_queued_jobs(settings)
    for _ in range(150):
        row = await order_row(db, order.id)
        if row.refund_error:
            return row.refund_error
        await asyncio.sleep(0.1)
    raise AssertionError("the failed refund was not recorded")


async def retry(staff, order):
    token = await csrf_token(staff, f"/admin/orders/{order.id}")
    return await staff.post(f"/admin/orders/{order.id}/refunds/retry", data={"_csrf_token": token},
                            follow_redirects=False)


async def refunds_of(db, order) -> list[Payment]:
    async with db() as session:
        return list(await session.scalars(select(Payment).where(Payment.order_id == order.id, Payment.amount < 0)))


def made_refunds(kassa) -> list:
    """The refund requests YooKassa carried out (the same key twice gives the same refund)."""
    return [call for call in kassa.calls("POST", "/v3/refunds") if call.status == 200]


@pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True)
async def test_a_failed_refund_waits_for_staff_and_a_retry_gives_the_money_back_once(paying, mailing, kassa,
                                                                                    db) -> None:
    _, mailbox = mailing
    async with AsyncTestClient(app=create_app(paying)) as customer, \
            AsyncTestClient(app=create_app(paying)) as staff:
        order = await paid_by_card(customer, staff, db, kassa)
        kassa.fail_next(1, 403)  # the shop's account may not refund today
        await cancel(customer, order)
        assert await refund_failure_shown(paying, db, order) == "forbidden: Injected failure"
        assert kassa.refunds == {} and await refunds_of(db, order) == []

        page = await staff.get(f"/admin/orders/{order.id}")
        box = page.text.split(FAILED, 1)[1].split("</div>", 1)[0]
        assert "A card refund failed" in box and "forbidden: Injected failure" in box
        assert 'data-testid="retry-refund">Retry refund<' in box and 'name="_csrf_token"' in box
        assert "Card refund failed" in page.text  # in the history, for staff
        live = await customer.get(f"/orders/{order.id}/live", headers={"HX-Request": "true"})
        assert "refund failed" not in live.text.lower() and "forbidden" not in live.text

        first = await retry(staff, order)
        assert first.status_code == 303
        page = await staff.get(f"/admin/orders/{order.id}")
        assert FAILED not in page.text
        assert "The card payments are refunded and the customer is told." in page.text
        assert re.search(r"Refunded: ₽1,830.00</strong>\s*<span class=\"muted small\"> · Sasha Staff", page.text)
        [refund] = kassa.refunds.values()
        [given] = await refunds_of(db, order)
        assert (given.amount, given.external_id, given.actor_name) == (Decimal("-1830.00"), refund["id"],
                                                                       "Sasha Staff")
        row = await order_row(db, order.id)
        assert (row.amount_paid, row.refund_error) == (Decimal("0.00"), None)

        second = await retry(staff, order)  # the same button again, from the page shown before
        assert second.status_code == 303
        assert "No refund waits for this order" in (await staff.get(f"/admin/orders/{order.id}")).text
        assert len(kassa.refunds) == 1 and len(made_refunds(kassa)) == 1 and len(await refunds_of(db, order)) == 1

        live = await customer.get(f"/orders/{order.id}/live", headers={"HX-Request": "true"})
        assert "Refunded: ₽1,830.00" in live.text
        notices = notices_of((await customer.get("/notifications")).text)
        assert [kind for kind, _ in notices] == ["refund", "payment", "status", "status"]  # the card payment too
        assert notices[0][1] == f"Order {order.number} ₽1,830.00 refunded. Paid now: ₽0.00 of ₽1,830.00."
        assert notices[1][1].endswith("payment received: ₽1,830.00. Paid ₽1,830.00 of ₽1,830.00; left to pay: ₽0.00.")

    await run_queued_jobs(paying)
    [told] = [m for m in await mailbox.await_for(COMPANY["email"], count=4) if "money refunded" in m["Subject"]]
    assert "We refunded ₽1,830.00" in body_of(told)


@pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True)
async def test_twenty_simultaneous_retries_refund_once(paying, kassa, db) -> None:
    async with AsyncTestClient(app=create_app(paying)) as customer, \
            AsyncTestClient(app=create_app(paying)) as staff:
        order = await paid_by_card(customer, staff, db, kassa)
        kassa.fail_next(1, 400)
        await cancel(customer, order)
        await refund_failure_shown(paying, db, order)

    kassa.stall_next(1, 0.5)  # the first retry to reach YooKassa waits for its answer: the others pile up
    async with browsers(create_app(paying), 1) as (first,), browsers(create_app(paying), 1) as (second,):
        assert (await login(first, STAFF["email"], STAFF["password"])).status_code == 303
        second.cookies = first.cookies  # the same staff session, in two app processes
        token = await csrf_token(first, f"/admin/orders/{order.id}")
        answers = await at_once(*(
            (first if n % 2 else second).post(f"/admin/orders/{order.id}/refunds/retry",
                                               data={"_csrf_token": token}, follow_redirects=False)
            for n in range(20)
        ))
    assert [answer.status_code for answer in answers] == [303] * 20

    assert len(kassa.refunds) == 1 and len(made_refunds(kassa)) == 1
    [given] = await refunds_of(db, order)
    assert given.amount == Decimal("-1830.00")
    row = await order_row(db, order.id)
    assert (row.amount_paid, row.refund_error) == (Decimal("0.00"), None)
    async with db() as session:
        told = await session.scalars(select(OrderEvent.kind).where(OrderEvent.order_id == order.id,
                                                                   OrderEvent.kind == "refund"))
        assert list(told) == ["refund"]


async def test_a_refund_whose_answer_was_lost_is_recorded_once_on_retry(paying, kassa, db) -> None:
    from jobs.context import build_context, close_context
    from jobs.orders import refund_card_payments

    async with AsyncTestClient(app=create_app(paying)) as customer, \
            AsyncTestClient(app=create_app(paying)) as staff:
        order = await paid_by_card(customer, staff, db, kassa)
        kassa.stall_next(1, 3.0)  # YooKassa makes the refund but answers after the portal gave up
        await cancel(customer, order)
        ctx = build_context(paying)  # what the worker runs
        try:
            with pytest.raises(Retry):  # out of reach: the job tries again later by itself
                await refund_card_payments({**ctx, "job_try": 1}, str(order.id))
        finally:
            await close_context(ctx)
        row = await order_row(db, order.id)
        assert row.refund_error.startswith("no_answer") and row.amount_paid == Decimal("1830.00")
        assert len(kassa.refunds) == 1  # made at YooKassa, unknown to the portal
        assert FAILED in (await staff.get(f"/admin/orders/{order.id}")).text

        assert (await retry(staff, order)).status_code == 303
        assert len(kassa.refunds) == 1  # the same key gave the same refund back
        [given] = await refunds_of(db, order)
        assert given.external_id == next(iter(kassa.refunds))
        assert (await order_row(db, order.id)).amount_paid == Decimal("0.00")


async def test_only_staff_retry_a_refund(paying, kassa, db) -> None:
    async with AsyncTestClient(app=create_app(paying)) as customer, \
            AsyncTestClient(app=create_app(paying)) as staff:
        order = await paid_by_card(customer, staff, db, kassa)
        kassa.fail_next(1, 400)
        await cancel(customer, order)
        await refund_failure_shown(paying, db, order)
        token = await csrf_token(customer, f"/orders/{order.id}")
        answer = await customer.post(f"/admin/orders/{order.id}/refunds/retry", data={"_csrf_token": token},
                                     follow_redirects=False)
        assert answer.status_code in (403, 404)
        no_token = await staff.post(f"/admin/orders/{order.id}/refunds/retry", data={}, follow_redirects=False)
        assert no_token.status_code == 403
        assert kassa.refunds == {} and (await order_row(db, order.id)).refund_error


@pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True)
async def test_a_refund_yookassa_cancels_is_shown_with_its_reason_and_a_retry_asks_anew(paying, kassa, db) -> None:
    async with AsyncTestClient(app=create_app(paying)) as customer, \
            AsyncTestClient(app=create_app(paying)) as staff:
        order = await paid_by_card(customer, staff, db, kassa)
        kassa.cancel_next_refunds(1, party="yoo_money", reason="insufficient_funds")  # the shop's balance is short
        await cancel(customer, order)
        assert await refund_failure_shown(paying, db, order) == "canceled: insufficient_funds (yoo_money)"
        [canceled] = kassa.refunds.values()
        assert canceled["status"] == "canceled" and await refunds_of(db, order) == []
        assert (await order_row(db, order.id)).amount_paid == Decimal("1830.00")  # no money went back

        page = await staff.get(f"/admin/orders/{order.id}")
        box = page.text.split(FAILED, 1)[1].split("</div>", 1)[0]
        assert "A card refund failed" in box and "canceled: insufficient_funds (yoo_money)" in box
        assert 'data-testid="retry-refund">Retry refund<' in box
        async with db() as session:
            [failed] = await session.scalars(select(OrderEvent).where(
                OrderEvent.order_id == order.id, OrderEvent.kind == "refund_failed"))
        assert failed.note == "canceled: insufficient_funds (yoo_money)" and failed.internal

        # YooKassa answers a key it canceled with the same canceled refund: the retry asks under a new one
        assert (await retry(staff, order)).status_code == 303
        page = await staff.get(f"/admin/orders/{order.id}")
        assert FAILED not in page.text and "The card payments are refunded" in page.text
        made = [refund for refund in kassa.refunds.values() if refund["status"] == "succeeded"]
        assert len(made) == 1 and len(kassa.refunds) == 2
        [given] = await refunds_of(db, order)
        assert (given.amount, given.external_id) == (Decimal("-1830.00"), made[0]["id"])
        assert (await order_row(db, order.id)).amount_paid == Decimal("0.00")

        assert (await retry(staff, order)).status_code == 303  # again: nothing waits, nothing given twice
        assert len(kassa.refunds) == 2 and len(await refunds_of(db, order)) == 1
