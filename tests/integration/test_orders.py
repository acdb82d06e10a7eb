"""Orders on PostgreSQL: placing once per submit, the lifecycle, prices by hand, notices, the PDF."""

from __future__ import annotations

import asyncio
import io
import re
import secrets
from dataclasses import replace

import pytest
from arq.worker import Worker
from pypdf import PdfReader
from sqlalchemy import func, select

from jobs.context import build_context
from jobs.worker import WorkerSettings
from portal.app import create_app
from portal.db.models import Notification, Order, OrderEvent
from tests.integration.conftest import COMPANY, csrf_token, post_form, register
from tests.integration.orders import (
    STAFF,
    order_row,
    place_order,
    priced_line,
    review_line,
    staff_login,
)
from tests.smtp import body_of

STATUS = re.compile(r'data-testid="order-status">([^<]+)<')
VERSION = re.compile(r'name="version" value="(\d+)"')


async def run_worker(settings) -> None:
    """The arq worker in burst mode: what it finds queued (the mail), it does, then it stops."""
    worker = Worker(
        functions=WorkerSettings.functions,
        queue_name=WorkerSettings.queue_name,
        redis_settings=settings.redis.get_config(),
        on_startup=None,
        burst=True,
        poll_delay=0.05,
        ctx=build_context(settings),
    )
    await worker.async_run()
    await worker.close()


async def count(db, model, *where) -> int:
    async with db() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where))


async def move(client, order, status: str, note: str = "", version: str | None = None, override: str = ""):
    page = await client.get(f"/admin/orders/{order.id}")
    seen = version or VERSION.search(page.text).group(1)
    return await post_form(client, f"/admin/orders/{order.id}/status",
                           {"status": status, "note": note, "version": seen, "override_reason": override},
                           f"/admin/orders/{order.id}")


async def test_an_order_keeps_every_line_and_the_totals(client, db) -> None:
    await register(client, COMPANY)
    order = await place_order(db)
    assert order.number > 1000 and order.status == "submitted"
    page = await client.get(f"/orders/{order.id}")
    assert page.status_code == 200
    assert "bracket.stl" in page.text and "plate.step" in page.text
    assert STATUS.search(page.text).group(1) == "Submitted"
    assert "PO-77" in page.text
    assert "₽1,830.00" in page.text  # 1220 + 610, VAT included
    listing = await client.get("/orders")
    assert f"Order {order.number}" in listing.text and "₽1,830.00" in listing.text
    saved = await order_row(db, order.id)
    assert (saved.subtotal, saved.vat, saved.total) == (
        saved.total - saved.vat, round(saved.total * 22 / 122, 2), 1830
    )


@pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True)
async def test_the_same_submit_key_twice_gives_one_order(client, db) -> None:
    await register(client, COMPANY)
    key = secrets.token_urlsafe(24)
    first = await place_order(db, key=key)
    second = await place_order(db, key=key)
    assert first.id == second.id
    assert await count(db, Order) == 1


@pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True)
async def test_twenty_simultaneous_submits_of_one_form_place_one_order(client, db) -> None:
    await register(client, COMPANY)
    key = secrets.token_urlsafe(24)
    orders = await asyncio.gather(*(place_order(db, key=key) for _ in range(20)))
    assert len({order.id for order in orders}) == 1
    assert await count(db, Order) == 1
    assert await count(db, OrderEvent, OrderEvent.kind == "placed") == 1


@pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True)
async def test_simultaneous_orders_get_distinct_numbers(client, db) -> None:
    await register(client, COMPANY)
    orders = await asyncio.gather(*(place_order(db) for _ in range(20)))
    assert len({order.number for order in orders}) == 20


async def test_staff_walk_the_order_to_production_and_the_customer_is_told(settings, db, smtp) -> None:
    url, mailbox = smtp
    settings = replace(settings, mail=replace(settings.mail, smtp_url=url))
    from litestar.testing import AsyncTestClient

    async with AsyncTestClient(app=create_app(settings)) as customer, \
            AsyncTestClient(app=create_app(settings)) as staff:
        await register(customer, COMPANY)
        order = await place_order(db, language="ru")
        await staff_login(staff, db)
        for status in ("in_review", "awaiting_payment", "in_production"):
            production = status == "in_production"
            response = await move(staff, order, status, note="Всё по плану" if production else "",
                                  override="A regular customer: pays on delivery" if production else "")
            assert response.status_code == 303, response.text
        live = await customer.get(f"/orders/{order.id}/live", headers={"HX-Request": "true"})
        assert "<html" not in live.text
        assert STATUS.search(live.text).group(1) == "In production"
        assert 'hx-trigger="every 3s"' in live.text
        notices = await customer.get("/notifications")
        assert notices.text.count("is now:") == 3
        badge = await customer.get("/notifications/unread", headers={"HX-Request": "true"})
        assert 'data-testid="unread-count"' in badge.text and ">3<" in badge.text
        await post_form(customer, "/notifications/read", {}, "/notifications")
        assert "unread-count" not in (await customer.get("/notifications/unread")).text
        await run_worker(settings)
        messages = await mailbox.await_for(COMPANY["email"], count=3)
        [last] = [m for m in messages if "В производстве" in m["Subject"]]
        assert f"Заказ {order.number}" in last["Subject"]
        body = body_of(last)
        assert "Всё по плану" in body and f"/orders/{order.id}" in body


async def test_illegal_transitions_are_refused_and_change_nothing(client, db) -> None:
    await register(client, COMPANY)
    order = await place_order(db)
    await staff_login(client, db)
    for wanted in ("completed", "shipped", "in_production", "submitted", "no-such-status"):
        response = await move(client, order, wanted)
        assert response.status_code == 422, wanted
        assert "not allowed" in response.text or "Choose the new status" in response.text
    saved = await order_row(db, order.id)
    assert saved.status == "submitted" and saved.version == 1
    assert await count(db, OrderEvent, OrderEvent.kind == "status") == 0
    assert await count(db, Notification) == 0

    assert (await move(client, order, "cancelled")).status_code == 303
    refused = await move(client, order, "in_review", version="2")
    assert refused.status_code == 422 and "finished" in refused.text


async def test_two_staff_on_the_same_page_one_wins_and_the_other_is_told(client, other_client, db) -> None:
    await register(client, COMPANY)
    order = await place_order(db)
    await staff_login(client, db)
    from tests.integration.conftest import login

    assert (await login(other_client, STAFF["email"], STAFF["password"])).status_code == 303
    first = await move(client, order, "in_review", version="1")
    second = await move(other_client, order, "cancelled", version="1")
    assert first.status_code == 303
    assert second.status_code == 409
    assert "Someone changed this order" in second.text
    assert STATUS.search(second.text).group(1) == "In review"  # the page shows the current state
    saved = await order_row(db, order.id)
    assert saved.status == "in_review" and saved.version == 2


@pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True)
async def test_twenty_simultaneous_status_changes_one_wins(client, db) -> None:
    await register(client, COMPANY)
    order = await place_order(db)
    await staff_login(client, db)
    token = await csrf_token(client, f"/admin/orders/{order.id}")

    async def change(status: str):
        return await client.post(
            f"/admin/orders/{order.id}/status",
            data={"status": status, "version": "1", "note": "", "_csrf_token": token},
            follow_redirects=False,
        )

    answers = await asyncio.gather(*(change("in_review" if n % 2 else "cancelled") for n in range(20)))
    codes = sorted(answer.status_code for answer in answers)
    assert codes.count(303) == 1 and codes.count(409) == 19, codes
    assert await count(db, OrderEvent, OrderEvent.kind == "status") == 1
    assert (await order_row(db, order.id)).version == 2


async def test_parts_that_need_review_wait_for_a_price_before_payment(client, db) -> None:
    await register(client, COMPANY)
    order = await place_order(db, lines=[priced_line(), review_line()])
    await staff_login(client, db)
    assert (await move(client, order, "in_review")).status_code == 303
    refused = await move(client, order, "awaiting_payment")
    assert refused.status_code == 422 and "no price yet" in refused.text
    saved = await order_row(db, order.id)
    line = next(line for line in saved.lines if line.needs_price)

    bad = await post_form(client, f"/admin/orders/{order.id}/lines/{line.id}/price",
                          {"price": "abc", "reason": "", "version": "2"}, f"/admin/orders/{order.id}")
    assert bad.status_code == 422
    assert "as a number" in bad.text and "Say why" in bad.text
    priced = await post_form(client, f"/admin/orders/{order.id}/lines/{line.id}/price",
                             {"price": "5 000,50", "reason": "Manual quote: five-axis work", "version": "2"},
                             f"/admin/orders/{order.id}")
    assert priced.status_code == 303
    saved = await order_row(db, order.id)
    assert not saved.needs_review and saved.total == 1220 + 5000.50
    assert (await move(client, order, "awaiting_payment")).status_code == 303


async def test_the_reason_for_a_price_set_by_hand_stays_with_staff(client, other_client, db) -> None:
    reason = "Competitor undercut us, margin cut to 5"
    await register(other_client, COMPANY)
    order = await place_order(db, lines=[priced_line(), review_line()])
    await staff_login(client, db)
    assert (await move(client, order, "in_review")).status_code == 303
    line = next(line for line in (await order_row(db, order.id)).lines if line.needs_price)
    priced = await post_form(client, f"/admin/orders/{order.id}/lines/{line.id}/price",
                             {"price": "5000", "reason": reason, "version": "2"}, f"/admin/orders/{order.id}")
    assert priced.status_code == 303
    assert (await client.get(f"/admin/orders/{order.id}")).text.count(reason) == 2  # the line and the timeline

    page = (await other_client.get(f"/orders/{order.id}")).text
    assert reason not in page and "Price set by our staff." in page
    pdf = await other_client.get(f"/orders/{order.id}/quote.pdf")
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages).split())
    assert "Competitor" not in text and "Price set by our staff." in text


async def test_the_customer_cancels_before_production_only(client, db) -> None:
    await register(client, COMPANY)
    first = await place_order(db)
    assert (await post_form(client, f"/orders/{first.id}/cancel", {}, f"/orders/{first.id}")).status_code == 303
    assert (await order_row(db, first.id)).status == "cancelled"

    second = await place_order(db)
    async with db() as session:
        row = await session.get(Order, second.id)
        row.status = "in_production"
        await session.commit()
    response = await post_form(client, f"/orders/{second.id}/cancel", {}, f"/orders/{second.id}")
    assert response.status_code == 303
    page = await client.get(f"/orders/{second.id}")
    assert "can no longer be cancelled" in page.text
    assert (await order_row(db, second.id)).status == "in_production"


async def test_internal_notes_are_for_staff_only(client, other_client, db) -> None:
    await register(other_client, COMPANY)
    order = await place_order(db)
    await staff_login(client, db)
    empty = await post_form(client, f"/admin/orders/{order.id}/notes", {"note": "  "}, f"/admin/orders/{order.id}")
    assert empty.status_code == 422 and "Write the note first" in empty.text
    saved = await post_form(client, f"/admin/orders/{order.id}/notes", {"note": "Customer is slow to pay"},
                            f"/admin/orders/{order.id}")
    assert saved.status_code == 303
    assert "Customer is slow to pay" in (await client.get(f"/admin/orders/{order.id}")).text
    assert "Customer is slow to pay" not in (await other_client.get(f"/orders/{order.id}")).text


async def test_admin_list_filters_and_live_fragment(client, other_client, db) -> None:
    await register(other_client, COMPANY)
    first = await place_order(db)
    second = await place_order(db)
    await staff_login(client, db)
    await move(client, second, "in_review")
    page = await client.get("/admin/orders")
    assert "<html" in page.text and f"Order {first.number}" in page.text
    fragment = await client.get("/admin/orders?status=in_review", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and 'id="order-table"' in fragment.text
    assert f"Order {second.number}<" in fragment.text and f"Order {first.number}<" not in fragment.text
    by_text = await client.get("/admin/orders?q=zavod", headers={"HX-Request": "true"})
    assert "2 orders" in by_text.text
    for wildcard in ("%", "_", "\\"):  # typed literally: no order holds them
        assert "No orders match." in (await client.get("/admin/orders", params={"q": wildcard})).text, wildcard
    customer = (await order_row(db, first.id)).customer_id
    mine = await client.get(f"/admin/orders?customer={customer}")
    assert "Orders of Oleg Smirnov" in mine.text
    nobody = await client.get("/admin/orders?date_from=2000-01-01&date_to=2000-01-02")
    assert "No orders match." in nobody.text
    junk = await client.get("/admin/orders?date_from=yesterday&customer=me&status=odd")
    assert junk.status_code == 200 and "2 orders" in junk.text
    user_page = await client.get(f"/admin/users/{customer}")
    assert f"/admin/orders?customer={customer}" in user_page.text


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_the_quote_pdf_opens_and_reads_in_the_language(client, db, language) -> None:
    await register(client, COMPANY)
    order = await place_order(db, lines=[priced_line("кронштейн.stl"), review_line()])
    client.cookies.set("lang", language, domain="testserver.local")
    response = await client.get(f"/orders/{order.id}/quote.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert f"quote-{order.number}.pdf" in response.headers["content-disposition"]
    reader = PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "кронштейн.stl" in text and "OOO Zavod" in text
    assert ("Коммерческое предложение" if language == "ru" else "Quote for order") in text
    assert ("Действительно до" if language == "ru" else "Valid until") in text
