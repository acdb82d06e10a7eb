"""One cart gives one order, whatever the forms: two tabs, or fifty submits with their own keys
at once, all land on the one order placed; none gets an error page."""

from __future__ import annotations

from uuid import UUID

import pytest
from sqlalchemy import func, select

from portal.app import create_app
from portal.db.models import CartItem, ModelFile, Order
from tests.integration.conftest import COMPANY, CSRF_META
from tests.integration.test_bursts import at_once, browsers, post_with_token
from tests.integration.test_cart import SUBMIT_KEY
from tests.integration.test_cart_bursts import OPTIONS
from tests.integration.uploads import demo_file_row

pytestmark = pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True)

DETAILS = {"delivery_address": "Moscow", "contact_name": "Oleg", "contact_phone": "+7 495 111-22-33",
           "payment_method": "card"}


async def count(db, model) -> int:
    async with db() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def priced_file(db) -> str:
    """A ready file with the measures pricing needs (a 10 × 20 × 30 mm box)."""
    file_id = await demo_file_row(db, "ready")
    async with db() as session:
        file = await session.get(ModelFile, UUID(file_id))
        file.metrics = {"volume_mm3": 6000.0, "area_mm2": 2200.0, "bbox_mm": [10.0, 20.0, 30.0]}
        await session.commit()
    return file_id


async def checkouts_at_once(settings, db, tabs: int):
    """A customer with one part in the cart opens the checkout in `tabs` tabs (each form has its
    own key) and places the order from all of them at the same moment."""
    file_id = await priced_file(db)
    async with browsers(create_app(settings), 1) as (customer,):
        assert (await post_with_token(customer, "/register", COMPANY)).status_code == 303
        token = CSRF_META.search((await customer.get(f"/files/{file_id}")).text).group(1)
        added = await customer.post(f"/cart/add/{file_id}", data={**OPTIONS, "quantity": "2", "_csrf_token": token})
        assert added.status_code == 303
        pages = [(await customer.get("/checkout")).text for _ in range(tabs)]
        forms = [{**DETAILS, "submit_key": SUBMIT_KEY.search(page).group(1),
                  "_csrf_token": CSRF_META.search(page).group(1)} for page in pages]
        assert len({form["submit_key"] for form in forms}) == tabs
        answers = await at_once(*(customer.post("/checkout", data=form) for form in forms))
    return answers


@pytest.mark.parametrize("tabs", [2, 50])
async def test_one_cart_placed_from_many_tabs_is_one_order(settings, db, tabs: int) -> None:
    answers = await checkouts_at_once(settings, db, tabs)
    assert await count(db, Order) == 1
    async with db() as session:
        order = await session.scalar(select(Order))
    assert [line.quantity for line in order.lines] == [2]
    # a submit that came after the order was placed finds the cart empty and is told so
    placed = [answer for answer in answers if answer.status_code == 303]
    told = [answer for answer in answers if answer.status_code == 422 and "Your cart is empty" in answer.text]
    assert placed and len(placed) + len(told) == tabs
    assert {answer.headers["location"] for answer in placed} == {f"/orders/{order.id}"}
    assert await count(db, CartItem) == 0
