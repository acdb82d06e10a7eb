"""Malformed requests get a clear 4xx answer or the form back with messages, never a 500."""

from __future__ import annotations

from dataclasses import replace

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from portal.app import create_app
from portal.db.models import CallRequest, User
from tests.integration.conftest import PERSON, csrf_token, login, post_form, register
from tests.integration.orders import staff_login


@pytest.mark.parametrize(
    "body,content_type",
    [
        (b"\xff\xfe\x00garbage=%%%", "application/x-www-form-urlencoded"),
        (b'{"email": "a@example.com"}', "application/json"),
        (b"--xx\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\nbroken", "multipart/form-data; boundary=xx"),
        (b"email=a%40example.com&password=" + b"p" * 5000, "application/x-www-form-urlencoded"),
        (b"", "application/x-www-form-urlencoded"),
        (b"account_type=legal&inn=%00%00&email=%E2%80%AE@x.ru", "application/x-www-form-urlencoded"),
    ],
)
@pytest.mark.parametrize("path", ["/login", "/register"])
async def test_malformed_bodies_are_answered_without_a_server_error(client, path, body, content_type) -> None:
    token = await csrf_token(client, path)
    response = await client.post(
        path, content=body, headers={"content-type": content_type, "x-csrftoken": token},
        follow_redirects=False,
    )
    assert 400 <= response.status_code < 500, response.status_code


async def test_unknown_query_values_fall_back_to_defaults(client) -> None:
    page = await client.get("/register?account_type=<script>alert(1)</script>")
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text


class FakeClock:
    """Stands in for the `time` module of the session code, so timeouts are tested without waiting."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    from portal.accounts import middleware, sessions

    fake = FakeClock()
    monkeypatch.setattr(middleware, "time", fake)
    monkeypatch.setattr(sessions, "time", fake)
    return fake


async def test_idle_sessions_end_on_the_server(settings, clock) -> None:
    short = replace(settings, session=replace(settings.session, idle_timeout=60))
    async with AsyncTestClient(app=create_app(short)) as client:
        await register(client)
        clock.now += 59
        assert (await client.get("/account", follow_redirects=False)).status_code == 200
        clock.now += 61
        assert (await client.get("/account", follow_redirects=False)).status_code in (302, 303)


async def test_absolute_timeout_ends_even_a_busy_session(settings, clock) -> None:
    short = replace(settings, session=replace(settings.session, idle_timeout=60, absolute_timeout=150))
    async with AsyncTestClient(app=create_app(short)) as client:
        await register(client)
        for _ in range(3):
            clock.now += 45
            assert (await client.get("/account", follow_redirects=False)).status_code == 200
        clock.now += 45
        assert (await client.get("/account", follow_redirects=False)).status_code in (302, 303)
        assert (await login(client, PERSON["email"], PERSON["password"])).status_code == 303


async def test_an_unexpected_failure_is_a_clean_500_page(client, monkeypatch) -> None:
    from portal.files import controllers

    def broken(*args, **kwargs):
        raise RuntimeError("database exploded")

    monkeypatch.setattr(controllers, "render", broken)  # the start page's one call
    page = await client.get("/")
    assert page.status_code == 500
    assert "Something went wrong" in page.text and "Traceback" not in page.text
    assert "database exploded" not in page.text
    fragment = await client.get("/", headers={"HX-Request": "true"})
    assert fragment.status_code == 500 and "<html" not in fragment.text


def session_set_cookie(response) -> bool:
    return any(v.startswith("session=") for k, v in response.headers.multi_items() if k == "set-cookie")


@pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True)
async def test_reading_pages_does_not_rewrite_the_session(settings, clock, db, mode) -> None:
    """The session is written when it changes, and once a minute to move the idle timer."""
    from sqlalchemy import select

    from portal.db.models import KeyValueItem

    async def stored() -> list[tuple[bytes, object]]:
        async with db() as session:
            return (await session.execute(select(KeyValueItem.value, KeyValueItem.expires_at))).all()

    async with AsyncTestClient(app=create_app(settings)) as client:
        await register(client)
        await client.get("/account")  # shows and drops the welcome message: a change
        before = await stored()
        for _ in range(3):
            clock.now += 10
            page = await client.get("/account", follow_redirects=False)
            assert page.status_code == 200 and not session_set_cookie(page)
        assert await stored() == before
        clock.now += 60
        moved = await client.get("/account", follow_redirects=False)
        assert session_set_cookie(moved)
        if mode == "embedded":
            assert await stored() != before


CONTROL_MESSAGE = "This field holds control characters: please type it again without them."
CALL = {"name": "Анна", "phone": "+7 912 345-67-00", "email": "", "comment": "Фрезеровка",
        "preferred_time": "после 15", "page": "/"}


@pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True)
async def test_control_characters_are_refused_next_to_the_field(client, other_client, db) -> None:
    signed_in = await post_form(client, "/login", {"email": "maria\x00@example.com", "password": "x"}, "/login")
    assert signed_in.status_code == 422 and CONTROL_MESSAGE in signed_in.text

    call = await post_form(client, "/call-request", {**CALL, "name": "Анна\x00"}, "/call-request")
    assert call.status_code == 422 and CONTROL_MESSAGE in call.text
    call = await post_form(client, "/call-request", {**CALL, "comment": "две строки\r\nи\tтаб\x07"}, "/call-request")
    assert call.status_code == 422 and CONTROL_MESSAGE in call.text

    await register(client)
    profile = await post_form(client, "/account", {**PERSON, "full_name": "Maria\x00 Ivanova", "action": "save"},
                              "/account")
    assert profile.status_code == 422 and CONTROL_MESSAGE in profile.text

    await staff_login(other_client, db)
    for path in ("/admin/users", "/admin/orders"):
        search = await other_client.get(path, params={"q": "a\x00"})
        assert search.status_code == 400, path
        assert "The request could not be understood" in search.text

    async with db() as session:
        assert await session.scalar(select(func.count()).select_from(CallRequest)) == 0
        names = list(await session.scalars(select(User.full_name)))
    assert not any("\x00" in name for name in names)

    lines = await post_form(client, "/call-request", {**CALL, "comment": "две строки\r\nи\tтаб"}, "/call-request")
    assert lines.status_code == 303  # tab and line breaks belong in a multi-line field
