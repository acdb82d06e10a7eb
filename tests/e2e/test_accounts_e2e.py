"""Accounts in a real browser: register, switch the account type, log in and out, edit the profile,
an admin deactivating a user, the same forms without JavaScript, and the layout on desktop and phone.

Elements are found by role and label, as a person finds them.
"""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, sideways_overflow

pytestmark = pytest.mark.e2e

VALID_INN = "7707083893"
VALID_KPP = "773601001"
VALID_OGRN = "1027700132195"
PASSWORD = "correct horse 42"


def unique_email(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}@example.com"


def password_field(page: Page):
    # The label also holds the hint ("At least 8 characters"), and "Repeat the password" contains
    # the word as well: anchor the label's start.
    return page.get_by_label(re.compile(r"^\s*Password"))


def choose_company_with_htmx(page: Page) -> None:
    """Pick the company account type and check that htmx swapped the fieldset in place."""
    expect(page.get_by_label("INN")).to_have_count(0)
    page.evaluate("window.__e2eMarker = 'still the same page'")
    page.get_by_role("radio", name="Company (legal entity)").check()
    expect(page.get_by_label("INN")).to_be_visible()
    # A full reload would have wiped the marker: the fieldset came in through htmx.
    assert page.evaluate("window.__e2eMarker") == "still the same page"
    expect(page.get_by_role("group", name="Company")).to_be_visible()


def fill_person(page: Page, email: str, name: str = "Ivan Petrov", phone: str = "+7 912 345-67-89") -> None:
    page.get_by_label("Full name").fill(name)
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Phone").fill(phone)


def fill_company(page: Page, company: str = "Romashka LLC", inn: str = VALID_INN) -> None:
    page.get_by_label("Company name").fill(company)
    page.get_by_label("INN").fill(inn)
    page.get_by_label("KPP").fill(VALID_KPP)
    page.get_by_label("OGRN").fill(VALID_OGRN)
    page.get_by_label("Legal address").fill("Moscow, Tverskaya st. 1")


def fill_passwords(page: Page, password: str = PASSWORD) -> None:
    password_field(page).fill(password)
    page.get_by_label("Repeat the password").fill(password)


def log_in(page: Page, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def register_individual(page: Page, email: str) -> None:
    page.goto("/register")
    fill_person(page, email, name="Olga Sidorova")
    fill_passwords(page)
    page.get_by_role("button", name="Create the account").click()
    expect(page).to_have_url(re.compile(r"/account$"))


def test_register_company_log_out_log_in_and_edit_profile(page: Page) -> None:
    email = unique_email("company")
    page.goto("/register")
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    choose_company_with_htmx(page)
    fill_person(page, email)
    fill_company(page)
    fill_passwords(page)
    page.get_by_role("button", name="Create the account").click()

    expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.get_by_role("status")).to_contain_text("Welcome! Your account is ready.")
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()
    expect(page.get_by_label("Company name")).to_have_value("Romashka LLC")
    expect(page.get_by_label("INN")).to_have_value(VALID_INN)

    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("status")).to_contain_text("You have logged out.")
    expect(nav.get_by_role("button", name="Log out")).to_have_count(0)
    expect(nav.get_by_role("link", name="Log in")).to_be_visible()

    # The profile is closed now: the portal sends us to log in and back to the profile after.
    page.goto("/account")
    expect(page).to_have_url(re.compile(r"/login\?next=(/|%2F)account$"))
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/account$"))
    expect(nav.get_by_role("link", name="Ivan Petrov")).to_be_visible()
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()

    page.get_by_label("Company name").fill("Romashka Plus LLC")
    page.get_by_label("Phone").fill("+7 495 111-22-33")
    page.get_by_role("button", name="Save the profile").click()
    expect(page.get_by_role("status")).to_contain_text("Your profile is saved.")

    page.reload()
    expect(page.get_by_label("Company name")).to_have_value("Romashka Plus LLC")
    expect(page.get_by_label("Phone")).to_have_value("+74951112233")  # stored in E.164
    expect(page.get_by_role("radio", name="Company (legal entity)")).to_be_checked()


def test_invalid_inn_gets_a_message_next_to_the_field_and_keeps_the_values(page: Page) -> None:
    email = unique_email("badinn")
    page.goto("/register")
    choose_company_with_htmx(page)
    fill_person(page, email)
    fill_company(page, company="Wrong Digits LLC", inn="7707083894")
    fill_passwords(page)
    page.get_by_role("button", name="Create the account").click()

    inn = page.get_by_label("INN")
    message = "This INN does not pass the checksum: please check the digits."
    expect(inn).to_have_attribute("aria-invalid", "true")
    # The error is read once, as the field's description, and takes the hint's place.
    expect(inn).to_have_accessible_name("INN")
    expect(inn).to_have_accessible_description(message)
    expect(page.get_by_text("10 digits", exact=True)).to_have_count(0)
    expect(page.get_by_label("KPP")).to_have_accessible_description("9 digits")

    # A summary at the top has the focus; its line leads to the field.
    summary = page.get_by_test_id("error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_count(1)
    summary.get_by_role("link", name=f"INN: {message}").click()
    expect(inn).to_be_focused()

    expect(page).to_have_url(re.compile(r"/register(#field-inn)?$"))
    expect(inn).to_have_value("7707083894")
    expect(page.get_by_label("Company name")).to_have_value("Wrong Digits LLC")
    expect(page.get_by_label("KPP")).to_have_value(VALID_KPP)
    expect(page.get_by_label("OGRN")).to_have_value(VALID_OGRN)
    expect(page.get_by_label("Full name")).to_have_value("Ivan Petrov")
    expect(page.get_by_label("E-mail")).to_have_value(email)
    expect(page.get_by_role("radio", name="Company (legal entity)")).to_be_checked()
    # Only the INN is wrong: no other field is marked.
    expect(page.locator("[aria-invalid=true]")).to_have_count(1)


def test_admin_deactivates_a_user_whose_browser_is_then_logged_out(new_context) -> None:
    email = unique_email("victim")
    user_page = new_context().new_page()
    register_individual(user_page, email)
    expect(user_page.get_by_role("heading", name="Your profile")).to_be_visible()

    admin_page = new_context().new_page()
    log_in(admin_page, ADMIN_EMAIL, ADMIN_PASSWORD)
    admin_page.get_by_role("navigation", name="Staff pages").get_by_role("link", name="Users").click()
    expect(admin_page).to_have_url(re.compile(r"/admin/users"))
    table = admin_page.get_by_test_id("user-table")
    expect(table.get_by_role("link", name=ADMIN_EMAIL)).to_be_visible()

    admin_page.evaluate("window.__e2eMarker = 'live search'")
    search = admin_page.get_by_role("searchbox", name="Search by e-mail, name, company or INN")
    search.press_sequentially(email.split("@")[0])
    expect(table.get_by_role("link", name=email)).to_be_visible()
    expect(table.get_by_role("link", name=ADMIN_EMAIL)).to_have_count(0)
    expect(table.get_by_role("row")).to_have_count(2)  # the header and the one match
    assert admin_page.evaluate("window.__e2eMarker") == "live search"
    expect(admin_page).to_have_url(re.compile(r"[?&]q=victim-"))

    table.get_by_role("link", name=email).click()
    expect(admin_page.get_by_role("heading", name="Olga Sidorova")).to_be_visible()
    expect(admin_page.get_by_test_id("user-state")).to_have_text("active")
    admin_page.once("dialog", lambda dialog: dialog.accept())  # "Deactivate …? They are logged out …"
    admin_page.get_by_role("button", name="Deactivate").click()
    expect(admin_page.get_by_role("status")).to_contain_text("The user is deactivated and logged out everywhere.")
    expect(admin_page.get_by_test_id("user-state")).to_have_text("deactivated")
    expect(admin_page.get_by_role("button", name="Activate")).to_be_visible()

    user_page.reload()
    expect(user_page).to_have_url(re.compile(r"/login"))
    expect(user_page.get_by_role("heading", name="Log in")).to_be_visible()
    nav = user_page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("button", name="Log out")).to_have_count(0)

    # And the deactivated user cannot log back in.
    log_in(user_page, email, PASSWORD)
    # Only after the right password does the portal say why.
    expect(user_page.get_by_test_id("error-summary")).to_contain_text("This account is deactivated.")
    expect(user_page).to_have_url(re.compile(r"/login"))


def test_register_as_a_company_without_javascript(new_context) -> None:
    page = new_context(java_script_enabled=False).new_page()
    email = unique_email("nojs")
    page.goto("/register")
    switch = page.get_by_role("button", name="Show the fields for this account type")
    expect(switch).to_be_visible()
    page.get_by_label("Full name").fill("Pavel Nojs")
    page.get_by_label("E-mail").fill(email)
    page.get_by_role("radio", name="Company (legal entity)").check()
    expect(page.get_by_label("INN")).to_have_count(0)  # nothing happens without JavaScript …
    switch.click()  # … until the form is sent with the button

    expect(page.get_by_label("INN")).to_be_visible()
    expect(page.get_by_role("radio", name="Company (legal entity)")).to_be_checked()
    expect(page.get_by_label("Full name")).to_have_value("Pavel Nojs")
    expect(page.get_by_label("E-mail")).to_have_value(email)
    expect(page.locator("[aria-invalid=true]")).to_have_count(0)  # switching is not a submission

    fill_company(page, company="Offline Works LLC")
    fill_passwords(page)
    page.get_by_role("button", name="Create the account").click()

    expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.get_by_role("status")).to_contain_text("Welcome! Your account is ready.")
    expect(page.get_by_label("Company name")).to_have_value("Offline Works LLC")
    expect(page.get_by_label("OGRN")).to_have_value(VALID_OGRN)


@pytest.mark.parametrize(
    ("device", "viewport", "mobile"),
    [("desktop", {"width": 1280, "height": 900}, False), ("phone", {"width": 390, "height": 844}, True)],
)
def test_register_page_layout_screenshots(new_context, tmp_path, device, viewport, mobile) -> None:
    options = {"viewport": viewport}
    if mobile:
        options.update(is_mobile=True, has_touch=True, device_scale_factor=2)
    page = new_context(**options).new_page()
    page.goto("/register")
    choose_company_with_htmx(page)
    # Nothing may stick out sideways (a horizontal scroll bar on a phone is a broken layout).
    overflow = sideways_overflow(page)
    assert overflow <= 0, f"{device}: the page is {overflow}px wider than the viewport"
    for name in ("Full name", "E-mail", "Company name", "INN", "Legal address"):
        box = page.get_by_label(name).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], name
    path = tmp_path / f"register-company-{device}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 0
    print(f"screenshot: {path}")


def test_a_page_polled_after_the_session_ended_goes_to_the_login_and_back(new_context) -> None:
    """The staff's order list asks for its table every 15 s. Once the session is gone, that poll
    takes the whole page to the login (not the login form into the table), and logging in
    brings the page back whole."""
    context = new_context()
    page = context.new_page()
    log_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(page).to_have_url(re.compile(r"/admin/users$"))
    page.goto("/admin/orders?q=nothing-like-this")
    expect(page.get_by_test_id("order-table")).to_be_visible()
    context.clear_cookies()  # as when the session expires

    expect(page).to_have_url(re.compile(r"/login\?next=%2Fadmin%2Forders%3Fq%3Dnothing-like-this$"), timeout=30_000)
    page.get_by_label("E-mail").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/admin/orders\?q=nothing-like-this$"))
    expect(page.get_by_test_id("main-nav")).to_be_visible()  # the whole page, not the bare table
    expect(page.get_by_test_id("order-table")).to_have_count(1)
