"""Forgotten passwords: a link by e-mail through a real SMTP server, good once for 30 minutes."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from urllib.parse import urlsplit

import itsdangerous.timed
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update

from portal.accounts.passwords import Passwords
from portal.accounts.services import UserService
from portal.accounts.tokens import ResetTokens
from portal.app import create_app
from portal.config import RedisSettings, SettingsError
from portal.db.models import User
from tests.integration.conftest import PERSON, csrf_token, login, post_form, register, run_queued_jobs
from tests.settings import SITE_URL
from tests.smtp import body_of, free_port, links_in

NEW_PASSWORD = "a brand new secret 77"
CHECK_EMAIL = "Check your e-mail"


@pytest.fixture
async def clients(mailing) -> AsyncIterator[list[AsyncTestClient]]:
    """Three browsers, each on its own app process, all sending real mail."""
    settings = mailing[0]
    async with (
        AsyncTestClient(app=create_app(settings)) as a,
        AsyncTestClient(app=create_app(settings)) as b,
        AsyncTestClient(app=create_app(settings)) as c,
    ):
        yield [a, b, c]


async def ask_for_link(client: AsyncTestClient, email: str):
    return await post_form(client, "/password-reset", {"email": email}, token_from="/password-reset")


async def the_link(mailing, email: str, count: int = 1) -> str:
    settings, mailbox = mailing
    await run_queued_jobs(settings)
    messages = await mailbox.await_for(email, count)
    message = messages[-1]
    assert message["Subject"] == "Set a new password"
    [link] = [link for link in links_in(message) if "/password-reset/" in link]
    return urlsplit(link).path


async def set_password(client: AsyncTestClient, path: str, password: str = NEW_PASSWORD):
    return await post_form(
        client, path, {"password": password, "password_confirm": password}, token_from="/password-reset"
    )


@pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True)
async def test_a_mailed_link_sets_a_new_password_once_and_ends_other_sessions(mailing, clients) -> None:
    owner, elsewhere, stranger = clients
    await register(owner)
    assert (await login(elsewhere, PERSON["email"], PERSON["password"])).status_code == 303

    login_page = await stranger.get("/login")
    assert 'href="/password-reset"' in login_page.text and "Forgot your password?" in login_page.text
    asked = await ask_for_link(stranger, PERSON["email"].upper())
    assert asked.status_code == 303 and asked.headers["location"] == "/password-reset/sent"
    assert CHECK_EMAIL in (await stranger.get("/password-reset/sent")).text

    path = await the_link(mailing, PERSON["email"])
    form = await stranger.get(path)
    assert form.status_code == 200 and "Set a new password" in form.text
    assert form.headers["cache-control"] == "no-store"
    done = await set_password(stranger, path)
    assert done.status_code == 303 and done.headers["location"] == "/account"
    account = await stranger.get("/account")
    assert "Your new password is set. Your other sessions have ended." in account.text

    for ended in (owner, elsewhere):  # both sessions that existed before the reset are gone
        assert (await ended.get("/account", follow_redirects=False)).status_code in (302, 303)
    assert (await login(owner, PERSON["email"], PERSON["password"])).status_code == 422
    assert (await login(owner, PERSON["email"], NEW_PASSWORD)).status_code == 303

    # Once used, the link is dead, for looking and for setting.
    assert (await stranger.get(path)).status_code == 400
    again = await set_password(stranger, path, "yet another secret 99")
    assert again.status_code == 400 and "This link no longer works" in again.text
    assert (await login(elsewhere, PERSON["email"], NEW_PASSWORD)).status_code == 303


async def test_an_unknown_address_gets_the_same_answer_and_no_mail(mailing, clients) -> None:
    owner, stranger, _ = clients
    await register(owner)
    known = await ask_for_link(stranger, PERSON["email"])
    unknown = await ask_for_link(stranger, "nobody@example.com")
    assert (known.status_code, known.headers["location"]) == (unknown.status_code, unknown.headers["location"])
    await the_link(mailing, PERSON["email"])  # the worker has run every job the two requests queued
    assert mailing[1].to("nobody@example.com") == []


async def test_an_expired_link_is_refused(mailing, clients, monkeypatch) -> None:
    owner, stranger, _ = clients
    await register(owner)
    await ask_for_link(stranger, PERSON["email"])
    path = await the_link(mailing, PERSON["email"])

    later = itsdangerous.timed.time.time() + 31 * 60

    class Later:
        @staticmethod
        def time() -> float:
            return later

    monkeypatch.setattr(itsdangerous.timed, "time", Later)
    page = await stranger.get(path)
    assert page.status_code == 400 and "This link no longer works" in page.text
    assert (await set_password(stranger, path)).status_code == 400
    assert (await login(owner, PERSON["email"], PERSON["password"])).status_code == 303


async def test_a_link_dies_when_the_password_changes_another_way(mailing, clients, db) -> None:
    owner, stranger, _ = clients
    await register(owner)
    await ask_for_link(stranger, PERSON["email"])
    path = await the_link(mailing, PERSON["email"])
    async with db() as session:  # e.g. the owner changed it on the profile page meanwhile
        await session.execute(update(User).values(session_version=User.session_version + 1))
        await session.commit()
    assert (await stranger.get(path)).status_code == 400


@pytest.mark.parametrize(
    "mangle",
    [lambda p: p[:-2] + ("AA" if not p.endswith("AA") else "BB"), lambda p: p + "x", lambda p: "/password-reset/abc",
     lambda p: "/password-reset/" + "A" * 2000],
)
async def test_a_tampered_link_is_refused(mailing, clients, mangle) -> None:
    owner, stranger, _ = clients
    await register(owner)
    await ask_for_link(stranger, PERSON["email"])
    path = await the_link(mailing, PERSON["email"])
    page = await stranger.get(mangle(path))
    assert page.status_code == 400 and "This link no longer works" in page.text
    assert (await set_password(stranger, mangle(path))).status_code == 400


async def test_a_deactivated_account_gets_the_same_answer_and_no_mail(mailing, clients, db) -> None:
    owner, stranger, _ = clients
    await register(owner)
    async with db() as session:
        await session.execute(update(User).values(is_active=False))
        await session.commit()
    asked = await ask_for_link(stranger, PERSON["email"])
    assert asked.status_code == 303 and asked.headers["location"] == "/password-reset/sent"
    await run_queued_jobs(mailing[0])  # returns once every queued job has run
    assert mailing[1].to(PERSON["email"]) == []


async def test_a_bad_address_gets_a_message_on_the_form(clients) -> None:
    page = await ask_for_link(clients[0], "not-an-address")
    assert page.status_code == 422
    assert "Please enter a valid e-mail address." in page.text
    assert 'value="not-an-address"' in page.text


@pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True)
async def test_mails_per_account_and_requests_per_address_are_limited(settings, smtp) -> None:
    url, mailbox = smtp
    limited = replace(
        settings,
        mail=replace(settings.mail, smtp_url=url),
        auth=replace(settings.auth, account_mails=2, address_reset_requests=4),
    )
    async with AsyncTestClient(app=create_app(limited)) as client:
        await register(client)
        for _ in range(3):
            assert (await ask_for_link(client, PERSON["email"])).status_code == 303
        await run_queued_jobs(limited)
        await mailbox.await_for(PERSON["email"], 2)

        assert (await ask_for_link(client, "other@example.com")).status_code == 303
        refused = await ask_for_link(client, "other@example.com")
        assert refused.status_code == 429
        assert "Too many requests from your network." in refused.text
        assert "Please try again in 60 minutes." in refused.text
    # Every job has ended: the worker's above, the embedded app's as it stopped.
    assert len(mailbox.to(PERSON["email"])) == 2  # the third request got the same answer, no mail


@pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True)
async def test_a_forged_host_header_never_reaches_the_mailed_link(mode, mailing, clients) -> None:
    """`127.0.0.1:8601@evil.example` is not a host: refused. A host we serve that is not the site's
    address makes the link in services mode no different: it points at PORTAL_SITE_URL."""
    settings, mailbox = mailing
    owner, stranger, _ = clients
    await register(owner)
    token = await csrf_token(stranger, "/password-reset")

    async def ask(host: str):
        return await stranger.post("/password-reset", data={"email": PERSON["email"], "_csrf_token": token},
                                   headers={"Host": host}, follow_redirects=False)

    for forged in ("127.0.0.1:8601@evil.example", "localhost:8601/@evil.example", "localhost:80a", "[::1"):
        assert (await ask(forged)).status_code == 400, forged
    assert (await ask("localhost:8601")).status_code == 303
    await run_queued_jobs(settings)
    [message] = await mailbox.await_for(PERSON["email"])
    [link] = [link for link in links_in(message) if "/password-reset/" in link]
    site = SITE_URL if mode == "services" else "http://localhost:8601"
    assert link.startswith(site + "/password-reset/"), link


async def test_services_mode_does_not_start_without_the_site_address(settings) -> None:
    unset = replace(settings, mail=replace(settings.mail, site_url=None))
    with pytest.raises(SettingsError, match="PORTAL_SITE_URL"):
        create_app(unset)
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": ":".join(sys.path), "PORTAL_DATA_DIR": str(settings.server.data_dir),
           "PORTAL_REDIS_URL": settings.redis.url, "PORTAL_DATABASE_URL": settings.database.url}
    for command in (["-c", "from portal.cli import main; main()", "worker", "--burst"],  # `portal worker`
                    ["-m", "arq", "--burst", "jobs.worker.WorkerSettings"]):
        started = subprocess.run([sys.executable, *command], capture_output=True, text=True, timeout=60, env=env)
        assert started.returncode == 1, started.stderr
        [line] = started.stderr.strip().splitlines()
        assert line.startswith("PORTAL_SITE_URL is not set"), line


async def test_setting_the_new_password_checks_it_like_registration(mailing, clients) -> None:
    owner, stranger, _ = clients
    await register(owner)
    await ask_for_link(stranger, PERSON["email"])
    path = await the_link(mailing, PERSON["email"])
    short = await set_password(stranger, path, "short")
    assert short.status_code == 422 and "Use at least 8 characters." in short.text
    mismatch = await post_form(
        stranger, path, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD + "!"}, "/password-reset"
    )
    assert mismatch.status_code == 422 and "The two passwords do not match." in mismatch.text
    assert (await set_password(stranger, path)).status_code == 303  # the link still works


async def test_the_reset_lifts_a_login_lockout(mailing, clients) -> None:
    owner, stranger, _ = clients
    await register(owner)
    for _ in range(6):
        await login(stranger, PERSON["email"], "wrong password")
    assert (await login(stranger, PERSON["email"], PERSON["password"])).status_code == 429
    await ask_for_link(stranger, PERSON["email"])
    path = await the_link(mailing, PERSON["email"])
    assert (await set_password(stranger, path)).status_code == 303
    await post_form(stranger, "/logout", {})
    assert (await login(stranger, PERSON["email"], NEW_PASSWORD)).status_code == 303


@pytest.mark.slow
async def test_a_stalled_smtp_server_does_not_hold_the_request(settings) -> None:
    """In the embedded default the job runs in-process, but beside the request, not inside it."""
    connected = asyncio.Event()
    release = asyncio.Event()

    async def stall(reader, writer) -> None:  # accepts the connection and says nothing
        connected.set()
        await release.wait()
        writer.close()

    port = free_port()
    server = await asyncio.start_server(stall, "127.0.0.1", port)
    embedded = replace(
        settings,
        redis=RedisSettings(url=None),
        mail=replace(settings.mail, smtp_url=f"smtp://127.0.0.1:{port}"),
    )
    try:
        async with AsyncTestClient(app=create_app(embedded)) as client:
            await register(client)
            asked = await ask_for_link(client, PERSON["email"])
            assert asked.status_code == 303
            # The answer is out; the SMTP conversation has only begun and is still waiting.
            await asyncio.wait_for(connected.wait(), 10)
            assert not release.is_set()
            release.set()
    finally:
        server.close()
        await server.wait_closed()


@pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True)
async def test_one_link_used_twice_at_once_works_once(settings, client, db) -> None:
    """Two requests with one link, each on its own database connection, both past the link check
    before either writes (the test client sends requests one by one, so the service is driven here).
    """
    await register(client)
    async with db() as session:
        user = await session.scalar(select(User))
    tokens = ResetTokens(settings.server.secret_key)
    user_id, marker = tokens.read(tokens.make(user))
    passwords = Passwords(replace(settings.auth, argon2_time_cost=3, argon2_memory_kib=32 * 1024))

    async def use_link(new_password: str) -> bool:
        async with db() as session:
            done = await UserService(session=session).reset_password(user_id, marker, new_password, passwords)
            await session.commit()
            return done is not None

    outcomes = await asyncio.gather(use_link("first new secret 1"), use_link("second new secret 2"))
    assert sorted(outcomes) == [False, True]
    winner = "first new secret 1" if outcomes[0] else "second new secret 2"
    await post_form(client, "/logout", {})
    assert (await login(client, PERSON["email"], winner)).status_code == 303


async def test_the_mail_speaks_the_language_of_the_page(mailing, clients) -> None:
    owner, stranger, _ = clients
    await register(owner)
    stranger.headers["accept-language"] = "ru-RU,ru;q=0.9"
    assert "Забыли пароль?" in (await stranger.get("/password-reset")).text
    await ask_for_link(stranger, PERSON["email"])
    settings, mailbox = mailing
    await run_queued_jobs(settings)
    [message] = await mailbox.await_for(PERSON["email"])
    assert message["Subject"] == "Смена пароля"
    body = body_of(message)
    assert "Здравствуйте, Maria Ivanova!" in body
    assert "Ссылка действует один раз в течение 30 минут." in body
