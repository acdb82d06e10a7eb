"""The ship-by date the quote promised: on the customer's order page and list, and flagged to staff
once it is missed while the order is not shipped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from litestar.testing import AsyncTestClient
from sqlalchemy import update

from portal.app import create_app
from portal.db.models import Order
from portal.orders.ship_dates import order_ship_by
from portal.quotes.services import ship_by
from tests.integration.conftest import COMPANY, register
from tests.integration.orders import order_row, place_order, staff_login

MISSED = 'data-testid="ship-by-missed"'


async def test_the_ship_by_date_shows_and_a_missed_one_is_flagged_to_staff(client, settings, db) -> None:
    await register(client, COMPANY)
    order = await place_order(db)
    due = order_ship_by(await order_row(db, order.id))
    assert due == ship_by(datetime.now(UTC).astimezone().date(), 5)  # the lines' lead time
    page = await client.get(f"/orders/{order.id}")
    assert f'data-testid="ship-by">{due:%a %d %b %Y}<' in page.text
    assert f"{due:%a %d %b %Y}" in (await client.get("/orders")).text
    async with AsyncTestClient(app=create_app(settings)) as staff:
        await staff_login(staff, db)
        assert MISSED not in (await staff.get("/admin/orders")).text
        assert MISSED not in (await staff.get(f"/admin/orders/{order.id}")).text
        async with db() as session:
            await session.execute(update(Order).where(Order.id == order.id).values(
                created_at=datetime.now(UTC) - timedelta(days=30)))
            await session.commit()
        assert MISSED in (await staff.get("/admin/orders")).text
        assert MISSED in (await staff.get(f"/admin/orders/{order.id}")).text
