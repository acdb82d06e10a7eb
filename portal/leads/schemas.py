"""The call-request form: name, phone, e-mail (optional), comment, preferred time."""

from __future__ import annotations

from typing import Any

from portal.core.emails import email_problem, normalise_email
from portal.core.forms import Form, field_value
from portal.core.i18n import N_
from portal.core.phones import normalise_phone

FIELDS = ("name", "phone", "email", "comment", "preferred_time")
MAX_LENGTHS = {"name": 200, "phone": 32, "email": 320, "comment": 2000, "preferred_time": 100}
HONEYPOT = "website"  # hidden from people; a bot that fills it gets a thank-you and nothing else


def safe_page(raw: str) -> str:
    """The page the form was sent from: a path on this site, else the home page."""
    if raw.startswith("/") and not raw.startswith("//") and "\\" not in raw and len(raw) <= 500:
        return raw
    return "/"


def clean_call_request(raw: dict[str, Any]) -> Form:
    form = Form.read(raw, FIELDS, multiline={"comment"})
    values, errors = form.values, form.errors
    for name, limit in MAX_LENGTHS.items():
        if len(values[name]) > limit:
            errors[name] = N_("This is too long.")
    if not values["name"]:
        errors.setdefault("name", N_("Please tell us your name."))
    if not values["phone"]:
        errors.setdefault("phone", N_("Please enter a phone number such as +7 912 345-67-89."))
    elif "phone" not in errors:
        phone = normalise_phone(values["phone"])
        if phone is None:
            errors["phone"] = N_("This does not look like a phone number: please check it, e.g. +7 912 345-67-89.")
        else:
            values["phone_e164"] = phone
    values["email"] = normalise_email(values["email"])
    if values["email"] and "email" not in errors and (problem := email_problem(values["email"])):
        errors["email"] = problem
    values["page"] = safe_page(field_value(raw, "page"))
    return form


def is_bot(raw: dict[str, Any]) -> bool:
    return bool(field_value(raw, HONEYPOT))
