"""The unit of work commits once, then runs its after-commit callbacks; a request or job that
fails runs none of them, so nothing is queued or mailed about a change that was not saved."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.db.models import BitrixSyncRow, CallRequest, Order, User
from portal.db.unit_of_work import after_commit, unit_of_work
from portal.leads import controllers as leads_controllers
from portal.orders import admin as orders_admin
from portal.orders.services import OrderService
from tests.integration.conftest import COMPANY, csrf_token, register
from tests.integration.orders import order_row, place_order, staff_login
from tests.integration.test_leads import GOOD, HTMX
from tests.integration.test_orders import move


async def stored_calls(db) -> int:
    async with db() as session:
        return await session.scalar(select(func.count()).select_from(CallRequest))


@pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True)
async def test_the_sync_is_asked_for_only_once_the_request_is_saved(client, db, monkeypatch) -> None:
    seen = []

    async def kick(queue, enabled, row_ids):  # what the CRM sync is asked, and what it would find
        seen.append((row_ids, await stored_calls(db)))

    monkeypatch.setattr(leads_controllers, "kick", kick)
    token = await csrf_token(client)
    answer = await client.post("/call-request", data={**GOOD, "_csrf_token": token}, follow_redirects=False)
    assert answer.status_code == 303
    assert len(seen) == 1 and seen[0][1] == 1  # asked once, and the request was committed by then


@pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True)
async def test_a_request_that_fails_after_asking_for_a_job_asks_for_none(client, db, monkeypatch) -> None:
    seen = []

    async def kick(queue, enabled, row_ids):
        seen.append(row_ids)

    def broken_render(*args, **kwargs):
        raise RuntimeError("the page failed after the request was stored")

    monkeypatch.setattr(leads_controllers, "kick", kick)
    monkeypatch.setattr(leads_controllers, "render", broken_render)
    token = await csrf_token(client)
    answer = await client.post("/call-request", data=GOOD, headers={**HTMX, "x-csrftoken": token})
    assert answer.status_code == 500
    assert seen == []
    assert await stored_calls(db) == 0
    async with db() as session:
        assert await session.scalar(select(func.count()).select_from(BitrixSyncRow)) == 0


async def test_no_mail_for_a_status_change_that_was_rolled_back(client, db, monkeypatch) -> None:
    await register(client, COMPANY)
    order = await place_order(db)
    await staff_login(client, db)
    told = []

    async def tell_customer(mail, order, link, note=""):
        told.append(order.status)

    def broken_flash(*args, **kwargs):
        raise RuntimeError("the answer failed after the change was made")

    monkeypatch.setattr(orders_admin, "tell_customer", tell_customer)
    monkeypatch.setattr(orders_admin, "flash", broken_flash)
    assert (await move(client, order, "in_review")).status_code == 500
    assert told == []
    assert (await order_row(db, order.id)).status == "submitted"

    monkeypatch.undo()
    monkeypatch.setattr(orders_admin, "tell_customer", tell_customer)
    assert (await move(client, order, "in_review")).status_code == 303
    assert told == ["in_review"]
    assert (await order_row(db, order.id)).status == "in_review"


@pytest.mark.parametrize("mode", ["embedded"], indirect=True)
async def test_a_job_runs_its_callbacks_after_its_commit_and_none_when_it_fails(client, db) -> None:
    await register(client, COMPANY)
    order = await place_order(db)
    seen = []

    async def status_now():
        async with db() as session:
            seen.append((await session.get(Order, order.id, populate_existing=True)).status)

    with pytest.raises(RuntimeError):
        async with unit_of_work(db, OrderService) as orders:
            await orders.cancel(order.id, await orders.repository.session.get(User, order.customer_id))
            after_commit(orders.repository.session, status_now)
            raise RuntimeError("the job failed")
    assert seen == []
    assert (await order_row(db, order.id)).status == "submitted"

    async with unit_of_work(db, OrderService) as orders:
        await orders.cancel(order.id, await orders.repository.session.get(User, order.customer_id))
        after_commit(orders.repository.session, status_now)
    assert seen == ["cancelled"]
