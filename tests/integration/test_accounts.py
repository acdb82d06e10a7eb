"""Register, log in, profile, password: what a visitor sees."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.db.models import User
from tests.integration.conftest import COMPANY, ENTREPRENEUR, PERSON, csrf_token, login, post_form, register


@pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True)
async def test_register_log_out_and_log_in_again(client) -> None:
    response = await register(client)
    assert response.status_code == 303
    assert response.headers["location"] == "/account"
    page = await client.get("/account")
    assert "Your account is ready" in page.text
    assert 'value="Maria Ivanova"' in page.text

    response = await post_form(client, "/logout", {})
    assert response.status_code == 303
    assert (await client.get("/account", follow_redirects=False)).status_code in (302, 303)

    response = await login(client, PERSON["email"], PERSON["password"])
    assert response.status_code == 303
    assert "Maria Ivanova" in (await client.get("/account")).text


async def test_register_company_with_valid_numbers(client, db) -> None:
    response = await register(client, COMPANY)
    assert response.status_code == 303
    async with db() as session:
        user = await session.scalar(select(User).where(User.email == COMPANY["email"]))
    assert user.account_type == "legal"
    assert (user.inn, user.kpp, user.ogrn) == ("7707083893", "773601001", "1027700132195")


async def test_company_numbers_with_bad_checksums_get_messages_next_to_fields(client, db) -> None:
    bad = {**COMPANY, "inn": "7707083894", "ogrn": "1027700132196", "kpp": "12"}
    response = await register(client, bad)
    assert response.status_code == 422
    assert 'id="error-inn"' in response.text and "checksum" in response.text
    assert 'id="error-ogrn"' in response.text
    assert 'id="error-kpp"' in response.text
    assert 'value="OOO Zavod"' in response.text  # what was typed is kept
    async with db() as session:
        assert await session.scalar(select(User).where(User.email == COMPANY["email"])) is None


async def test_company_fieldset_fragment_switches_with_account_type(client) -> None:
    legal = await client.get("/account/company-fields?account_type=legal", headers={"HX-Request": "true"})
    assert 'name="inn"' in legal.text and "<html" not in legal.text
    # the extra attributes reach the input unescaped: a numeric keyboard and a length cap
    assert re.search(r'name="inn"[^>]*inputmode="numeric"[^>]*maxlength="10"', legal.text)
    assert re.search(r'name="ogrn"[^>]*inputmode="numeric"[^>]*maxlength="13"', legal.text)
    assert "&#34;" not in legal.text
    person = await client.get("/account/company-fields?account_type=individual", headers={"HX-Request": "true"})
    assert 'name="inn"' not in person.text


async def test_switching_type_without_javascript_rerenders_the_form(client) -> None:
    response = await post_form(
        client, "/register", {**PERSON, "account_type": "legal", "action": "switch_type"}, "/register"
    )
    assert response.status_code == 200
    assert 'name="inn"' in response.text
    assert 'value="Maria Ivanova"' in response.text
    assert "field-error" not in response.text


@pytest.mark.parametrize(
    "change",
    [
        {"email": "not-an-email"},
        {"password": "short", "password_confirm": "short"},
        {"password_confirm": "something else entirely"},
        {"full_name": "x" * 5000},
        {"account_type": "pirate"},
        {"phone": "call me maybe"},
        {"email": ""},
        {"inn": "1234567890", "account_type": "legal"},
    ],
)
async def test_bad_registration_input_gets_a_message_and_writes_nothing(client, db, change) -> None:
    response = await register(client, {**PERSON, **change})
    assert response.status_code == 422
    assert "field-error" in response.text
    async with db() as session:
        assert (await session.scalars(select(User))).all() == []


async def test_a_taken_address_gets_the_check_your_email_answer(client, other_client) -> None:
    await register(client)
    response = await register(other_client)
    assert response.status_code == 303 and response.headers["location"] == "/register/sent"
    assert "already exists" not in (await other_client.get("/register/sent")).text


async def test_profile_edit_is_saved_and_shown(client) -> None:
    await register(client)
    response = await post_form(
        client, "/account", {**COMPANY, "email": PERSON["email"], "action": "save"}, "/account"
    )
    assert response.status_code == 303
    page = await client.get("/account")
    assert 'value="OOO Zavod"' in page.text
    assert "Your profile is saved" in page.text


@pytest.mark.slow
async def test_login_failure_message_is_the_same_for_unknown_email(client, other_client) -> None:
    await register(client)
    wrong = await login(other_client, PERSON["email"], "wrong password!")
    unknown = await login(other_client, "nobody@example.com", "wrong password!")
    assert wrong.status_code == unknown.status_code == 422
    message = 'class="summary-message">'
    assert wrong.text.split(message)[1].split("<")[0] == unknown.text.split(message)[1].split("<")[0]


async def test_open_redirect_after_login_is_refused(client) -> None:
    await register(client)
    await post_form(client, "/logout", {})
    response = await post_form(
        client, "/login", {"email": PERSON["email"], "password": PERSON["password"],
                           "next": "//evil.example.com/"}, "/login"
    )
    assert response.headers["location"] == "/account"


async def test_old_hashes_are_upgraded_at_login(client, db) -> None:
    from argon2 import PasswordHasher

    await register(client)
    weak = PasswordHasher(time_cost=1, memory_cost=256, parallelism=1).hash(PERSON["password"])
    async with db() as session:
        user = await session.scalar(select(User).where(User.email == PERSON["email"]))
        user.password_hash = weak
        await session.commit()
    await post_form(client, "/logout", {})
    assert (await login(client, PERSON["email"], PERSON["password"])).status_code == 303
    async with db() as session:
        user = await session.scalar(select(User).where(User.email == PERSON["email"]))
    assert user.password_hash != weak
    assert "m=1024" in user.password_hash


async def test_language_follows_accept_language_and_the_switch(client) -> None:
    page = await client.get("/login", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert 'lang="ru"' in page.text
    assert "Войти" in page.text
    await post_form(client, "/language", {"language": "en"}, "/login")
    page = await client.get("/login", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert 'lang="en"' in page.text


@pytest.mark.parametrize(
    "email,message",
    [
        ("m\u0430ria@example.com", "mixes alphabets"),  # a Cyrillic а
        ("maria\u200b@example.com", "invisible or control characters"),
        ("\u202emaria@example.com", "invisible or control characters"),
    ],
)
async def test_look_alike_addresses_are_refused_with_a_message(client, db, email, message) -> None:
    response = await register(client, {**PERSON, "email": email})
    assert response.status_code == 422
    assert message in response.text
    async with db() as session:
        assert (await session.scalars(select(User))).all() == []


async def test_a_full_width_address_is_the_same_address(client, other_client) -> None:
    await register(client)
    full_width = "ｍａｒｉａ@ｅｘａｍｐｌｅ.ｃｏｍ"
    again = await register(other_client, {**PERSON, "email": full_width})
    assert again.status_code == 303 and again.headers["location"] == "/register/sent"
    assert (await login(other_client, "MARIA@example.com", PERSON["password"])).status_code == 303


async def test_register_an_individual_entrepreneur(client, db) -> None:
    response = await register(client, {**ENTREPRENEUR, "kpp": "773601001"})
    assert response.status_code == 303 and response.headers["location"] == "/account"
    async with db() as session:
        user = await session.scalar(select(User).where(User.email == ENTREPRENEUR["email"]))
    assert (user.account_type, user.company_name) == ("entrepreneur", "IP Ivanov Ivan Ivanovich")
    assert (user.inn, user.ogrn, user.kpp) == ("500100732259", "304500116000157", "")
    profile = (await client.get("/account")).text
    assert re.search(r'value="entrepreneur"[^>]*checked', profile)
    assert "OGRNIP" in profile and 'name="kpp"' not in profile


async def test_an_entrepreneur_with_a_company_s_numbers_is_told_what_an_entrepreneur_has(client) -> None:
    response = await register(client, {**ENTREPRENEUR, "inn": COMPANY["inn"], "ogrn": COMPANY["ogrn"]})
    assert response.status_code == 422
    assert "An individual entrepreneur's INN has 12 digits." in response.text
    assert "An OGRNIP has 15 digits." in response.text
    assert re.search(r'name="inn"[^>]*maxlength="12"', response.text)
    assert re.search(r'name="ogrn"[^>]*maxlength="15"', response.text)


async def test_switching_the_type_back_and_forth_keeps_what_was_typed(client) -> None:
    typed = {**COMPANY, "action": "switch_type"}
    as_person = await post_form(client, "/register", {**typed, "account_type": "individual"}, "/register")
    assert as_person.status_code == 200 and "field-error" not in as_person.text
    for name in ("company_name", "inn", "kpp", "ogrn", "legal_address"):  # kept, out of sight
        assert re.search(rf'type="hidden" name="{name}" value="{re.escape(COMPANY[name])}"', as_person.text)
    back = await post_form(client, "/register", {**typed, "account_type": "legal"}, "/register")
    assert re.search(r'id="field-inn"[^>]*value="7707083893"', back.text)
    assert re.search(r'id="field-kpp"[^>]*value="773601001"', back.text)

    # The htmx fragment does the same with what the fieldset held.
    query = {"account_type": "entrepreneur", "company_name": "OOO Zavod", "inn": "7707083893", "kpp": "773601001"}
    fragment = await client.get("/account/company-fields", params=query, headers={"HX-Request": "true"})
    assert re.search(r'id="field-inn"[^>]*value="7707083893"', fragment.text)
    assert re.search(r'type="hidden" name="kpp" value="773601001"', fragment.text)
    assert "<html" not in fragment.text


@pytest.mark.parametrize(
    "password,message",
    [
        ("password", "too easy to guess"),
        ("12345678", "too easy to guess"),
        ("        ", "too easy to guess"),
        ("maria@example.com-2026", "must not contain your e-mail address"),
    ],
)
async def test_common_and_email_passwords_are_refused(client, db, password, message) -> None:
    response = await register(client, {**PERSON, "password": password, "password_confirm": password})
    assert response.status_code == 422
    assert message in response.text
    async with db() as session:
        assert (await session.scalars(select(User))).all() == []


async def test_the_strength_hint_follows_the_typed_password(client) -> None:
    token = await csrf_token(client, "/register")
    headers = {"HX-Request": "true", "x-csrftoken": token}

    async def hint(password: str) -> str:
        response = await client.post(
            "/password-strength", data={"password": password, "email": PERSON["email"]}, headers=headers
        )
        assert response.status_code == 200 and "<html" not in response.text
        return response.text

    assert 'data-score="0"' in await hint("password") and "too easy to guess" in await hint("password")
    assert "must not contain your e-mail" in await hint("maria@example.com!")
    strong = await hint("correct horse battery")
    assert 'data-score="4"' in strong and "Strong" in strong
    page = await client.get("/register")
    assert 'id="password-strength"' in page.text and 'hx-post="/password-strength"' in page.text
    assert 'aria-controls="field-password"' in page.text  # the show-password button
