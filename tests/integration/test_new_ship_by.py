"""A missed ship-by date: staff promise a new one on the order's page (with a reason for the
customer), and the customer sees it on the open order page (the old date struck through), in the
history, in a notice and in an e-mail. A date in the past, or one that is not a date, is refused
next to the field and changes nothing."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update

from portal.app import create_app
from portal.db.models import Notification, Order, OrderEvent
from portal.orders.ship_dates import order_ship_by
from tests.integration.conftest import COMPANY, csrf_token, register, run_queued_jobs
from tests.integration.orders import order_row, place_order, staff_login
from tests.smtp import body_of

MISSED = 'data-testid="ship-by-missed"'
FIELD_ERROR = re.compile(r'id="error-ship_by">([^<]+)<')


def shown(day: date) -> str:
    return f"{day:%a %d %b %Y}"


async def promise(staff, order, ship_by: str, reason: str = ""):
    token = await csrf_token(staff, f"/admin/orders/{order.id}")
    return await staff.post(f"/admin/orders/{order.id}/ship-by",
                            data={"ship_by": ship_by, "ship_by_reason": reason, "_csrf_token": token},
                            follow_redirects=False)


async def placed_weeks_ago(db, order) -> date:
    """The order was placed 30 days ago: its quoted ship-by date has passed. That date."""
    async with db() as session:
        await session.execute(update(Order).where(Order.id == order.id).values(
            created_at=datetime.now(UTC) - timedelta(days=30)))
        await session.commit()
    return order_ship_by(await order_row(db, order.id))


async def ship_by_events(db, order) -> list[OrderEvent]:
    async with db() as session:
        return list(await session.scalars(select(OrderEvent).where(
            OrderEvent.order_id == order.id, OrderEvent.kind == "ship_by")))


@pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True)
async def test_a_missed_date_is_replaced_and_the_customer_is_told_everywhere(mailing, db) -> None:
    settings, mailbox = mailing
    async with AsyncTestClient(app=create_app(settings)) as customer, \
            AsyncTestClient(app=create_app(settings)) as staff:
        await register(customer, COMPANY)
        order = await place_order(db)
        missed = await placed_weeks_ago(db, order)
        await staff_login(staff, db)
        page = await staff.get(f"/admin/orders/{order.id}")
        assert MISSED in page.text and 'data-testid="new-ship-by"' in page.text

        new = date.today() + timedelta(days=12)
        answer = await promise(staff, order, new.isoformat(), "The anodising shop is a week late.")
        assert answer.status_code == 303, answer.text
        page = await staff.get(f"/admin/orders/{order.id}")
        assert f'data-testid="ship-by">{shown(new)}<' in page.text
        assert MISSED not in page.text  # the new date is not missed

        live = await customer.get(f"/orders/{order.id}/live", headers={"HX-Request": "true"})
        assert f'data-testid="ship-by">{shown(new)}<' in live.text
        was = re.search(r'data-testid="ship-by-was">(.*?)</span>', live.text, re.S).group(1)
        assert f"<del>{shown(missed)}</del>" in was
        assert f"New ship-by date: {shown(new)} (was {shown(missed)})" in live.text
        assert "The anodising shop is a week late." in live.text  # the reason is for the customer
        assert 'hx-trigger="every 3s"' in live.text  # the open page keeps following
        assert shown(new) in (await customer.get("/orders")).text

        notices = await customer.get("/notifications")
        notice = re.search(r'data-kind="ship_by">(.*?)</span>\s*<span class="badge">', notices.text, re.S).group(1)
        assert f"new ship-by date: {shown(new)} (was {shown(missed)})." in notice
        unread = await customer.get("/notifications/unread", headers={"HX-Request": "true"})
        assert 'data-testid="unread-count"' in unread.text

    [event] = await ship_by_events(db, order)
    assert event.details == {"ship_by": new.isoformat(), "was": missed.isoformat()}
    assert (event.note, event.internal) == ("The anodising shop is a week late.", False)
    await run_queued_jobs(settings)
    [told] = [m for m in await mailbox.await_for(COMPANY["email"]) if "new ship-by date" in m["Subject"]]
    assert told["Subject"] == f"Order {order.number}: a new ship-by date"
    body = body_of(told)
    assert f"will ship by {shown(new)}, not by {shown(missed)}" in body
    assert "The anodising shop is a week late." in body and f"/orders/{order.id}" in body


@pytest.mark.parametrize(("ship_by", "reason", "field", "message"), [
    ("", "", "ship_by", "Enter the new ship-by date."),
    ("31.12.2030", "", "ship_by", "Enter the date as YYYY-MM-DD."),
    ("2030-02-30", "", "ship_by", "Enter the date as YYYY-MM-DD."),
    ("next week", "", "ship_by", "Enter the date as YYYY-MM-DD."),
    ((date.today() - timedelta(days=1)).isoformat(), "", "ship_by", "This date has passed"),
    ("2000-01-01", "", "ship_by", "This date has passed"),
    ((date.today() + timedelta(days=400)).isoformat(), "", "ship_by", "within a year"),
    ((date.today() + timedelta(days=5)).isoformat(), "late\x00", "ship_by_reason", "control characters"),
    ((date.today() + timedelta(days=5)).isoformat(), "x" * 2001, "ship_by_reason", "This is too long."),
])
async def test_a_bad_date_is_refused_next_to_the_field_and_changes_nothing(client, db, ship_by, reason, field,
                                                                          message) -> None:
    await register(client, COMPANY)
    order = await place_order(db)
    await client.post("/logout")
    await staff_login(client, db)
    answer = await promise(client, order, ship_by, reason)
    assert answer.status_code == 422
    error = re.search(rf'id="error-{field}">([^<]+)<', answer.text)
    assert error and message in error.group(1)
    assert 'aria-invalid="true"' in answer.text
    assert f'value="{ship_by}"' in answer.text or not ship_by  # the form keeps what was typed
    row = await order_row(db, order.id)
    assert (row.promised_ship_by, row.replaced_ship_by) == (None, None)
    assert await ship_by_events(db, order) == []
    async with db() as session:
        assert await session.scalar(select(Notification).where(Notification.kind == "ship_by")) is None


@pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True)
async def test_the_same_date_or_a_shipped_order_is_refused_with_a_message(client, db) -> None:
    await register(client, COMPANY)
    order = await place_order(db)
    await client.post("/logout")
    await staff_login(client, db)
    due = order_ship_by(await order_row(db, order.id))
    same = await promise(client, order, due.isoformat())
    assert same.status_code == 422
    assert FIELD_ERROR.search(same.text).group(1) == "The order already ships by this date: choose another one."

    async with db() as session:
        await session.execute(update(Order).where(Order.id == order.id).values(status="shipped"))
        await session.commit()
    late = await promise(client, order, (date.today() + timedelta(days=3)).isoformat())
    assert late.status_code == 422
    assert "shipped or cancelled" in FIELD_ERROR.search(late.text).group(1)
    assert (await order_row(db, order.id)).promised_ship_by is None
