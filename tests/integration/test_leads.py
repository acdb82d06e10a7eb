"""Call requests through the app: checks, the in-place answer, anti-spam, staff pages."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from portal.db.models import BitrixSyncRow, CallRequest
from tests.integration.conftest import COMPANY, PERSON, csrf_token, login, post_form, register

GOOD = {"name": "Анна", "phone": "+7 912 345-67-00", "email": "", "comment": "Фрезеровка",
        "preferred_time": "после 15", "page": "/login"}
HTMX = {"HX-Request": "true", "HX-Current-URL": "http://testserver/login"}


async def counts(db) -> tuple[int, int]:
    async with db() as session:
        calls = await session.scalar(select(func.count()).select_from(CallRequest))
        rows = await session.scalar(select(func.count()).select_from(BitrixSyncRow).where(
            BitrixSyncRow.entity_type == "lead"))
    return calls, rows


@pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True)
async def test_a_call_request_without_javascript_goes_back_to_the_page_with_thanks(client, db) -> None:
    answer = await post_form(client, "/call-request", GOOD)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    page = await client.get("/login")
    assert "We will call you back soon" in page.text
    assert await counts(db) == (1, 1)
    async with db() as session:
        call = await session.scalar(select(CallRequest))
        row = await session.scalar(select(BitrixSyncRow))
    assert call.phone == "+79123456700" and row.entity_id == str(call.id) and row.status == "pending"
    assert row.payload["preferred_time"] == "после 15" and row.payload["page"] == "/login"


async def test_with_htmx_the_form_answers_in_place(client, db) -> None:
    opened = await client.get("/call-request", headers=HTMX)
    assert opened.status_code == 200 and "<html" not in opened.text
    assert 'name="page" value="/login"' in opened.text  # the page the visitor is on
    token = await csrf_token(client)
    answer = await client.post("/call-request", data={**GOOD, "phone": "12"}, headers={**HTMX, "x-csrftoken": token})
    assert answer.status_code == 422 and "<html" not in answer.text
    assert "does not look like a phone number" in answer.text and 'value="Анна"' in answer.text
    answer = await client.post("/call-request", data=GOOD, headers={**HTMX, "x-csrftoken": token})
    assert answer.status_code == 200 and 'data-testid="call-request-done"' in answer.text
    assert await counts(db) == (1, 1)


@pytest.mark.parametrize("changes, message", [
    ({"name": ""}, "Please tell us your name."),
    ({"phone": ""}, "Please enter a phone number"),
    ({"phone": "+7 000"}, "does not look like a phone number"),
    ({"phone": "x" * 40}, "This is too long."),
    ({"email": "not-an-address"}, "valid e-mail address"),
    ({"comment": "x" * 2001}, "This is too long."),
])
async def test_bad_input_gets_a_message_and_stores_nothing(client, db, changes, message) -> None:
    answer = await post_form(client, "/call-request", {**GOOD, **changes})
    assert answer.status_code == 422 and message in answer.text
    assert await counts(db) == (0, 0)


async def test_the_way_back_is_always_a_page_of_this_site(client, db) -> None:
    for number, page in enumerate(("https://evil.example/", "//evil.example/", "/\\evil.example", "")):
        answer = await post_form(client, "/call-request", {**GOOD, "phone": f"+7 912 345-67-1{number}", "page": page})
        assert answer.status_code == 303 and answer.headers["location"] == "/", page


async def test_a_bot_filling_the_hidden_field_is_thanked_and_ignored(client, db) -> None:
    answer = await post_form(client, "/call-request", {**GOOD, "website": "http://spam.example"})
    assert answer.status_code == 303
    assert await counts(db) == (0, 0)


@pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True)
async def test_twenty_requests_at_once_from_one_address_store_five(client, db) -> None:
    token = await csrf_token(client)

    async def send(number: int):
        data = {**GOOD, "phone": f"+7 912 345-67-{number:02d}", "_csrf_token": token}
        return await client.post("/call-request", data=data, follow_redirects=False)

    answers = await asyncio.gather(*(send(n) for n in range(20)))
    assert sorted(a.status_code for a in answers) == [303] * 5 + [422] * 15
    assert "We already have several requests from you" in next(a.text for a in answers if a.status_code == 422)
    assert await counts(db) == (5, 5)


@pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True)
async def test_a_burst_across_two_app_processes_stores_three_for_one_phone(client, other_client, db) -> None:
    """The limit is counted in the shared store (Redis, or the database), not in one process."""
    tokens = [await csrf_token(client), await csrf_token(other_client)]

    async def send(number: int):
        browser = (client, other_client)[number % 2]
        data = {**GOOD, "_csrf_token": tokens[number % 2]}
        return await browser.post("/call-request", data=data, follow_redirects=False)

    answers = await asyncio.gather(*(send(n) for n in range(24)))
    assert sorted(a.status_code for a in answers) == [303] * 3 + [422] * 21
    assert await counts(db) == (3, 3)


async def test_one_phone_number_at_most_three_times_a_day(client, other_client, db) -> None:
    for _ in range(3):
        assert (await post_form(client, "/call-request", GOOD)).status_code == 303
    assert (await post_form(other_client, "/call-request", GOOD)).status_code == 422
    assert await counts(db) == (3, 3)


async def test_staff_see_requests_and_the_queue_others_get_404(client, other_client, db, settings) -> None:
    await post_form(other_client, "/call-request", GOOD)
    await register(client, COMPANY)
    for path in ("/admin/leads", "/admin/crm"):
        assert (await client.get(path)).status_code == 404
    assert (await client.post("/admin/crm/1/retry", data={"_csrf_token": await csrf_token(client)})).status_code == 404

    await make_staff(db, COMPANY["email"])
    await login(client, COMPANY["email"], COMPANY["password"])
    leads = await client.get("/admin/leads")
    assert leads.status_code == 200 and "Анна" in leads.text and "+79123456700" in leads.text
    queue = await client.get("/admin/crm")
    assert "not connected" in queue.text  # Bitrix24 is off in this test: rows wait as pending
    assert queue.text.count('data-testid="crm-row"') == 3  # the lead, and the contact and company registered
    pending = await client.get("/admin/crm?status=pending")
    assert pending.status_code == 200
    assert (await client.get("/admin/crm?status=nonsense")).status_code == 200
    assert (await client.get("/admin/crm?page=0")).status_code == 400


async def make_staff(db, email: str) -> None:
    from portal.db.models import User

    async with db() as session:
        user = await session.scalar(select(User).where(User.email == email))
        user.is_staff = True
        user.session_version += 1
        await session.commit()


async def test_staff_retry_a_dead_row(client, db) -> None:
    await register(client, PERSON)
    await make_staff(db, PERSON["email"])
    await login(client, PERSON["email"], PERSON["password"])
    async with db() as session:
        row = (await session.scalars(select(BitrixSyncRow))).first()
        row.status, row.attempts, row.last_error = "dead", 10, "NO_AUTH_FOUND Wrong authorization data"
        await session.commit()
    page = await client.get("/admin/crm?status=dead")
    assert "NO_AUTH_FOUND Wrong authorization data" in page.text
    answer = await post_form(client, f"/admin/crm/{row.id}/retry", {}, token_from="/admin/crm")
    assert answer.status_code == 303
    async with db() as session:
        row = await session.get(BitrixSyncRow, row.id)
    assert (row.status, row.attempts) == ("pending", 0)


async def test_registration_and_profile_changes_write_contact_and_company_rows(client, db) -> None:
    await register(client, COMPANY)
    async with db() as session:
        rows = list(await session.scalars(select(BitrixSyncRow).order_by(BitrixSyncRow.id)))
    assert [(r.entity_type, r.payload["inn"]) for r in rows] == [
        ("contact", COMPANY["inn"]), ("company", COMPANY["inn"])]
    profile = {k: v for k, v in COMPANY.items() if not k.startswith("password")}
    changed = {**profile, "phone": "+7 900 000-00-00"}
    assert (await post_form(client, "/account", changed, "/account")).status_code == 303
    assert (await post_form(client, "/account", changed, "/account")).status_code == 303
    async with db() as session:
        rows = list(await session.scalars(select(BitrixSyncRow).order_by(BitrixSyncRow.id)))
    assert len(rows) == 4  # one more contact and company row for the change; none for saving it unchanged
    assert rows[-1].payload["phone"] == "+79000000000"  # as Bitrix24 matches duplicates on it
