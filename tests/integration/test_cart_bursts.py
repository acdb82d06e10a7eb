"""Adding to the cart at the same moment: a double click adds one line, and a cart stops at 50."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from portal.app import create_app
from portal.db.models import CartItem
from portal.orders.cart import MAX_ITEMS
from tests.integration.conftest import COMPANY, CSRF_META
from tests.integration.test_bursts import at_once, browsers, post_with_token
from tests.integration.uploads import demo_file_row

pytestmark = [pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True), pytest.mark.slow]

OPTIONS = {"process": "cnc_milling", "material": "al_6061", "finish": "", "tolerance": "", "lead_time": "",
           "units": "mm"}


async def lines(db) -> list[CartItem]:
    async with db() as session:
        return list(await session.scalars(select(CartItem)))


async def adds_at_once(settings, db, quantities: list[int]):
    file_id = await demo_file_row(db, "ready")
    app = create_app(settings)
    async with browsers(app, 1) as (customer,):
        assert (await post_with_token(customer, "/register", COMPANY)).status_code == 303
        token = CSRF_META.search((await customer.get(f"/files/{file_id}")).text).group(1)
        answers = await at_once(*(
            customer.post(f"/cart/add/{file_id}", data={**OPTIONS, "quantity": str(quantity), "_csrf_token": token})
            for quantity in quantities
        ))
    return file_id, answers


async def test_a_part_added_ten_times_at_once_is_one_line(settings, db) -> None:
    _, answers = await adds_at_once(settings, db, [3] * 10)
    assert Counter(answer.status_code for answer in answers) == {303: 10}
    assert {answer.headers["location"] for answer in answers} == {"/cart"}
    assert [(line.quantity, {key: line.options[key] for key in OPTIONS}) for line in await lines(db)] == [(3, OPTIONS)]


async def test_sixty_parts_added_at_once_stop_at_fifty(settings, db) -> None:
    file_id, answers = await adds_at_once(settings, db, list(range(1, MAX_ITEMS + 11)))
    # the ten refused go back to the part's page, told that the cart is full
    assert Counter(answer.headers["location"] for answer in answers) == {"/cart": MAX_ITEMS, f"/files/{file_id}": 10}
    async with db() as session:
        assert await session.scalar(select(func.count()).select_from(CartItem)) == MAX_ITEMS
