"""Every order and document route, taken from the route table: the owner and staff get in,
everyone else gets 404 (GET and POST alike), as if the order did not exist."""

from __future__ import annotations

import re

from litestar.routes import HTTPRoute
from sqlalchemy import select

from portal.db.models import Document, Order
from tests.integration.conftest import COMPANY, csrf_token, post_form, register
from tests.integration.orders import OTHER, place_order, staff_login
from tests.integration.test_order_documents import PDF, upload

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
OBJECT_PARAMETERS = ("order_id", "document_id", "line_id")


def object_routes(app) -> list[tuple[str, str]]:
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith("/admin/"):
            continue
        if any(f"{{{name}:" in route.path for name in OBJECT_PARAMETERS):
            for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
                found.append((method, route.path))
    return found


def fill(path: str, order: Order, document: Document) -> str:
    path = path.replace("{order_id:uuid}", str(order.id)).replace("{document_id:uuid}", str(document.id))
    return path.replace("{line_id:uuid}", str(order.lines[0].id))


async def test_every_order_route_is_404_to_another_customer(app, client, other_client, db) -> None:
    await register(client, COMPANY)
    order = await place_order(db)
    assert (await upload(client, order, "a.pdf", PDF)).status_code == 303
    preview = f"previews/{'a' * 64}.png"
    await app.state.storage.put_bytes(preview, PNG)
    async with db() as session:
        document = await session.scalar(select(Document))
        order = await session.get(Order, order.id)
        order.lines[0].thumbnail_key = preview  # the part's picture, as a placed order keeps it
        await session.commit()
    routes = object_routes(app)
    assert ("GET", "/orders/{order_id:uuid}") in routes and ("GET", "/documents/{document_id:uuid}") in routes
    assert len(routes) >= 6

    await register(other_client, OTHER)
    token = await csrf_token(other_client, "/orders")
    for method, path in routes:
        url = fill(path, order, document)
        if method == "GET":
            response = await other_client.get(url, follow_redirects=False)
        else:
            response = await other_client.request(method, url, data={"_csrf_token": token}, follow_redirects=False)
        assert response.status_code == 404, (method, path, response.status_code)
        mine = await client.get(url, follow_redirects=False) if method == "GET" else None
        # the invoice exists from "awaiting payment" on, a thumbnail only for a photo: else its owner
        # (and staff) find none either
        expected = (200, 404) if path.endswith(("/invoice.pdf", "/thumbnail.png")) else (200,)
        assert mine is None or mine.status_code in expected, (path, mine.status_code)
    assert (await client.get(f"/orders/{order.id}")).status_code == 200  # nothing was changed by them

    await staff_login(other_client, db)
    for method, path in routes:
        if method == "GET":
            expected = (200, 404) if path.endswith(("/invoice.pdf", "/thumbnail.png")) else (200,)
            assert (await other_client.get(fill(path, order, document))).status_code in expected, path


async def test_the_staff_order_area_is_404_to_customers(app, client, db) -> None:
    await register(client, COMPANY)
    order = await place_order(db)
    token = await csrf_token(client, "/orders")
    admin_routes = [(m, r.path) for r in app.routes if isinstance(r, HTTPRoute) and r.path.startswith("/admin/orders")
                    for m in sorted(r.methods - {"HEAD", "OPTIONS"})]
    assert len(admin_routes) >= 6
    for method, path in admin_routes:
        url = re.sub(r"\{order_id:uuid\}", str(order.id), path)
        url = re.sub(r"\{line_id:uuid\}", str(order.lines[0].id), url)
        response = await client.request(method, url, data={"_csrf_token": token} if method != "GET" else None,
                                         follow_redirects=False)
        assert response.status_code == 404, (method, path, response.status_code)


async def test_visitors_are_sent_to_log_in(client, other_client, db) -> None:
    await register(client, COMPANY)
    order = await place_order(db)
    response = await other_client.get(f"/orders/{order.id}", follow_redirects=False)
    assert response.status_code in (302, 303) and response.headers["location"].startswith("/login")


async def test_a_poll_after_the_session_ended_goes_to_the_login_and_back_to_its_page(client, db) -> None:
    """The order page polls its live fragment; once the session has ended the poll gets a client
    redirect (not a 302 that htmx would swap into the fragment) to the login, which then leads
    back to the page, not to the fragment."""
    await register(client, COMPANY)
    order = await place_order(db)
    await post_form(client, "/logout", {})  # as good as an expired session
    page = f"/orders/{order.id}"
    poll = {"HX-Request": "true", "HX-Current-URL": f"http://testserver.local{page}?tab=1"}
    response = await client.get(f"{page}/live", headers=poll, follow_redirects=False)
    assert response.status_code == 200 and "location" not in response.headers
    login_url = response.headers["hx-redirect"]
    assert login_url == f"/login?next=%2Forders%2F{order.id}%3Ftab%3D1"

    form = await client.get(login_url)
    assert f'value="{page}?tab=1"' in form.text
    back = await post_form(client, "/login", {"email": COMPANY["email"], "password": COMPANY["password"],
                                              "next": f"{page}?tab=1"}, login_url)
    assert back.status_code == 303 and back.headers["location"] == f"{page}?tab=1"
    assert (await client.get(back.headers["location"])).status_code == 200


async def test_a_poll_from_another_site_s_page_goes_to_the_login_without_next(client) -> None:
    response = await client.get(
        "/orders/00000000-0000-0000-0000-000000000001/live", follow_redirects=False,
        headers={"HX-Request": "true", "HX-Current-URL": "http://evil.example.com/orders/1"},
    )
    assert response.headers["hx-redirect"] == "/login"


async def test_a_boosted_link_goes_to_the_login_and_back_to_the_page_it_asked_for(client) -> None:
    response = await client.get(
        "/account?tab=2", follow_redirects=False,
        headers={"HX-Request": "true", "HX-Boosted": "true", "HX-Current-URL": "http://testserver.local/"},
    )
    assert response.headers["hx-redirect"] == "/login?next=%2Faccount%3Ftab%3D2"
