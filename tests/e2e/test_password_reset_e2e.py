"""A forgotten password, in a real browser, with the link read from a real SMTP server's mailbox."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.test_accounts_e2e import PASSWORD, log_in, register_individual, unique_email
from tests.smtp import Mailbox, links_in

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "fresh start 2024 ok"


def test_forgotten_password_reset_through_the_mailed_link(new_context, mailbox: Mailbox) -> None:
    email = unique_email("forgot")
    old_browser = new_context().new_page()
    register_individual(old_browser, email)

    page = new_context().new_page()
    page.goto("/login")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page).to_have_url(re.compile(r"/password-reset$"))
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    page.get_by_label("E-mail").fill(email)
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()

    [message] = mailbox.wait_for(email)
    assert message["Subject"] == "Set a new password"
    [link] = [link for link in links_in(message) if "/password-reset/" in link]
    page.goto(urlsplit(link).path)
    expect(page.get_by_role("heading", name="Set a new password")).to_be_visible()
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set the new password").click()

    expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.get_by_role("status")).to_contain_text("Your new password is set. Your other sessions have ended.")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Olga Sidorova")).to_be_visible()

    # The browser that was logged in before the reset is logged out now.
    old_browser.goto("/account")
    expect(old_browser).to_have_url(re.compile(r"/login"))

    # The link was good for one use.
    page.goto(urlsplit(link).path)
    expect(page.get_by_role("heading", name="This link no longer works")).to_be_visible()
    page.get_by_role("link", name="Ask for a new link").click()
    expect(page).to_have_url(re.compile(r"/password-reset$"))

    # The old password is gone, the new one works.
    log_in(old_browser, email, PASSWORD)
    expect(old_browser.get_by_test_id("error-summary")).to_contain_text("The e-mail or password is wrong.")
    log_in(old_browser, email, NEW_PASSWORD)
    expect(old_browser).to_have_url(re.compile(r"/account$"))


def test_an_unknown_address_sees_the_same_page_and_nothing_is_sent(page, mailbox: Mailbox) -> None:
    email = unique_email("nobody")
    page.goto("/password-reset")
    page.get_by_label("E-mail").fill(email)
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    page.wait_for_timeout(500)  # the known address's mail arrives well within this in the test above
    assert mailbox.to(email) == []
