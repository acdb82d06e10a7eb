"""Staff's users area: search, paging, activate/deactivate, staff and superuser rights."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.db.models import User
from tests.integration.conftest import COMPANY, CSRF_META, PERSON, login, post_form, register

ADMIN = {**PERSON, "email": "boss@example.com", "full_name": "Big Boss"}


async def make_staff(db, email: str, superuser: bool = False) -> User:
    async with db() as session:
        user = await session.scalar(select(User).where(User.email == email))
        user.is_staff = True
        user.is_superuser = superuser
        user.session_version += 1
        await session.commit()
        return user


async def staff_client(client, db, superuser: bool = True):
    """The portal's first admin: a superuser."""
    await register(client, ADMIN)
    await make_staff(db, ADMIN["email"], superuser=superuser)
    assert (await login(client, ADMIN["email"], ADMIN["password"])).status_code == 303
    return client


async def user_row(db, email: str) -> User:
    async with db() as session:
        return await session.scalar(select(User).where(User.email == email))


async def test_customers_do_not_see_the_admin_area(client) -> None:
    await register(client)
    assert (await client.get("/admin/users")).status_code == 404


async def test_visitors_are_sent_to_login(client) -> None:
    response = await client.get("/admin/users", follow_redirects=False)
    assert response.status_code in (302, 303)
    assert response.headers["location"].startswith("/login")


async def test_live_search_returns_only_the_table_fragment(client, other_client, db) -> None:
    await register(other_client, COMPANY)
    await staff_client(client, db)
    page = await client.get("/admin/users")
    assert "<html" in page.text and COMPANY["email"] in page.text and ADMIN["email"] in page.text

    fragment = await client.get("/admin/users?q=zavod", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text
    assert 'id="user-table"' in fragment.text
    assert COMPANY["email"] in fragment.text and ADMIN["email"] not in fragment.text

    by_inn = await client.get(f"/admin/users?q={COMPANY['inn']}", headers={"HX-Request": "true"})
    assert COMPANY["email"] in by_inn.text


@pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True)
async def test_search_takes_percent_and_underscore_literally(client, db) -> None:
    await staff_client(client, db)
    async with db() as session:
        for email, name in (("one_two@example.com", "Discount 100% Ltd"), ("onextwo@example.com", "Discount 1000 Ltd"),
                            ("back@example.com", "Back\\slash")):
            session.add(User(email=email, full_name=name, password_hash="x"))
        await session.commit()

    async def found(query: str) -> set[str]:
        page = (await client.get("/admin/users", params={"q": query}, headers={"HX-Request": "true"})).text
        return {email for email in ("one_two@example.com", "onextwo@example.com", "back@example.com") if email in page}

    assert await found("one_two") == {"one_two@example.com"}
    assert await found("100%") == {"one_two@example.com"}
    assert await found("%") == {"one_two@example.com"}
    assert await found("\\") == {"back@example.com"}
    assert await found("discount") == {"one_two@example.com", "onextwo@example.com"}


async def test_paging(client, db) -> None:
    await staff_client(client, db)
    async with db() as session:
        for number in range(45):
            session.add(User(email=f"user{number:02d}@example.com", full_name=f"User {number}",
                             password_hash="x"))
        await session.commit()
    first = await client.get("/admin/users")
    assert "Page 1 of 3" in first.text and "46 users" in first.text
    third = await client.get("/admin/users?page=3", headers={"HX-Request": "true"})
    assert "Page 3 of 3" in third.text
    assert third.text.count('href="/admin/users/') == 6  # 46 users, 20 a page
    bad = await client.get("/admin/users?page=abc")
    assert bad.status_code == 400


async def test_deactivating_a_user_logs_them_out_everywhere(client, other_client, db) -> None:
    await register(other_client)
    assert (await other_client.get("/account")).status_code == 200
    await staff_client(client, db)
    async with db() as session:
        target = await session.scalar(select(User).where(User.email == PERSON["email"]))

    response = await post_form(client, f"/admin/users/{target.id}/active", {"active": "0"},
                               f"/admin/users/{target.id}")
    assert response.status_code == 303
    page = await client.get(f"/admin/users/{target.id}")
    assert "deactivated" in page.text

    assert (await other_client.get("/account", follow_redirects=False)).status_code in (302, 303)
    assert (await login(other_client, PERSON["email"], PERSON["password"])).status_code == 422

    await post_form(client, f"/admin/users/{target.id}/active", {"active": "1"},
                    f"/admin/users/{target.id}")
    assert (await login(other_client, PERSON["email"], PERSON["password"])).status_code == 303


async def test_granting_staff_ends_the_users_sessions_and_takes_effect(client, other_client, db) -> None:
    await register(other_client)
    await staff_client(client, db)
    async with db() as session:
        target = await session.scalar(select(User).where(User.email == PERSON["email"]))
    await post_form(client, f"/admin/users/{target.id}/staff", {"staff": "1"},
                    f"/admin/users/{target.id}")
    assert (await other_client.get("/account", follow_redirects=False)).status_code in (302, 303)
    await login(other_client, PERSON["email"], PERSON["password"])
    assert (await other_client.get("/admin/users")).status_code == 200


async def test_staff_cannot_deactivate_themselves(client, db) -> None:
    admin = await staff_client(client, db)
    async with db() as session:
        me = await session.scalar(select(User).where(User.email == ADMIN["email"]))
    await post_form(admin, f"/admin/users/{me.id}/active", {"active": "0"}, "/account")
    assert (await admin.get("/admin/users")).status_code == 200


@pytest.mark.parametrize("path", ["/admin/users/not-a-uuid", "/admin/users/00000000-0000-0000-0000-000000000000"])
async def test_unknown_users_are_404(client, db, path) -> None:
    await staff_client(client, db)
    assert (await client.get(path)).status_code == 404


async def test_the_first_admin_from_the_command_line_is_a_superuser(db, settings) -> None:
    from portal.accounts.passwords import Passwords
    from portal.accounts.services import UserService

    async with db() as session, UserService.new(session=session) as users:
        assert await users.ensure_admin("root@example.com", "a long admin secret", "Root", Passwords(settings.auth))
        await session.commit()
    admin = await user_row(db, "root@example.com")
    assert admin.is_staff and admin.is_superuser


async def test_promoted_staff_cannot_demote_or_deactivate_the_original_admin(client, other_client, db) -> None:
    await staff_client(client, db)  # the original admin, a superuser
    await register(other_client)
    helper = await user_row(db, PERSON["email"])
    assert (await post_form(client, f"/admin/users/{helper.id}/staff", {"staff": "1"},
                            f"/admin/users/{helper.id}")).status_code == 303
    assert (await login(other_client, PERSON["email"], PERSON["password"])).status_code == 303
    admin = await user_row(db, ADMIN["email"])

    page = await other_client.get(f"/admin/users/{admin.id}")
    assert "Deactivate" not in page.text and "Revoke staff" not in page.text
    for path, data in ((f"/admin/users/{admin.id}/active", {"active": "0"}),
                       (f"/admin/users/{admin.id}/staff", {"staff": "0"}),
                       (f"/admin/users/{admin.id}/superuser", {"superuser": "0"})):
        response = await post_form(other_client, path, data, f"/admin/users/{admin.id}")
        assert response.status_code == 303
    assert "Only a superuser may change staff accounts" in (await other_client.get(f"/admin/users/{admin.id}")).text
    admin = await user_row(db, ADMIN["email"])
    assert admin.is_active and admin.is_staff and admin.is_superuser
    assert (await client.get("/admin/users")).status_code == 200  # still logged in

    # nor grant staff to anyone
    await register(client, COMPANY)
    customer = await user_row(db, COMPANY["email"])
    await post_form(other_client, f"/admin/users/{customer.id}/staff", {"staff": "1"}, f"/admin/users/{customer.id}")
    assert not (await user_row(db, COMPANY["email"])).is_staff


@pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True)
async def test_two_superusers_removing_each_other_at_once_leave_one(app, db) -> None:
    """The last superuser cannot be removed, not even by two requests at the same moment."""
    from tests.integration.test_bursts import at_once, browsers, post_with_token

    first = {**ADMIN, "email": "first@example.com"}
    second = {**ADMIN, "email": "second@example.com"}
    async with browsers(app, 2) as (a, b):
        for browser, person in ((a, first), (b, second)):
            assert (await post_with_token(browser, "/register", person)).status_code in (200, 303)
            await make_staff(db, person["email"], superuser=True)
            await post_with_token(browser, "/login", {"email": person["email"], "password": person["password"]})
        one, two = await user_row(db, first["email"]), await user_row(db, second["email"])
        token_a = CSRF_META.search((await a.get(f"/admin/users/{two.id}")).text).group(1)
        token_b = CSRF_META.search((await b.get(f"/admin/users/{one.id}")).text).group(1)
        answers = await at_once(
            a.post(f"/admin/users/{two.id}/superuser", data={"superuser": "0", "_csrf_token": token_a}),
            b.post(f"/admin/users/{one.id}/active", data={"active": "0", "_csrf_token": token_b}),
        )
    # 302: that superuser's session had already ended (rights taken away by the other request)
    assert all(answer.status_code in (302, 303) for answer in answers), answers
    one, two = await user_row(db, first["email"]), await user_row(db, second["email"])
    remaining = [user for user in (one, two) if user.is_superuser and user.is_active]
    assert len(remaining) == 1


async def test_staff_see_which_other_accounts_share_an_inn(client, other_client, db) -> None:
    colleague = {**COMPANY, "email": "colleague@zavod.example.com", "full_name": "Colleague Two"}
    other_firm = {**COMPANY, "email": "other@firm.example.com", "inn": "7736050003", "full_name": "Other Firm"}
    for person in (COMPANY, colleague, other_firm, PERSON):
        await register(other_client, person)
        other_client.cookies.clear()
    await staff_client(client, db)
    async with db() as session:
        ids = {u.email: u.id for u in await session.scalars(select(User))}

    page = (await client.get(f"/admin/users/{ids[COMPANY['email']]}")).text
    shared = page.split('data-testid="same-inn"')[1].split("</dd>")[0]
    assert colleague["email"] in shared and f"/admin/users/{ids[colleague['email']]}" in shared
    assert COMPANY["email"] not in shared and other_firm["email"] not in shared

    alone = (await client.get(f"/admin/users/{ids[other_firm['email']]}")).text
    assert "No other account has this INN." in alone
    person = (await client.get(f"/admin/users/{ids[PERSON['email']]}")).text
    assert 'data-testid="same-inn"' not in person  # a private person has no INN to compare
