"""Choosing a password in a real browser: the strength hint while typing, and show/hide."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_strength_hint_and_show_password_on_the_register_page(page) -> None:
    page.goto("/register")
    page.get_by_label("E-mail").fill("hint@example.com")
    password = page.get_by_label(re.compile(r"^\s*Password"))
    hint = page.locator("#password-strength")

    password.press_sequentially("password")
    expect(hint).to_contain_text("Too easy to guess")
    password.fill("")
    password.press_sequentially("correct horse battery")
    expect(hint).to_contain_text("Strong")

    show = page.get_by_role("button", name="Show password").first
    expect(password).to_have_attribute("type", "password")
    show.click()
    expect(password).to_have_attribute("type", "text")
    expect(show).to_have_attribute("aria-pressed", "true")
    show.click()
    expect(password).to_have_attribute("type", "password")


def test_without_javascript_there_is_no_dead_show_button(new_context) -> None:
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/register")
    expect(page.get_by_role("button", name="Show password")).to_have_count(0)
