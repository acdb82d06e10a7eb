"""The account forms as a person fills them: an individual entrepreneur, switching the account type
back and forth, and what a failed submit shows."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_accounts_e2e import (
    VALID_INN,
    VALID_KPP,
    VALID_OGRN,
    fill_passwords,
    fill_person,
    unique_email,
)

pytestmark = pytest.mark.e2e

IP_INN = "500100732259"
IP_OGRNIP = "304500116000157"


def choose(page: Page, account_type: str) -> None:
    page.get_by_role("radio", name=account_type).check()


def test_register_an_individual_entrepreneur(page: Page) -> None:
    email = unique_email("ip")
    page.goto("/register")
    choose(page, "Individual entrepreneur")
    group = page.get_by_role("group", name="Individual entrepreneur")
    expect(group).to_be_visible()
    expect(group.get_by_label("KPP")).to_have_count(0)  # an entrepreneur has none
    expect(group.get_by_label("INN")).to_have_accessible_description("12 digits")
    expect(group.get_by_label("OGRNIP")).to_have_accessible_description("15 digits")

    fill_person(page, email, name="Ivan Ivanov")
    group.get_by_label("Business name").fill("IP Ivanov Ivan Ivanovich")
    group.get_by_label("INN").fill(IP_INN)
    group.get_by_label("OGRNIP").fill(IP_OGRNIP)
    group.get_by_label("Registration address").fill("Moscow, Lenina st. 1")
    fill_passwords(page)
    page.get_by_role("button", name="Create the account").click()

    expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.get_by_role("radio", name="Individual entrepreneur")).to_be_checked()
    expect(page.get_by_label("OGRNIP")).to_have_value(IP_OGRNIP)
    expect(page.get_by_label("INN")).to_have_value(IP_INN)


def test_switching_the_account_type_keeps_what_was_typed(page: Page) -> None:
    page.goto("/register")
    fill_person(page, unique_email("switch"), name="Anna Switch")
    fill_passwords(page)
    choose(page, "Company (legal entity)")
    page.get_by_label("Company name").fill("Romashka LLC")
    page.get_by_label("INN").fill(VALID_INN)
    page.get_by_label("KPP").fill(VALID_KPP)
    page.get_by_label("OGRN").fill(VALID_OGRN)

    choose(page, "Private person")
    expect(page.get_by_label("INN")).to_have_count(0)
    choose(page, "Individual entrepreneur")
    expect(page.get_by_label("Business name")).to_have_value("Romashka LLC")
    expect(page.get_by_label("INN")).to_have_value(VALID_INN)
    expect(page.get_by_label("OGRNIP")).to_have_value(VALID_OGRN)
    choose(page, "Company (legal entity)")
    expect(page.get_by_label("KPP")).to_have_value(VALID_KPP)
    expect(page.get_by_label("Company name")).to_have_value("Romashka LLC")
    # The rest of the form was never touched.
    expect(page.get_by_label("Full name")).to_have_value("Anna Switch")
    expect(page.get_by_label("Repeat the password")).not_to_have_value("")


def test_switching_without_javascript_keeps_what_was_typed(new_context) -> None:
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/register")
    switch = page.get_by_role("button", name="Show the fields for this account type")
    choose(page, "Company (legal entity)")
    switch.click()
    page.get_by_label("Company name").fill("Offline LLC")
    page.get_by_label("KPP").fill(VALID_KPP)
    choose(page, "Private person")
    switch.click()
    expect(page.get_by_label("Company name")).to_have_count(0)
    choose(page, "Company (legal entity)")
    switch.click()
    expect(page.get_by_label("Company name")).to_have_value("Offline LLC")
    expect(page.get_by_label("KPP")).to_have_value(VALID_KPP)
