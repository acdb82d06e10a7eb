"""Documents attached at the same moment stop exactly at the limit (50 per order or cart)."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from portal.app import create_app
from portal.db.models import Document, OrderEvent
from portal.orders.services import MAX_DOCUMENTS
from tests.integration.conftest import COMPANY, CSRF_META
from tests.integration.orders import place_order
from tests.integration.test_bursts import at_once, browsers, post_with_token
from tests.integration.test_order_documents import PDF

pytestmark = [pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True), pytest.mark.slow]


async def count(db, model, *where) -> int:
    async with db() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where))


async def test_documents_sent_at_once_to_an_order_stop_at_the_limit(settings, db) -> None:
    app = create_app(settings)
    async with browsers(app, 1) as (customer,):
        assert (await post_with_token(customer, "/register", COMPANY)).status_code == 303
        order = await place_order(db)
        page = f"/orders/{order.id}"
        token = CSRF_META.search((await customer.get(page)).text).group(1)
        answers = await at_once(*(
            customer.post(f"{page}/documents", data={"_csrf_token": token, "kind": "drawing"},
                          files={"document": (f"drawing{n}.pdf", PDF, "application/pdf")})
            for n in range(MAX_DOCUMENTS + 10)
        ))
        shown = await customer.get(page)
    assert Counter(answer.status_code for answer in answers) == {303: MAX_DOCUMENTS, 422: 10}
    assert "At most 50 documents" in next(answer.text for answer in answers if answer.status_code == 422)
    assert shown.text.count("drawing") >= MAX_DOCUMENTS
    assert await count(db, Document) == MAX_DOCUMENTS
    assert await count(db, OrderEvent, OrderEvent.kind == "document") == MAX_DOCUMENTS


async def test_documents_sent_at_once_to_a_cart_stop_at_the_limit(settings, db) -> None:
    app = create_app(settings)
    async with browsers(app, 1) as (customer,):
        assert (await post_with_token(customer, "/register", COMPANY)).status_code == 303
        token = CSRF_META.search((await customer.get("/cart")).text).group(1)
        answers = await at_once(*(
            customer.post("/cart/documents", data={"_csrf_token": token, "kind": "drawing"},
                          files={"document": (f"drawing{n}.pdf", PDF, "application/pdf")})
            for n in range(MAX_DOCUMENTS + 10)
        ))
    assert Counter(answer.status_code for answer in answers) == {303: MAX_DOCUMENTS, 422: 10}
    assert await count(db, Document) == MAX_DOCUMENTS
