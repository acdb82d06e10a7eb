"""What any page does for the person looking at it: error pages in their language with who is
logged in, and the log-in and sign-up pages sending on a person who is logged in already."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import update

from portal.db.models import User
from tests.integration.conftest import PERSON, csrf_token, login, post_form, register

NAV_NAME = re.compile(r'data-testid="nav-account">([^<]+)<')


def language_of(page) -> str:
    return re.search(r'<html lang="(\w+)"', page.text).group(1)


@pytest.mark.parametrize("path", ["/no/such/page", "/admin/users"])  # no route; a staff-only area
async def test_a_404_page_speaks_russian_and_shows_who_is_logged_in(client, path) -> None:
    await register(client)
    client.cookies.set("lang", "ru", domain="testserver.local")
    page = await client.get(path)
    assert page.status_code == 404
    assert language_of(page) == "ru" and "Страница не найдена" in page.text
    assert NAV_NAME.search(page.text).group(1) == PERSON["full_name"]
    assert re.search(r'name="csrf-token" content="[^"]+"', page.text)  # its forms work (log out)


async def test_a_malformed_id_gets_its_404_in_the_visitors_language(client) -> None:
    page = await client.get("/admin/users/not-an-id", headers={"accept-language": "ru"})
    assert page.status_code == 404 and language_of(page) == "ru" and "Страница не найдена" in page.text


async def test_a_403_page_speaks_russian_and_shows_who_is_logged_in(client) -> None:
    await register(client)
    client.cookies.set("lang", "ru", domain="testserver.local")
    page = await client.post("/account", data={"full_name": "x"})  # no CSRF token
    assert page.status_code == 403
    assert language_of(page) == "ru" and "Доступ запрещён" in page.text
    assert NAV_NAME.search(page.text).group(1) == PERSON["full_name"]


async def test_a_500_page_speaks_russian_and_shows_who_is_logged_in(client, monkeypatch) -> None:
    from portal.accounts import controllers

    await register(client)

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr(controllers, "profile_form", broken)
    client.cookies.set("lang", "ru", domain="testserver.local")
    page = await client.get("/account")
    assert page.status_code == 500
    assert language_of(page) == "ru" and "Что-то пошло не так" in page.text
    assert NAV_NAME.search(page.text).group(1) == PERSON["full_name"]
    assert "disk is on fire" not in page.text


async def test_an_unknown_address_is_404_for_every_method(client) -> None:
    token = await csrf_token(client)
    for method in ("GET", "POST", "PUT", "DELETE"):
        response = await client.request(method, "/nowhere/at/all", data={"_csrf_token": token})
        assert response.status_code == 404, method


async def test_logged_in_people_are_sent_on_from_login_and_register(client) -> None:
    await register(client)
    for path in ("/login", "/register"):
        response = await client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/account", path
    onward = await client.get("/login?next=/account/password", follow_redirects=False)
    assert onward.headers["location"] == "/account/password"
    elsewhere = await client.get("/login?next=//evil.example.com/", follow_redirects=False)
    assert elsewhere.headers["location"] == "/account"


async def test_staff_land_on_their_work_and_customers_on_their_account(client, other_client, db) -> None:
    await register(client)
    await register(other_client, {**PERSON, "email": "staff@example.com", "full_name": "Sam Staff"})
    async with db() as session:
        await session.execute(update(User).where(User.email == "staff@example.com").values(is_staff=True))
        await session.commit()
    people = ((client, PERSON["email"], "/account"), (other_client, "staff@example.com", "/admin/users"))
    for person, email, landing in people:
        await post_form(person, "/logout", {})
        response = await login(person, email, PERSON["password"])
        assert response.status_code == 303 and response.headers["location"] == landing, email
    # A page that asked for the login still wins.
    await post_form(other_client, "/logout", {})
    asked = await post_form(
        other_client, "/login", {"email": "staff@example.com", "password": PERSON["password"],
                                 "next": "/account"}, "/login?next=/account"
    )
    assert asked.headers["location"] == "/account"


async def test_a_deactivated_account_is_told_so_only_after_the_right_password(client, other_client, db) -> None:
    await register(client)
    async with db() as session:
        await session.execute(update(User).values(is_active=False))
        await session.commit()
    wrong = await login(other_client, PERSON["email"], "not the password")
    assert wrong.status_code == 422 and "deactivated" not in wrong.text
    right = await login(other_client, PERSON["email"], PERSON["password"])
    assert right.status_code == 422 and "This account is deactivated." in right.text
    assert (await other_client.get("/account", follow_redirects=False)).status_code in (302, 303)
