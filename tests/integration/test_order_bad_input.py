"""Every unsafe order, cart and document route, taken from the route table, answers malformed
bodies with a 4xx or the form back, never a 500; and nothing is half-saved."""

from __future__ import annotations

import re

import pytest
from litestar.routes import HTTPRoute
from sqlalchemy import func, select

from portal.db.models import Document, Order, OrderEvent
from tests.integration.conftest import COMPANY, csrf_token, register
from tests.integration.orders import place_order, staff_login

BODIES = [
    (b"\xff\xfe\x00garbage=%%%", "application/x-www-form-urlencoded"),
    (b'{"status": "completed"}', "application/json"),
    (b"--xx\r\nContent-Disposition: form-data; name=\"document\"; filename=\"a.pdf\"\r\n\r\n%PDF-broken",
     "multipart/form-data; boundary=xx"),
    (b"", "application/x-www-form-urlencoded"),
    (b"status=" + b"x" * 5000 + b"&version=99999999999999999999&price=1e999&quantity=-0",
     "application/x-www-form-urlencoded"),
    (b"price=NaN&reason=x&version=1&note=%00&delivery_address=%00&process=%00&quantity=%00",
     "application/x-www-form-urlencoded"),
    (b"price=12&reason=%00%01&version=1&note=%00%7f", "application/x-www-form-urlencoded"),
]
DOMAIN = re.compile(r"^/(orders|admin/orders|cart|checkout|documents|notifications)")


def unsafe_routes(app) -> list[str]:
    return sorted(
        route.path for route in app.routes
        if isinstance(route, HTTPRoute) and DOMAIN.match(route.path) and route.methods & {"POST"}
    )


@pytest.mark.parametrize("body,content_type", BODIES)
async def test_malformed_bodies_never_make_a_server_error(app, client, db, body, content_type) -> None:
    await register(client, COMPANY)
    order = await place_order(db)
    await staff_login(client, db)  # staff reach every route, so the body is what is judged
    token = await csrf_token(client, "/orders")
    routes = unsafe_routes(app)
    assert len(routes) >= 10
    for path in routes:
        url = path.replace("{order_id:uuid}", str(order.id)).replace("{line_id:uuid}", str(order.lines[0].id))
        url = re.sub(r"\{\w+:uuid\}", "00000000-0000-0000-0000-000000000000", url)
        response = await client.post(url, content=body, headers={"content-type": content_type, "x-csrftoken": token},
                                     follow_redirects=False)
        assert response.status_code < 500, (path, response.status_code)
    async with db() as session:
        saved = await session.get(Order, order.id, populate_existing=True)
        assert saved.status in ("submitted", "cancelled") and saved.total == order.total
        assert await session.scalar(select(func.count()).select_from(Document)) == 0
        assert await session.scalar(
            select(func.count()).select_from(OrderEvent).where(OrderEvent.kind.in_(("price", "note")))
        ) == 0
