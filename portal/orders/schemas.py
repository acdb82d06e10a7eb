"""Order forms: clean the raw fields and say what is wrong next to each one."""

from __future__ import annotations

import re
import secrets
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from portal.core.forms import Form, choice, field_value
from portal.core.i18n import N_
from portal.core.phones import normalise_phone
from portal.db.models import User
from portal.db.orders import DOCUMENT_KINDS, ORDER_STATUSES, PAYMENT_METHODS
from portal.orders.services import OrderFilters

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
    form = Form.read(raw, ("status", "note"), multiline={"note"})
    if form.values["status"] not in ORDER_STATUSES:
        form.errors["status"] = N_("Choose the new status.")
    if len(form.values["note"]) > 2000:
        form.errors["note"] = N_("This is too long.")
    return form


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


def clean_filters(status: str, customer: str, date_from: str, date_to: str, q: str) -> tuple[OrderFilters, dict]:
    """Admin list filters from the query string; anything unreadable is ignored and shown empty."""
    shown = {"status": "", "customer": "", "date_from": "", "date_to": "", "q": q.strip()[:200]}
    filters = OrderFilters(text=shown["q"])
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
