"""The shop's back office under simultaneous use: two staff saving the rate card from the same
version, payments, shipments and new ship-by dates sent many at once. Nothing is counted twice,
nothing is silently undone, and every refusal is a message, never a 500.

The requests really overlap: each member of staff has a browser on an app instance of their own
(one database), all in the test's event loop (Litestar's test client would take them in turn).
"""

from __future__ import annotations

import asyncio
import re
from contextlib import asynccontextmanager
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.app import create_app
from portal.db.models import Notification, Payment
from portal.quotes.ratecard_history import flat
from tests.integration.conftest import COMPANY, PERSON, csrf_token, login, register, run_queued_jobs
from tests.integration.orders import awaiting_payment, make_staff, move, order_row, place_order, staff_login
from tests.integration.test_bursts import at_once, browsers
from tests.integration.test_new_ship_by import FIELD_ERROR, ship_by_events
from tests.integration.test_quotes import editor_fields
from tests.integration.test_rate_card_versions import RATE, VAT, versions
from tests.integration.test_shipments import shipments_of

pytestmark = pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True)

SECOND = {**PERSON, "email": "desk@example.com", "full_name": "Dasha Desk"}
CHANGED = "The card changed since you opened it"
NOW_IN_CARD = re.compile(r'class="field-error" id="rate-error-[^"]+">The card now has: ([^<]*)<')


async def second_staff(client, db) -> None:
    """Another member of staff (staff_login's account again would sign the first out)."""
    await register(client, SECOND)
    await make_staff(db, SECOND["email"])
    assert (await login(client, SECOND["email"], SECOND["password"])).status_code == 303


@asynccontextmanager
async def desks(settings, db):
    """Two members of staff, each in a browser on an app instance of their own, and the customer."""
    async with browsers(create_app(settings), 2) as (first, customer), \
            browsers(create_app(settings), 1) as (second,):
        await register(customer, COMPANY)
        await staff_login(first, db)
        await second_staff(second, db)
        yield first, second, customer


def spread(desks_: tuple, count: int, post) -> list:
    """`count` requests, taken by the two desks in turn: `post(desk, n)`."""
    return [post(desks_[n % 2], n) for n in range(count)]


async def opened_editor(client) -> dict[str, str]:
    """The editor's form as a browser tab has it: its fields, the version it was opened at, a token."""
    page = (await client.get("/admin/rates")).text
    return {**editor_fields(page), "_csrf_token": await csrf_token(client, "/admin/rates")}


# ------------------------------------------------------------------------------------- rate card

async def test_a_save_over_a_card_changed_since_it_was_opened_is_refused_and_undoes_nothing(settings, db) -> None:
    async with desks(settings, db) as (first_desk, second_desk, _):
        first, second = await opened_editor(first_desk), await opened_editor(second_desk)  # one version, two tabs
        assert first["base"] == second["base"] == "0"
        old_vat, old_rate = first[VAT], first[RATE]

        assert (await first_desk.post("/admin/rates", data={**first, VAT: "0.2"})).status_code == 303
        refused = await second_desk.post("/admin/rates", data={**second, RATE: "6400"})
        assert refused.status_code == 409 and CHANGED in refused.text
        # both differences are marked: the one typed here, and the one saved meanwhile that this form would undo
        assert sorted(NOW_IN_CARD.findall(refused.text)) == sorted([old_rate, "0.2"])
        [saved] = await versions(db)
        assert (flat(saved.data)[VAT], flat(saved.data)[RATE]) == ("0.2", flat({"rate": old_rate})["rate"])

        again = editor_fields(refused.text)  # the form as shown again: what was typed, and the card it saves over now
        assert (again["base"], again[RATE], again[VAT]) == ("1", "6400", old_vat)
        kept = await second_desk.post("/admin/rates", data={**again, VAT: "0.2", "_csrf_token": second["_csrf_token"]})
        assert kept.status_code == 303
        _, latest = await versions(db)
        assert latest.number == 2 and (flat(latest.data)[VAT], flat(latest.data)[RATE]) == ("0.2", "6400")


async def test_twenty_saves_at_once_make_one_version_and_tell_the_others(settings, db) -> None:
    async with desks(settings, db) as (*staff, _):
        forms = [await opened_editor(desk) for desk in staff]
        answers = await at_once(*spread(staff, 20, lambda desk, n: desk.post(
            "/admin/rates", data={**forms[n % 2], RATE: str(6400 + n)})))
        codes = [answer.status_code for answer in answers]
        assert codes.count(303) == 1 and codes.count(409) == 19, codes
        assert all(CHANGED in answer.text for answer in answers if answer.status_code == 409)
        assert [version.number for version in await versions(db)] == [1]

        # every tab opens the card again and saves a change of its own, all at once: one more version
        forms = [await opened_editor(desk) for desk in staff]
        answers = await at_once(*spread(staff, 20, lambda desk, n: desk.post(
            "/admin/rates", data={**forms[n % 2], RATE: str(7000 + n)})))
        assert sorted(answer.status_code for answer in answers) == [303] + [409] * 19
        assert [version.number for version in await versions(db)] == [1, 2]


async def test_restoring_a_version_twenty_times_at_once_restores_it_once(settings, db) -> None:
    async with desks(settings, db) as (*staff, _):
        for rate in ("6400", "7000"):
            form = await opened_editor(staff[0])
            assert (await staff[0].post("/admin/rates", data={**form, RATE: rate})).status_code == 303
        tokens = [await csrf_token(desk, "/admin/rates") for desk in staff]
        answers = await at_once(*spread(staff, 20, lambda desk, n: desk.post(
            "/admin/rates/versions/1/restore", data={"_csrf_token": tokens[n % 2]})))
        assert {answer.status_code for answer in answers} == {303}
        assert [version.number for version in await versions(db)] == [1, 2, 3]
        assert flat((await versions(db))[2].data)[RATE] == "6400"


# ---------------------------------------------------------------------------------- payments

async def test_partial_payments_of_different_amounts_at_once_never_pass_the_total(settings, db) -> None:
    async with desks(settings, db) as (*staff, _):
        order = await place_order(db)  # 1830.00
        await awaiting_payment(staff[0], order)
        tokens = [await csrf_token(desk, f"/admin/orders/{order.id}") for desk in staff]
        answers = await at_once(*spread(staff, 22, lambda desk, n: desk.post(
            f"/admin/orders/{order.id}/payments",
            data={"amount": f"{Decimal('95.50') + n}", "method": "cash", "paid_on": "", "reference": "",
                  "_csrf_token": tokens[n % 2]})))  # 2,332.00 in all
    assert {answer.status_code for answer in answers} == {303, 422}
    assert all("more than is left to pay" in answer.text for answer in answers if answer.status_code == 422)
    async with db() as session:
        recorded = list(await session.scalars(select(Payment.amount).where(Payment.order_id == order.id)))
    row = await order_row(db, order.id)
    assert sum(recorded) == row.amount_paid <= row.total
    assert len(recorded) == sum(answer.status_code == 303 for answer in answers)


# --------------------------------------------------------------------------------- shipments

async def test_shipments_at_once_never_ship_more_than_was_ordered(settings, db) -> None:
    async with desks(settings, db) as (*staff, _):
        order = await place_order(db)
        await awaiting_payment(staff[0], order)
        assert (await move(staff[0], order, "in_production", override="Pays on delivery")).status_code == 303
        bracket, plate = (await order_row(db, order.id)).lines
        tokens = [await csrf_token(desk, f"/admin/orders/{order.id}") for desk in staff]
        answers = await at_once(*spread(staff, 20, lambda desk, n: desk.post(
            f"/admin/orders/{order.id}/shipments",
            data={"carrier": "cdek", "tracking_number": f"10000{n:02d}", f"quantity-{bracket.id}": "1",
                  f"quantity-{plate.id}": "0", "_csrf_token": tokens[n % 2]})))
    assert {answer.status_code for answer in answers} <= {303, 409, 422}
    assert all('class="field-error"' in answer.text for answer in answers if answer.status_code != 303)
    shipped = sum(int(line["quantity"]) for shipment in await shipments_of(db, order) for line in shipment.lines
                  if line["line_id"] == str(bracket.id))
    assert 1 <= shipped <= bracket.quantity
    assert shipped == sum(answer.status_code == 303 for answer in answers)
    assert (await order_row(db, order.id)).status == "in_production"  # the plate has not gone


# ----------------------------------------------------------------------------- ship-by dates

async def test_a_new_ship_by_date_sent_from_twenty_tabs_at_once_is_one_change_and_one_mail(mailing, db) -> None:
    settings, mailbox = mailing
    async with desks(settings, db) as (*staff, _):
        order = await place_order(db)
        new_date = (date.today() + timedelta(days=40)).isoformat()
        tokens = [await csrf_token(desk, f"/admin/orders/{order.id}") for desk in staff]
        answers = await at_once(*spread(staff, 20, lambda desk, n: desk.post(
            f"/admin/orders/{order.id}/ship-by",
            data={"ship_by": new_date, "ship_by_reason": "The anodising line is down", "_csrf_token": tokens[n % 2]})))
    codes = [answer.status_code for answer in answers]
    assert codes.count(303) == 1 and set(codes) <= {303, 409, 422}, codes
    assert all(FIELD_ERROR.search(answer.text) for answer in answers if answer.status_code != 303)
    assert len(await ship_by_events(db, order)) == 1
    assert (await order_row(db, order.id)).promised_ship_by.isoformat() == new_date
    async with db() as session:
        notices = list(await session.scalars(select(Notification).where(
            Notification.order_id == order.id, Notification.kind == "ship_by")))
    assert len(notices) == 1
    await run_queued_jobs(settings)
    await mailbox.await_for(COMPANY["email"])
    await asyncio.sleep(1)  # a second mail would have come as soon
    subjects = [message["Subject"] for message in mailbox.to(COMPANY["email"])]
    assert subjects.count(f"Order {order.number}: a new ship-by date") == 1
