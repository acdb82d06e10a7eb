"""A visitor asks for a call from any page; staff see the request and its Bitrix24 sync."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD


def log_in(page: Page, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("nav-account")).to_be_visible()


def test_a_call_request_answers_in_place_and_staff_see_it_synced(new_context, bitrix24) -> None:
    visitor = new_context().new_page()
    visitor.goto("/login")
    visitor.get_by_test_id("call-request-open").click()
    form = visitor.get_by_test_id("call-request-form")
    form.get_by_label("Your name").fill("Анна Петрова")
    form.get_by_label("Phone").fill("12")
    form.get_by_role("button", name="Call me back").click()
    expect(form.get_by_text("This does not look like a phone number")).to_be_visible()
    assert visitor.url.endswith("/login")  # answered in place

    form = visitor.get_by_test_id("call-request-form")
    form.get_by_label("Phone").fill("+7 912 555-01-02")
    form.get_by_label("When to call").fill("после 15:00")
    form.get_by_label("Comment").fill("Нужна фрезеровка 10 кронштейнов")
    form.get_by_role("button", name="Call me back").click()
    expect(visitor.get_by_test_id("call-request-done")).to_be_visible()
    assert visitor.url.endswith("/login")

    staff = new_context().new_page()
    log_in(staff, ADMIN_EMAIL, ADMIN_PASSWORD)
    staff.get_by_role("link", name="CRM sync").click()
    row = staff.get_by_test_id("crm-row").filter(has_text="lead")
    for _ in range(30):  # the in-process job sends it within moments
        if row.get_by_test_id("sync-state").filter(has_text="sent").count():
            break
        staff.wait_for_timeout(500)
        staff.reload()
    expect(row.get_by_test_id("sync-state")).to_have_text("sent")
    staff.get_by_role("link", name="Leads").click()
    expect(staff.get_by_test_id("lead-table")).to_contain_text("Анна Петрова")
    expect(staff.get_by_test_id("lead-table")).to_contain_text("+79125550102")

    leads = [lead for lead in bitrix24.entities("lead") if lead.get("NAME") == "Анна"]
    assert len(leads) == 1 and "после 15:00" in leads[0]["COMMENTS"]
    assert leads[0]["PHONE"][0]["VALUE"] == "+79125550102"


def test_without_javascript_the_call_request_is_its_own_page(new_context) -> None:
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/")
    page.get_by_test_id("call-request-open").click()
    expect(page).to_have_url(re.compile(r"/call-request$"))
    page.get_by_label("Your name").fill("Ivan")
    page.get_by_label("Phone").fill("+7 912 555-01-03")
    page.get_by_role("button", name="Call me back").click()
    expect(page.get_by_role("status").filter(has_text="We will call you back soon")).to_be_visible()
