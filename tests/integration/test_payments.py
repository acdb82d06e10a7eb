"""Payments staff record: partial payments add up, more than is left is refused, production waits
for the full amount (or a reason), the customer and the CRM hear of it, and the list filters."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from portal.crm.outbox import DEAL
from portal.db.models import BitrixSyncRow, OrderEvent, Payment
from tests.integration.conftest import COMPANY, csrf_token, post_form, register, run_queued_jobs
from tests.integration.orders import awaiting_payment, move, order_row, place_order, priced_line, staff_login
from tests.smtp import body_of

ERROR = re.compile(r'id="error-amount"[^>]*>([^<]+)<')
STATUS_ERROR = re.compile(r'data-testid="status-error">([^<]+)<')


async def pay(client, order, amount: str, method: str = "bank_transfer", reference: str = "п/п 17",
              paid_on: str = ""):
    return await post_form(client, f"/admin/orders/{order.id}/payments",
                           {"amount": amount, "paid_on": paid_on, "method": method, "reference": reference},
                           f"/admin/orders/{order.id}")


async def payments_of(db, order) -> list[Payment]:
    async with db() as session:
        return list((await session.scalars(select(Payment).where(Payment.order_id == order.id))).all())


async def test_partial_payments_add_up_and_production_waits_for_the_full_amount(mailing, db, client) -> None:
    settings, mailbox = mailing
    from litestar.testing import AsyncTestClient

    from portal.app import create_app

    async with AsyncTestClient(app=create_app(settings)) as staff:
        await register(client, COMPANY)
        order = await place_order(db, language="ru")  # 1830.00 with VAT
        await staff_login(staff, db)
        await awaiting_payment(staff, order)

        refused = await move(staff, order, "in_production")
        assert refused.status_code == 422
        assert "not paid in full" in STATUS_ERROR.search(refused.text).group(1)

        assert (await pay(staff, order, "1 000,00")).status_code == 303
        page = await staff.get(f"/admin/orders/{order.id}")
        assert "Paid: ₽1,000.00 of ₽1,830.00. Left to pay: ₽830.00." in page.text
        assert (await move(staff, order, "in_production")).status_code == 422

        assert (await pay(staff, order, "830", method="cash", reference="")).status_code == 303
        assert (await order_row(db, order.id)).amount_paid == Decimal("1830.00")
        assert (await move(staff, order, "in_production")).status_code == 303
        assert (await order_row(db, order.id)).status == "in_production"

        live = await client.get(f"/orders/{order.id}/live", headers={"HX-Request": "true"})
        assert live.text.count("Payment received") == 2 and "п/п 17" not in live.text  # references: staff only
        assert "Paid: ₽1,830.00 of ₽1,830.00." in live.text

    async with db() as session:
        deal = await session.scalar(
            select(BitrixSyncRow).where(BitrixSyncRow.entity_type == DEAL, BitrixSyncRow.entity_id == str(order.id))
            .order_by(BitrixSyncRow.id.desc()).limit(1)
        )
    assert "Оплачено: 1830.00 из 1830.00 RUB" in deal.payload["order"]["comment"]
    await run_queued_jobs(settings)
    messages = await mailbox.await_for(COMPANY["email"], count=5)  # two statuses, two payments, production
    paid = [m for m in messages if "оплата получена" in m["Subject"]]
    assert len(paid) == 2
    assert "830,00" in body_of(paid[-1]) and f"/orders/{order.id}" in body_of(paid[-1])


@pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True)
async def test_a_payment_larger_than_what_is_left_is_refused_next_to_the_field(client, db) -> None:
    await register(client, COMPANY)
    order = await place_order(db)
    await client.post("/logout")
    await staff_login(client, db)

    early = await pay(client, order, "100")
    assert early.status_code == 422 and "once the order awaits payment" in ERROR.search(early.text).group(1)

    await awaiting_payment(client, order)
    assert (await pay(client, order, "1000")).status_code == 303
    refused = await pay(client, order, "830.01")
    assert refused.status_code == 422
    assert ERROR.search(refused.text).group(1) == "This is more than is left to pay for the order."
    assert 'value="830.01"' in refused.text  # the form keeps what was typed
    assert [p.amount for p in await payments_of(db, order)] == [Decimal("1000.00")]
    assert (await order_row(db, order.id)).amount_paid == Decimal("1000.00")


@pytest.mark.parametrize("fields", [
    {"amount": "abc"}, {"amount": "-5"}, {"amount": "0"}, {"amount": "1e999999"}, {"amount": "10.001"},
    {"amount": "NaN"}, {"amount": "10", "paid_on": "2099-01-01"}, {"amount": "10", "paid_on": "31.12.2026"},
    {"amount": "10", "method": "bitcoin"}, {"amount": "10", "reference": "x" * 201},
    {"amount": "100000000"}, {"amount": "<b>5</b>"}, {},
])
async def test_bad_payment_input_gets_a_message_and_saves_nothing(client, db, fields) -> None:
    await register(client, COMPANY)
    order = await place_order(db)
    await client.post("/logout")
    await staff_login(client, db)
    await awaiting_payment(client, order)
    token = await csrf_token(client, f"/admin/orders/{order.id}")
    data = {"method": "bank_transfer", "paid_on": "", "reference": "", **fields, "_csrf_token": token}
    response = await client.post(f"/admin/orders/{order.id}/payments", data=data, follow_redirects=False)
    assert response.status_code == 422
    assert 'class="field-error"' in response.text
    assert await payments_of(db, order) == []


@pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True)
async def test_simultaneous_payments_never_take_more_than_the_total(client, other_client, db) -> None:
    await register(client, COMPANY)
    order = await place_order(db)  # 1830.00
    await client.post("/logout")
    await staff_login(client, db)
    await awaiting_payment(client, order)
    token = await csrf_token(client, f"/admin/orders/{order.id}")
    data = {"amount": "100", "method": "cash", "paid_on": "", "reference": "", "_csrf_token": token}
    answers = await asyncio.gather(*(
        client.post(f"/admin/orders/{order.id}/payments", data=data, follow_redirects=False) for _ in range(22)
    ))
    assert sorted({answer.status_code for answer in answers}) == [303, 422]
    assert sum(answer.status_code == 303 for answer in answers) == 18
    assert (await order_row(db, order.id)).amount_paid == Decimal("1800.00")
    assert len(await payments_of(db, order)) == 18


async def test_staff_start_production_unpaid_only_with_a_reason_kept_for_staff(client, other_client, db) -> None:
    await register(client, COMPANY)
    order = await place_order(db)
    await staff_login(other_client, db)
    await awaiting_payment(other_client, order)
    assert (await move(other_client, order, "in_production", override="   ")).status_code == 422
    done = await move(other_client, order, "in_production", override="Regular customer, pays on delivery")
    assert done.status_code == 303
    staff_page = await other_client.get(f"/admin/orders/{order.id}")
    assert "Production started before full payment" in staff_page.text
    assert "Regular customer, pays on delivery" in staff_page.text
    customer_page = await client.get(f"/orders/{order.id}")
    assert "Regular customer" not in customer_page.text and "before full payment" not in customer_page.text
    async with db() as session:
        kinds = (await session.scalars(select(OrderEvent.kind).where(OrderEvent.order_id == order.id))).all()
    assert kinds.count("override") == 1


async def test_the_list_filters_unpaid_paid_and_overdue_orders(client, db) -> None:
    await register(client, COMPANY)
    overdue, paid, waiting, new = [await place_order(db) for _ in range(4)]
    await client.post("/logout")
    await staff_login(client, db)
    for order in (overdue, paid, waiting):
        await awaiting_payment(client, order)
    assert (await pay(client, paid, "1830")).status_code == 303
    assert (await pay(client, overdue, "10")).status_code == 303  # partly paid still owes
    async with db() as session:  # the overdue one has waited for ten days
        await session.execute(
            update(OrderEvent).where(OrderEvent.order_id == overdue.id, OrderEvent.to_status == "awaiting_payment")
            .values(created_at=datetime.now(UTC) - timedelta(days=10))
        )
        await session.commit()

    async def numbers(payment: str) -> set[int]:
        page = await client.get(f"/admin/orders?payment={payment}", headers={"HX-Request": "true"})
        assert page.status_code == 200
        return {int(n) for n in re.findall(r">Order (\d+)</a>", page.text)}

    assert await numbers("unpaid") == {overdue.number, waiting.number}
    assert await numbers("paid") == {paid.number}
    assert await numbers("overdue") == {overdue.number}
    assert await numbers("nonsense") == {overdue.number, paid.number, waiting.number, new.number}
    async with db() as session:
        assert await session.scalar(select(func.count()).select_from(Payment)) == 2


@pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True)
async def test_kopecks_add_up_exactly_to_the_total(client, db) -> None:
    await register(client, COMPANY)
    order = await place_order(db, lines=[priced_line("washer.stl", "0.30", 1)])
    await client.post("/logout")
    await staff_login(client, db)
    await awaiting_payment(client, order)
    assert (await pay(client, order, "0.20")).status_code == 303
    assert (await pay(client, order, "0.02")).status_code == 303
    assert (await pay(client, order, "0.09")).status_code == 422
    assert (await pay(client, order, "0.08")).status_code == 303
    assert (await order_row(db, order.id)).amount_paid == Decimal("0.30")
    assert (await move(client, order, "in_production")).status_code == 303
