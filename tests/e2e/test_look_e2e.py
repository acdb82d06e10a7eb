"""How the pages behave under the hand and the eye: the language switch, busy buttons, the
confirmation before a deactivation, focus rings, field borders, and the header, footer and
buttons on a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, sideways_overflow
from tests.e2e.test_accounts_e2e import fill_passwords, fill_person, log_in, register_individual, unique_email

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}

CONTRAST = """(el) => {
  const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const lum = (c) => { const [r, g, b] = rgb(c).map(channel); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  let bg = el.parentElement;
  while (bg && getComputedStyle(bg).backgroundColor === 'rgba(0, 0, 0, 0)') bg = bg.parentElement;
  const a = lum(getComputedStyle(el).borderTopColor), b = lum(getComputedStyle(bg).backgroundColor);
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


def test_the_language_switch_changes_the_whole_page_at_once(page: Page) -> None:
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    footer = page.get_by_role("contentinfo")
    expect(footer.get_by_role("button", name="English")).to_have_attribute("aria-current", "true")
    footer.get_by_role("button", name="Русский").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.get_by_role("heading", level=1)).to_have_text("Войти")
    expect(page).to_have_title(re.compile("^Войти"))
    current = footer.get_by_role("button", name="Русский")
    expect(current).to_have_attribute("aria-current", "true")
    weights = [b.evaluate("b => getComputedStyle(b).fontWeight") for b in footer.get_by_role("button").all()]
    assert sorted(weights) == ["400", "700"], weights  # the current language stands out
    footer.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_a_form_is_busy_and_cannot_be_sent_twice_while_its_request_runs(page: Page) -> None:
    held: list[Route] = []
    posts: list[str] = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    page.route("**/login", lambda route: held.append(route) if route.request.method == "POST" else route.continue_())
    page.goto("/login")
    page.get_by_label("E-mail").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    button = page.locator("main").get_by_role("button", name="Log in")
    button.click()
    expect(button).to_be_disabled()
    expect(page.locator("main form")).to_have_attribute("aria-busy", "true")
    expect(page.get_by_role("button", name="Show password")).to_be_enabled()  # only what sends
    page.get_by_label("Password").press("Enter")  # a second try while the first is out
    button.dispatch_event("click")
    page.wait_for_timeout(300)
    assert len(held) == 1 and len(posts) == 1
    held[0].continue_()
    expect(page).to_have_url(re.compile(r"/admin/users$"))
    assert len(posts) == 1


def test_deactivation_asks_first(new_context) -> None:
    email = unique_email("confirm")
    register_individual(new_context().new_page(), email)
    page = new_context().new_page()
    log_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(page).to_have_url(re.compile(r"/admin/users$"))
    page.goto(f"/admin/users?q={email}")
    page.get_by_role("link", name=email).click()
    questions: list[str] = []

    def answer(accept: bool):
        def handle(dialog) -> None:
            questions.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()
        return handle

    page.once("dialog", answer(False))
    page.get_by_role("button", name="Deactivate").click()
    page.wait_for_timeout(300)
    expect(page.get_by_test_id("user-state")).to_have_text("active")
    page.once("dialog", answer(True))
    page.get_by_role("button", name="Deactivate").click()
    expect(page.get_by_test_id("user-state")).to_have_text("deactivated")
    assert len(questions) == 2 and email in questions[0] and "logged out everywhere" in questions[0]


def test_fields_have_borders_you_can_see_and_focus_rings(page: Page) -> None:
    page.goto("/register?account_type=legal")
    for field in page.locator("main input:not([type=hidden]):not([type=radio])").all():
        ratio = field.evaluate(CONTRAST)
        assert ratio >= 3, f"{field.get_attribute('name')}: border contrast {ratio:.2f}:1"
    for target in (page.get_by_role("link", name="Log in").last, page.get_by_role("button", name="Create the account")):
        target.focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")  # focused from the keyboard, as :focus-visible needs
        expect(target).to_be_focused()
        width = target.evaluate("e => parseFloat(getComputedStyle(e).outlineWidth)")
        style = target.evaluate("e => getComputedStyle(e).outlineStyle")
        assert style != "none" and width >= 2, (style, width)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_header_footer_and_buttons_keep_apart_on_a_phone(new_context, server, language) -> None:
    email = unique_email("phone")
    register_individual(new_context().new_page(), email)
    context = new_context(**PHONE)
    page = context.new_page()
    log_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)  # staff: the longest menu
    expect(page).to_have_url(re.compile(r"/admin/users$"))
    context.add_cookies([{"name": "lang", "value": language, "url": server.base_url}])
    page.goto(f"/admin/users?q={email}")
    page.get_by_test_id("user-table").get_by_role("link", name=email).click()
    expect(page).to_have_url(re.compile(r"/admin/users/[0-9a-f-]{36}$"))
    expect(page.get_by_test_id("user-state")).to_be_visible()

    def box(locator):
        found = locator.bounding_box()
        assert found is not None
        return found

    header, main, footer = (box(page.locator(tag).first) for tag in ("header.site", "main", "footer.site"))
    assert header["y"] + header["height"] <= main["y"] + 0.5
    assert main["y"] + main["height"] <= footer["y"] + 0.5
    shown = page.locator("header.site a, header.site button, footer.site span, footer.site button").all()
    items = [box(item) for item in shown if item.is_visible()]
    assert len(items) >= 6
    for n, a in enumerate(items):
        for b in items[n + 1:]:
            apart = (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                     or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])
            assert apart, (a, b)
    buttons = [box(b) for b in page.locator("main .actions button").all()]
    assert len(buttons) >= 2
    for a, b in zip(buttons, buttons[1:], strict=False):
        gap = max(b["y"] - (a["y"] + a["height"]), b["x"] - (a["x"] + a["width"]))
        assert gap >= 6, f"buttons {gap}px apart"
    overflow = sideways_overflow(page)
    assert overflow <= 0


def test_the_files_list_and_the_crm_queue_fit_a_phone(new_context, server, tmp_path) -> None:
    from tests.e2e.test_orders_e2e import box

    context = new_context(**PHONE)
    page = context.new_page()
    register_individual(page, unique_email("phonefiles"))
    page.goto("/")
    page.get_by_test_id("upload-input").set_input_files(str(box(tmp_path / "bracket-left.stl", (30.0, 20.0, 10.0))))
    expect(page).to_have_url(re.compile(r"/files/[0-9a-f-]{36}$"), timeout=30_000)
    page.goto("/files")
    name = page.get_by_test_id("file-row").get_by_role("link", name="bracket-left.stl")
    expect(name).to_be_visible()
    assert name.bounding_box()["height"] < 80, "the file name is squeezed into a narrow column"
    assert sideways_overflow(page) <= 0

    staff = new_context(**PHONE).new_page()
    log_in(staff, ADMIN_EMAIL, ADMIN_PASSWORD)
    for path in ("/files", "/admin/crm"):
        staff.goto(path)
        assert sideways_overflow(staff) <= 0, path


def test_an_error_page_the_router_answers_keeps_the_visitor_logged_in(page: Page) -> None:
    log_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(page).to_have_url(re.compile(r"/admin/users$"))
    nav = page.get_by_role("navigation", name="Main")
    for path, status, heading in (("/files/not-a-file", 404, "Page not found"), ("/logout", 405, "Not allowed")):
        response = page.goto(path)
        assert response is not None and response.status == status
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        staff_nav = page.get_by_role("navigation", name="Staff pages")
        expect(staff_nav.get_by_role("link", name="Users")).to_be_visible()  # the staff header, not "Log in"
        expect(nav.get_by_role("link", name="Log in")).to_have_count(0)
    nav.get_by_role("button", name="Log out").click()  # its form works from the error page too
    expect(nav.get_by_role("link", name="Log in")).to_be_visible()
    page.goto("/admin/users")
    expect(page).to_have_url(re.compile(r"/login"))


ENGLISH_LEFT = """() => {
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const texts = [document.title];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const owner = node.parentElement.closest('[lang]');
    if (!node.parentElement.closest('script, style') && owner.lang === 'ru') texts.push(node.textContent);
  }
  for (const el of document.querySelectorAll('[placeholder], [aria-label], [title], img[alt]')) {
    for (const name of ['placeholder', 'aria-label', 'title', 'alt']) texts.push(el.getAttribute(name) || '');
  }
  for (const text of texts) {
    const words = text.replace(/\\S+@\\S+|\\S+\\.(stl|step)\\b/g, '');
    if (!/[а-яё]/i.test(words) && /[a-z]{3,}/.test(words)) found.push(text.trim());
  }
  return found;
}"""


def test_russian_pages_have_no_english_left(new_context, server) -> None:
    context = new_context(**PHONE)
    page = context.new_page()
    page.goto("/register")
    fill_person(page, unique_email("russian"), name="Ольга Иванова")
    fill_passwords(page)
    page.get_by_role("button", name="Create the account").click()
    expect(page).to_have_url(re.compile(r"/account$"))
    context.add_cookies([{"name": "lang", "value": "ru", "url": server.base_url}])
    for path in ("/", "/files", "/cart", "/orders", "/account", "/account/password", "/notifications",
                 "/call-request", "/no-such-page", "/logout"):
        page.goto(path)
        expect(page.locator("html")).to_have_attribute("lang", "ru")
        assert page.evaluate(ENGLISH_LEFT) == [], path
