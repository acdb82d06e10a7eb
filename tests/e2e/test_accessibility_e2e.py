"""Every page through axe-core (vendored for the tests only: tests/e2e/vendor/axe-core-*), at 1280×900 and 390×844, in
English and Russian, with no violations; and on the phone nothing wider than the screen.

PAGES is the list of pages. A new page is one more line:

    Seen("/orders/{order_id}", who="customer"),             # {names} come from the `ids` fixture
    Seen("/orders/new", who="customer", then=submit_empty),  # after an action: a failed form

`who` is None for a visitor, "customer" or "staff"; `then` brings the page into a state worth
checking. A fixture that creates something to look at adds its id to `ids`.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Server, sideways_overflow
from tests.e2e.test_accounts_e2e import PASSWORD

pytestmark = pytest.mark.e2e

# The site never serves axe-core: the browser is handed the file from here for a same-origin URL
# of the test's own, so the page's CSP (script-src 'self') stays as it is.
AXE = next((Path(__file__).resolve().parent / "vendor").glob("axe-core-*/axe.min.js"))
AXE_URL = "/__tests__/axe.min.js"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
LANGUAGES = ["en", "ru"]

CUBE_STL = b"solid cube\n" + b"".join(
    b"facet normal 0 0 0\nouter loop\n" + b"".join(b"vertex %d %d %d\n" % v for v in tri) + b"endloop\nendfacet\n"
    for tri in [
        ((0, 0, 0), (10, 10, 0), (10, 0, 0)), ((0, 0, 0), (0, 10, 0), (10, 10, 0)),
        ((0, 0, 10), (10, 0, 10), (10, 10, 10)), ((0, 0, 10), (10, 10, 10), (0, 10, 10)),
        ((0, 0, 0), (10, 0, 0), (10, 0, 10)), ((0, 0, 0), (10, 0, 10), (0, 0, 10)),
        ((0, 10, 0), (10, 10, 10), (10, 10, 0)), ((0, 10, 0), (0, 10, 10), (10, 10, 10)),
        ((0, 0, 0), (0, 0, 10), (0, 10, 10)), ((0, 0, 0), (0, 10, 10), (0, 10, 0)),
        ((10, 0, 0), (10, 10, 0), (10, 10, 10)), ((10, 0, 0), (10, 10, 10), (10, 0, 10)),
    ]
) + b"endsolid cube\n"


def submit_empty(page: Page) -> None:
    """Send the page's main form as it is: the error summary and the marked fields appear."""
    page.locator("main form.stack button[type=submit]").last.click()
    expect(page.get_by_test_id("error-summary")).to_be_visible()


def save_company_details_with_wrong_accounts(page: Page) -> None:
    for name, value in (("legal_name", "ООО «Цех»"), ("inn", "7709123453"), ("kpp", "770901001"),
                        ("ogrn", "1027700132195"), ("legal_address", "Москва"), ("bank_name", "ПАО Сбербанк"),
                        ("bik", "041234567"), ("correspondent_account", "30101810400000000225"),
                        ("settlement_account", "40702810938000000001"), ("signatory", "Директор")):
        page.locator(f"#field-{name}").fill(value)
    page.locator("main form.stack button[type=submit]").last.click()
    expect(page.get_by_test_id("error-summary")).to_be_visible()


def register_as_company_with_bad_numbers(page: Page) -> None:
    page.get_by_role("radio").nth(2).check()
    page.locator("#field-inn").fill("123")
    submit_empty(page)


def fail_to_log_in(page: Page) -> None:
    page.locator("#field-email").fill(f"nobody-{secrets.token_hex(3)}@example.com")
    page.locator("#field-password").fill("not the password")
    submit_empty(page)


def add_a_taken_material(page: Page) -> None:
    """The rate card refused: a new material with a code its process has already (nothing is saved)."""
    page.locator("#panel-process-fdm summary").click()  # the editor's panels start closed
    page.locator("#panel-finishes summary").click()
    page.locator('input[name="new.processes.fdm.materials.code"]').fill("pla")
    page.locator('input[name="remove"][value="finishes.polish"]').check()
    page.locator('form.rates button[type=submit]:not([formaction])').click()
    expect(page.locator('input[name="new.processes.fdm.materials.code"]')).to_have_attribute("aria-invalid", "true")


def refuse_a_removal_and_preview(page: Page) -> None:
    """The rate card: a removal refused beside its box (the default lead time), then the price
    preview of the same edits, which lists the refusal (nothing is saved)."""
    page.locator("#panel-lead_times summary").click()
    page.locator('input[name="remove"][value="lead_times[1]"]').check()
    page.locator('form.rates button[type=submit]:not([formaction])').click()
    expect(page.get_by_test_id("remove-error")).to_be_visible()
    page.get_by_test_id("preview-prices").click()
    expect(page.get_by_test_id("rate-preview").locator("h2")).to_be_visible()


def preview_prices(page: Page) -> None:
    """The rate card's price preview of an edit (nothing is saved)."""
    page.locator("#panel-quantity_breaks summary").click()
    page.locator('input[name="new.quantity_breaks.quantity"]').fill("2")
    page.locator('input[name="new.quantity_breaks.discount"]').fill("0.01")
    page.get_by_test_id("preview-prices").click()
    expect(page.get_by_test_id("rate-preview").locator("h2")).to_be_visible()  # rows once a part was priced


def promise_a_past_ship_by_date(page: Page) -> None:
    """Staff set a ship-by date that has passed (the browser's own check taken off): refused next to the field."""
    field = page.locator("#field-ship_by")
    field.evaluate("element => element.removeAttribute('min')")
    field.fill("2020-01-01")
    page.get_by_test_id("new-ship-by").locator("button[type=submit]").click()
    expect(page.locator("#error-ship_by")).to_be_visible()


def attach_a_forged_drawing(page: Page) -> None:
    """A manual-quote request with a "drawing" that is not one: refused next to the field."""
    manual = page.get_by_test_id("manual-quote")
    if manual.count():
        manual.locator("summary").click()
    form = page.get_by_test_id("review-form").first
    form.locator('input[name="document"]').set_input_files(
        files=[{"name": "drawing.dwg", "mimeType": "application/octet-stream", "buffer": b"%PDF-1.4\n%%EOF\n"}]
    )
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("review-document-error")).to_be_visible()


def record_a_payment(page: Page) -> None:
    """The order awaits payment and some of it is paid: the staff's order page with its payments table."""
    for status in ("in_review", "awaiting_payment"):
        if page.locator(f'#field-status option[value="{status}"]').count():
            page.locator("#field-status").select_option(status)
            page.locator("form:has(#field-status) button[type=submit]").click()
            expect(page.get_by_test_id("order-status")).to_have_class(re.compile(f"status-{status}"))
    form = page.get_by_test_id("record-payment")
    form.locator('input[name="amount"]').fill("1")
    form.get_by_role("button").click()
    expect(page.locator("#payments-title ~ .table-wrap table")).to_be_visible()


@dataclass(frozen=True)
class Seen:
    path: str
    who: str | None = None  # None: a visitor; "customer"; "staff"
    then: Callable[[Page], None] | None = None

    @property
    def id(self) -> str:
        return f"{self.who or 'visitor'}:{self.path}" + (f"+{self.then.__name__}" if self.then else "")


PAGES = [
    Seen("/"),
    Seen("/login"),
    Seen("/login", then=fail_to_log_in),
    Seen("/register"),
    Seen("/register?account_type=entrepreneur"),
    Seen("/register", then=register_as_company_with_bad_numbers),
    Seen("/register/sent"),
    Seen("/password-reset"),
    Seen("/password-reset", then=submit_empty),
    Seen("/password-reset/sent"),
    Seen("/password-reset/no-longer-valid"),
    Seen("/no/such/page"),
    Seen("/files"),
    Seen("/call-request"),
    Seen("/account", "customer"),
    Seen("/account?account_type=legal", "customer", then=submit_empty),
    Seen("/account/password", "customer"),
    Seen("/account/password", "customer", then=submit_empty),
    Seen("/files", "customer"),
    Seen("/files/{file_id}", "customer"),
    Seen("/orders", "customer"),
    Seen("/orders/{order_id}", "customer"),
    Seen("/cart", "customer"),
    Seen("/checkout", "customer"),
    Seen("/notifications", "customer"),
    Seen("/admin/users", "staff"),
    Seen("/admin/users?q=zzzz-nobody", "staff"),
    Seen("/admin/users/{company_id}", "staff"),
    Seen("/admin/users/{customer_id}", "staff"),
    Seen("/admin/rates", "staff"),
    Seen("/admin/rates", "staff", then=add_a_taken_material),
    Seen("/admin/rates", "staff", then=refuse_a_removal_and_preview),
    Seen("/admin/rates", "staff", then=preview_prices),
    Seen("/admin/reviews", "staff"),
    Seen("/admin/orders", "staff"),
    Seen("/admin/orders/{order_id}", "staff"),
    Seen("/admin/orders/{order_id}", "staff", then=promise_a_past_ship_by_date),
    Seen("/files/{file_id}", "customer", then=attach_a_forged_drawing),
    Seen("/admin/orders/{order_id}", "staff", then=record_a_payment),
    Seen("/admin/leads", "staff"),
    Seen("/admin/crm", "staff"),
    Seen("/admin/company", "staff"),
    Seen("/admin/company", "staff", then=save_company_details_with_wrong_accounts),
]


@dataclass
class People:
    storage: dict[str, dict]  # who → the browser storage of a logged-in session
    ids: dict[str, str]


def _log_in(page: Page, email: str, password: str) -> None:
    page.goto("/login")
    page.locator("#field-email").fill(email)
    page.locator("#field-password").fill(password)
    page.locator("main form button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def _register(page: Page, email: str, company: bool) -> str:
    page.goto("/register?account_type=legal" if company else "/register")
    page.locator("#field-full_name").fill("Ada Lovelace-Byron")
    page.locator("#field-email").fill(email)
    if company:
        page.locator("#field-company_name").fill("Analytical Engines LLC")
        page.locator("#field-inn").fill("7707083893")
        page.locator("#field-kpp").fill("773601001")
        page.locator("#field-ogrn").fill("1027700132195")
        page.locator("#field-legal_address").fill("Moscow, Tverskaya st. 1")
    page.locator("#field-password").fill(PASSWORD)
    page.locator("#field-password_confirm").fill(PASSWORD)
    page.locator("button[value=register]").click()
    expect(page).to_have_url(re.compile(r"/account$"))
    return email


def _add_to_cart(page: Page, file_id: str) -> None:
    """Without JavaScript: the file's page is loaded again until the part is priced."""
    page.goto(f"/files/{file_id}")
    for _ in range(60):
        if page.get_by_test_id("add-to-cart").count():
            break
        page.wait_for_timeout(1000)
        page.reload()
    page.get_by_test_id("add-to-cart").click()
    expect(page).to_have_url(re.compile(r"/cart$"))


def _order_it(page: Page, file_id: str) -> str:
    _add_to_cart(page, file_id)
    page.goto("/checkout")
    page.locator("#field-delivery_address").fill("Moscow, Vavilova st. 19")
    page.locator("#field-contact_name").fill("Ada Lovelace-Byron")
    page.locator("#field-contact_phone").fill("+7 495 123-45-67")
    page.get_by_test_id("place-order").click()
    expect(page).to_have_url(re.compile(r"/orders/[0-9a-f-]{36}$"))
    return urlsplit(page.url).path.rsplit("/", 1)[1]


@pytest.fixture(scope="module")
def people(browser: Browser, server: Server) -> People:
    """A customer with an uploaded model, an order of it and it in the cart again, two companies
    with one INN, and the admin."""
    ids: dict[str, str] = {}
    storage: dict[str, dict] = {}
    # each sign-up in a browser of its own: a page left behind (its own requests still on the way)
    # cannot set cookies under the next one
    for kind in ("customer", "company", "company"):
        context = browser.new_context(base_url=server.base_url)
        email = _register(context.new_page(), f"axe-{kind}-{secrets.token_hex(3)}@example.com", kind == "company")
        context.close()
        if kind == "customer":
            customer = email
        else:
            company = email

    context = browser.new_context(base_url=server.base_url, java_script_enabled=False)
    page = context.new_page()
    _log_in(page, customer, PASSWORD)
    page.goto("/")
    page.get_by_test_id("upload-input").set_input_files(
        files=[{"name": "cube.stl", "mimeType": "model/stl", "buffer": CUBE_STL}]
    )
    page.get_by_role("button", name="Upload and get a price").click()
    expect(page).to_have_url(re.compile(r"/files/[0-9a-f-]{36}$"))
    ids["file_id"] = urlsplit(page.url).path.rsplit("/", 1)[1]
    ids["order_id"] = _order_it(page, ids["file_id"])
    _add_to_cart(page, ids["file_id"])  # the next order's cart is not empty
    storage["customer"] = context.storage_state()
    context.close()

    context = browser.new_context(base_url=server.base_url)
    page = context.new_page()
    _log_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    for key, email in (("customer_id", customer), ("company_id", company)):
        page.goto(f"/admin/users?q={email}")
        ids[key] = page.get_by_role("link", name=email).get_attribute("href").rsplit("/", 1)[1]
    storage["staff"] = context.storage_state()
    context.close()
    return People(storage=storage, ids=ids)


def _axe_violations(page: Page) -> list[str]:
    page.route("**" + AXE_URL, lambda route: route.fulfill(path=AXE, content_type="text/javascript"))
    page.add_script_tag(url=AXE_URL)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in result["violations"]
    ]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("device", list(VIEWPORTS))
@pytest.mark.parametrize("seen", PAGES, ids=lambda seen: seen.id)
def test_no_accessibility_violations(browser, server, people, seen: Seen, device: str, language: str) -> None:
    options = {"base_url": server.base_url, "viewport": VIEWPORTS[device]}
    if seen.who:
        options["storage_state"] = people.storage[seen.who]
    if device == "phone":
        options.update(is_mobile=True, has_touch=True)
    context = browser.new_context(**options)
    try:
        context.add_cookies([{"name": "lang", "value": language, "url": server.base_url}])
        page = context.new_page()
        page.goto(seen.path.format(**people.ids), wait_until="domcontentloaded")
        if seen.then:
            seen.then(page)
        expect(page.locator("html")).to_have_attribute("lang", language)

        violations = _axe_violations(page)
        assert not violations, f"{seen.id} {device} {language}:\n" + "\n".join(violations)

        if device == "phone":
            overflow = sideways_overflow(page)
            assert overflow <= 0, f"{seen.id} {language}: {overflow}px wider than the phone's screen"
    finally:
        context.close()
