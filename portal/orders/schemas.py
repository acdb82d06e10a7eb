"""Order forms: clean the raw fields and say what is wrong next to each one."""

from __future__ import annotations

import re
import secrets
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from portal.core.forms import Form, choice, field_value
from portal.core.i18n import N_
from portal.core.phones import normalise_phone
from portal.db.models import User
from portal.db.orders import DOCUMENT_KINDS, ORDER_STATUSES, PAYMENT_METHODS, PAYMENT_WAYS
from portal.orders.carriers import CARRIERS, MAX_TRACKING, TRACKING_NUMBER
from portal.orders.services import PAYMENT_FILTERS, OrderFilters

KEY_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_PRICE = Decimal("100000000")

CHECKOUT_FIELDS = ("delivery_address", "contact_name", "contact_phone", "comment", "po_number", "payment_method")
LIMITS = {"delivery_address": 1000, "contact_name": 200, "contact_phone": 32, "comment": 4000, "po_number": 64}


def new_submit_key() -> str:
    """The checkout form's one-time key: the same form sent twice places one order."""
    return secrets.token_urlsafe(24)


def checkout_defaults(customer: User) -> Form:
    return Form(
        values={
            "delivery_address": customer.legal_address if customer.is_legal else "",
            "contact_name": customer.full_name,
            "contact_phone": customer.phone,
            "comment": "",
            "po_number": "",
            "payment_method": "invoice" if customer.is_legal else "card",
            "submit_key": new_submit_key(),
        }
    )


def clean_checkout(raw: dict[str, Any], customer: User) -> Form:
    form = Form.read(raw, CHECKOUT_FIELDS, multiline={"delivery_address", "comment"})
    values, errors = form.values, form.errors
    values["submit_key"] = field_value(raw, "submit_key")
    for name, limit in LIMITS.items():
        if len(values[name]) > limit:
            errors[name] = N_("This is too long.")
    if not values["delivery_address"]:
        errors.setdefault("delivery_address", N_("Please enter the delivery address."))
    if not values["contact_name"]:
        errors.setdefault("contact_name", N_("Please enter the contact person's name."))
    if not values["contact_phone"]:
        errors.setdefault("contact_phone", N_("Please enter a phone number for the delivery."))
    elif (phone := normalise_phone(values["contact_phone"])) is None:
        errors.setdefault("contact_phone", N_("Please enter a phone number such as +7 912 345-67-89."))
    else:
        values["contact_phone"] = phone
    allowed = PAYMENT_METHODS if customer.is_legal else ("card",)
    if values["payment_method"] not in allowed:
        if values["payment_method"]:
            errors["payment_method"] = N_("Payment by invoice is for company accounts.")
        values["payment_method"] = "card"
    if not KEY_RE.match(values["submit_key"]):
        # A form without its key (an old page, a hand-made request): a fresh key, and the person
        # sends the form again knowingly.
        values["submit_key"] = new_submit_key()
        errors.setdefault("form", N_("The form was out of date. Please check it and place the order again."))
    return form


def clean_status_change(raw: dict[str, Any]) -> Form:
    form = Form.read(raw, ("status", "note", "override_reason"), multiline={"note", "override_reason"})
    if form.values["status"] not in ORDER_STATUSES:
        form.errors["status"] = N_("Choose the new status.")
    for name in ("note", "override_reason"):
        if len(form.values[name]) > 2000:
            form.errors[name] = N_("This is too long.")
    return form


def parse_amount(text: str) -> Decimal | None:
    """"12 500,50" → Decimal("12500.50"); None when it is not a number above zero with at most
    two decimal places below MAX_PRICE."""
    try:
        amount = Decimal(text.replace("\u00a0", "").replace(" ", "").replace(",", "."))
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount <= 0 or amount >= MAX_PRICE or amount != amount.quantize(Decimal("0.01")):
        return None
    return amount


def _clean_day(form: Form, name: str, today: date) -> date | None:
    """A day no earlier than 2000 and no later than tomorrow (a time zone ahead of ours)."""
    text = form.values[name]
    if not text:
        return today
    try:
        day = date.fromisoformat(text)
    except ValueError:
        form.errors[name] = N_("Enter the date as YYYY-MM-DD.")
        return None
    if day.year < 2000 or day > today + timedelta(days=1):
        form.errors[name] = N_("Enter a date that has already come.")
        return None
    return day


def clean_payment(raw: dict[str, Any], today: date) -> tuple[Form, Decimal | None, date | None]:
    form = Form(values={name: field_value(raw, name) for name in ("amount", "paid_on", "method", "reference")})
    amount = parse_amount(form.values["amount"])
    if amount is None:
        form.errors["amount"] = N_("Enter the amount as a number above zero, such as 12500.00.")
    paid_on = _clean_day(form, "paid_on", today)
    if form.values["method"] not in PAYMENT_WAYS:
        form.errors["method"] = N_("Choose how the money came.")
    if len(form.values["reference"]) > 200:
        form.errors["reference"] = N_("This is too long.")
    return form, amount, paid_on


MAX_PROMISE_DAYS = 366


def clean_ship_by(raw: dict[str, Any], today: date) -> tuple[Form, date | None]:
    """The new ship-by date staff promise (today at the earliest, within a year) and an optional
    reason, which the customer reads."""
    form = Form.read(raw, ("ship_by", "ship_by_reason"), multiline={"ship_by_reason"})
    text, day = form.values["ship_by"], None
    if not text:
        form.errors.setdefault("ship_by", N_("Enter the new ship-by date."))
    else:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            form.errors.setdefault("ship_by", N_("Enter the date as YYYY-MM-DD."))
    if day is not None and day < today:
        form.errors["ship_by"] = N_("This date has passed: enter today's date or a later one.")
    elif day is not None and day > today + timedelta(days=MAX_PROMISE_DAYS):
        form.errors["ship_by"] = N_("Enter a date within a year from today.")
    if len(form.values["ship_by_reason"]) > 2000:
        form.errors["ship_by_reason"] = N_("This is too long.")
    return form, day if form.ok else None


def clean_shipment(raw: dict[str, Any], line_ids: list[UUID], today: date) -> tuple[Form, date | None, dict]:
    """The shipment form: carrier, tracking number, day, and `quantity-<line id>` per part."""
    form = Form(values={name: field_value(raw, name) for name in ("carrier", "tracking_number", "shipped_on")})
    number = form.values["tracking_number"]
    if form.values["carrier"] not in CARRIERS:
        form.errors["carrier"] = N_("Choose the carrier.")
    elif CARRIERS[form.values["carrier"]].url is not None and not number:
        form.errors["tracking_number"] = N_("Enter the carrier's tracking number.")
    if number and (len(number) > MAX_TRACKING or not TRACKING_NUMBER.match(number)):
        form.errors["tracking_number"] = N_("A tracking number has only letters, digits and dashes, at most 40.")
    shipped_on = _clean_day(form, "shipped_on", today)
    quantities: dict[UUID, int] = {}
    for line_id in line_ids:
        text = field_value(raw, f"quantity-{line_id}") or "0"
        form.values[f"quantity-{line_id}"] = text
        if not text.isdigit() or len(text) > 6:
            form.errors["lines"] = N_("Enter each quantity as a whole number, 0 or more.")
            continue
        quantities[line_id] = int(text)
    return form, shipped_on, quantities


def clean_price(raw: dict[str, Any]) -> tuple[Form, Decimal | None]:
    form = Form.read(raw, ("price", "reason"))
    amount = None
    text = form.values["price"].replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        form.errors["price"] = N_("Enter the price as a number, such as 12500.00.")
    else:
        if not amount.is_finite() or amount <= 0 or amount >= MAX_PRICE or amount != amount.quantize(Decimal("0.01")):
            form.errors["price"] = N_("Enter a price above zero with at most two decimal places.")
            amount = None
    if not form.values["reason"]:
        form.errors["reason"] = N_("Say why the price is set by hand (for staff: the customer does not see it).")
    elif len(form.values["reason"]) > 1000:
        form.errors["reason"] = N_("This is too long.")
    return form, amount


def clean_note(raw: dict[str, Any]) -> Form:
    form = Form.read(raw, ("note",), multiline={"note"})
    if not form.values["note"]:
        form.errors["note"] = N_("Write the note first.")
    elif len(form.values["note"]) > 4000:
        form.errors["note"] = N_("This is too long.")
    return form


def seen_version(raw: dict[str, Any]) -> int | None:
    text = field_value(raw, "version")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


def document_kind(value: str | None, staff: bool) -> str:
    kinds = DOCUMENT_KINDS if staff else ("drawing", "other")
    return choice(value, kinds, "drawing" if not staff else "other")


def clean_filters(status: str, customer: str, date_from: str, date_to: str, q: str, payment: str = "",
                  overdue_days: int = 7) -> tuple[OrderFilters, dict]:
    """Admin list filters from the query string; anything unreadable is ignored and shown empty."""
    shown = {"status": "", "customer": "", "date_from": "", "date_to": "", "q": q.strip()[:200], "payment": ""}
    filters = OrderFilters(text=shown["q"], overdue_days=overdue_days)
    if payment in PAYMENT_FILTERS:
        filters.payment = shown["payment"] = payment
    if status in ORDER_STATUSES:
        filters.status = shown["status"] = status
    try:
        filters.customer_id = UUID(customer) if customer else None
        shown["customer"] = customer if customer else ""
    except ValueError:
        pass
    for name, value in (("date_from", date_from), ("date_to", date_to)):
        try:
            setattr(filters, name, date.fromisoformat(value) if value else None)
            shown[name] = value if value else ""
        except ValueError:
            pass
    return filters, shown
