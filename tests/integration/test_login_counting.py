"""Which login attempts count towards a lockout: only those judged and failed.

A database outage counts nothing (and answers a plain 503 page), the right password clears the
account's failures, a refused attempt does not extend the address's count, and many right
passwords at once leave nobody locked out.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest
from sqlalchemy.exc import OperationalError

from portal.accounts.passwords import Passwords
from portal.accounts.services import UserService
from portal.app import create_app
from portal.db.models import User
from tests.integration.conftest import PERSON
from tests.integration.test_bursts import at_once, browsers, post_with_token

pytestmark = pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True)

EMAIL, PASSWORD = PERSON["email"], PERSON["password"]


async def add_user(settings, db, email: str = EMAIL) -> None:
    async with db() as session:
        session.add(User(email=email, full_name="Maria", password_hash=await Passwords(settings.auth).hash(PASSWORD)))
        await session.commit()


async def log_in(browser, password: str, email: str = EMAIL):
    return await post_with_token(browser, "/login", {"email": email, "password": password})


async def test_logins_during_a_database_outage_do_not_lock_the_account(settings, db, monkeypatch) -> None:
    await add_user(settings, db)
    limit = settings.auth.account_failures
    async with browsers(create_app(settings), 1) as (browser,):
        working = UserService.get_one_or_none

        async def unreachable(self, *args, **kwargs):
            raise OperationalError("SELECT user_account", {}, ConnectionRefusedError("connection refused"))

        monkeypatch.setattr(UserService, "get_one_or_none", unreachable)
        answers = [await log_in(browser, PASSWORD) for _ in range(limit + 3)]
        assert {answer.status_code for answer in answers} == {503}
        assert "cannot reach its data store" in answers[0].text and "Traceback" not in answers[0].text
        monkeypatch.setattr(UserService, "get_one_or_none", working)

        assert (await log_in(browser, PASSWORD)).status_code == 303


async def test_many_right_passwords_at_once_leave_the_account_open(settings, db) -> None:
    await add_user(settings, db)
    app = create_app(settings)
    async with browsers(app, 41) as browsers_:
        answers = await at_once(*(log_in(browser, PASSWORD) for browser in browsers_[:40]))
        statuses = Counter(answer.status_code for answer in answers)
        assert set(statuses) <= {303, 429} and statuses[303] >= settings.auth.account_failures, statuses
        # those not judged are told to try again in a moment, not that they are locked out
        assert all("under way at once" in answer.text for answer in answers if answer.status_code == 429)
        assert (await log_in(browsers_[40], PASSWORD)).status_code == 303


async def test_the_right_password_clears_the_accounts_failures(settings, db) -> None:
    await add_user(settings, db)
    limit = settings.auth.account_failures
    async with browsers(create_app(settings), 1) as (browser,):
        assert [(await log_in(browser, f"wrong {n}")).status_code for n in range(limit - 1)] == [422] * (limit - 1)
        assert (await log_in(browser, PASSWORD)).status_code == 303
        browser.cookies.clear()
        # a fresh allowance: `limit` wrong passwords are judged, the next attempt is refused
        assert [(await log_in(browser, f"again {n}")).status_code for n in range(limit)] == [422] * limit
        assert (await log_in(browser, PASSWORD)).status_code == 429


async def test_refused_attempts_do_not_count_against_the_address(settings, db) -> None:
    await add_user(settings, db)
    limit = settings.auth.account_failures
    strict = replace(settings, auth=replace(settings.auth, address_failures=limit + 3))
    async with browsers(create_app(strict), 1) as (browser,):
        assert [(await log_in(browser, f"wrong {n}")).status_code for n in range(limit)] == [422] * limit
        assert {(await log_in(browser, PASSWORD)).status_code for _ in range(10)} == {429}  # the account is locked
        # the address has `limit` failures, not `limit` + 10: three more guesses are judged
        others = [(await log_in(browser, "a guess", f"other{n}@example.com")).status_code for n in range(4)]
        assert others == [422, 422, 422, 429]
