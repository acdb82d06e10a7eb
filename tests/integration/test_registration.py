"""Registration that tells nobody whether an address has an account, and keeps its pace per address.

A new address is logged in at once. An address that has an account gets the "check your e-mail"
answer; its owner gets a notice by e-mail; nothing changes on the account.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from portal.app import create_app
from portal.db.models import User
from tests.integration.conftest import PERSON, login, register, run_queued_jobs
from tests.smtp import links_in

NOTICE = "Someone tried to register with your e-mail address"
INTRUDER = {**PERSON, "full_name": "Eve Intruder", "password": "eve's own secret 1",
            "password_confirm": "eve's own secret 1"}


async def users_in(db) -> int:
    async with db() as session:
        return await session.scalar(select(func.count()).select_from(User))


@pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True)
async def test_a_taken_address_is_answered_like_any_other_and_its_owner_is_told(mailing, db) -> None:
    settings, mailbox = mailing
    async with AsyncTestClient(app=create_app(settings)) as owner, AsyncTestClient(app=create_app(settings)) as eve:
        created = await register(owner)
        assert created.status_code == 303 and created.headers["location"] == "/account"  # in at once

        again = await register(eve, INTRUDER)
        assert again.status_code == 303 and again.headers["location"] == "/register/sent"
        page = await eve.get("/register/sent")
        assert "Check your e-mail" in page.text
        assert "already" not in page.text and "exists" not in page.text
        assert (await eve.get("/account", follow_redirects=False)).status_code in (302, 303)

        await run_queued_jobs(settings)
        [notice] = await mailbox.await_for(PERSON["email"])
        assert notice["Subject"] == NOTICE
        paths = {urlsplit(link).path for link in links_in(notice)}
        assert paths == {"/login", "/password-reset"}

        # Nothing changed on the account: the owner's session and password still work.
        assert (await owner.get("/account", follow_redirects=False)).status_code == 200
        assert (await login(eve, PERSON["email"], INTRUDER["password"])).status_code == 422
        assert (await login(eve, PERSON["email"], PERSON["password"])).status_code == 303
    assert await users_in(db) == 1


async def test_the_same_answer_for_a_look_alike_spelling_of_a_taken_address(mailing) -> None:
    settings, mailbox = mailing
    async with AsyncTestClient(app=create_app(settings)) as owner, AsyncTestClient(app=create_app(settings)) as eve:
        await register(owner)
        full_width = "ｍａｒｉａ@ｅｘａｍｐｌｅ.ｃｏｍ"  # NFKC makes it the same address
        again = await register(eve, {**INTRUDER, "email": full_width})
        assert again.status_code == 303 and again.headers["location"] == "/register/sent"
        await run_queued_jobs(settings)
        await mailbox.await_for(PERSON["email"])


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True)
async def test_registrations_are_limited_per_client_address(settings, db) -> None:
    limited = replace(settings, auth=replace(settings.auth, address_registrations=3))
    async with AsyncTestClient(app=create_app(limited)) as client:
        for n in range(3):
            done = await register(client, {**PERSON, "email": f"person{n}@example.com"})
            assert done.status_code == 303
            client.cookies.clear()
        refused = await register(client, {**PERSON, "email": "person3@example.com"})
        assert refused.status_code == 429
        assert "Too many registrations from your network." in refused.text
        assert "Please try again in 60 minutes." in refused.text
        assert 'value="person3@example.com"' in refused.text  # the form comes back as typed
    assert await users_in(db) == 3


async def test_notices_to_one_address_are_limited(mailing) -> None:
    settings, mailbox = mailing
    settings = replace(settings, auth=replace(settings.auth, account_mails=2))
    async with AsyncTestClient(app=create_app(settings)) as owner, AsyncTestClient(app=create_app(settings)) as eve:
        await register(owner)
        for _ in range(4):
            again = await register(eve, INTRUDER)
            assert again.status_code == 303 and again.headers["location"] == "/register/sent"
        await run_queued_jobs(settings)  # returns once every queued job has run
        assert len(mailbox.to(PERSON["email"])) == 2


async def test_invalid_input_is_not_counted_against_the_address(settings) -> None:
    limited = replace(settings, auth=replace(settings.auth, address_registrations=1))
    async with AsyncTestClient(app=create_app(limited)) as client:
        for _ in range(3):
            assert (await register(client, {**PERSON, "email": "not-an-address"})).status_code == 422
        assert (await register(client)).status_code == 303
