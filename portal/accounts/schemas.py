"""Account forms: clean the raw fields and say what is wrong next to each one.

The form machinery (Form, field helpers, FieldError) is portal/core/forms.py.
"""

from __future__ import annotations

import re
from typing import Any

from portal.accounts.password_policy import password_problem
from portal.core.emails import email_problem, normalise_email
from portal.core.forms import Form, choice, field_value, secret_value
from portal.core.i18n import N_
from portal.core.phones import normalise_phone
from portal.core.requisites import is_valid_inn, is_valid_kpp, is_valid_ogrn
from portal.db.models import ACCOUNT_TYPES

PROFILE_FIELDS = (
    "full_name",
    "email",
    "phone",
    "account_type",
    "company_name",
    "inn",
    "kpp",
    "ogrn",
    "legal_address",
)
BUSINESS_FIELDS = ("company_name", "inn", "kpp", "ogrn", "legal_address")
FIELDS_OF_TYPE = {  # the business fields each account type keeps
    "individual": (),
    "entrepreneur": ("company_name", "inn", "ogrn", "legal_address"),
    "legal": BUSINESS_FIELDS,
}
MAX_LENGTHS = {
    "full_name": 200,
    "email": 320,
    "phone": 32,
    "company_name": 300,
    "legal_address": 1000,
}


def clean_profile(raw: dict[str, Any]) -> Form:
    form = Form.read(raw, PROFILE_FIELDS)
    values, errors = form.values, form.errors
    values["email"] = normalise_email(values["email"])

    for name, limit in MAX_LENGTHS.items():
        if len(values[name]) > limit:
            errors[name] = N_("This is too long.")
    if not values["full_name"]:
        errors.setdefault("full_name", N_("Please enter your full name."))
    if len(values["email"]) <= MAX_LENGTHS["email"] and (problem := email_problem(values["email"])):
        errors.setdefault("email", problem)
    if values["phone"]:
        if (phone := normalise_phone(values["phone"])) is None:
            errors.setdefault("phone", N_("Please enter a phone number such as +7 912 345-67-89."))
        else:
            values["phone"] = phone
    if values["account_type"] not in ACCOUNT_TYPES:
        errors["account_type"] = N_("Choose the type of the account.")
        values["account_type"] = "individual"

    if values["account_type"] == "legal":
        _clean_legal(values, errors)
    elif values["account_type"] == "entrepreneur":
        _clean_entrepreneur(values, errors)
    for name in BUSINESS_FIELDS:
        if name not in FIELDS_OF_TYPE[values["account_type"]]:
            values[name] = ""
    return form


def typed_values(raw: dict[str, Any]) -> dict[str, str]:
    """The profile fields as typed, kept while the account type is switched back and forth."""
    values = {name: field_value(raw, name)[: MAX_LENGTHS.get(name, 1000)] for name in PROFILE_FIELDS}
    values["account_type"] = choice(values["account_type"], ACCOUNT_TYPES, "individual")
    return values


def _clean_legal(values: dict[str, str], errors: dict[str, str]) -> None:
    if not values["company_name"]:
        errors.setdefault("company_name", N_("Please enter the company name."))
    if not re.fullmatch(r"\d{10}", values["inn"]):
        errors["inn"] = N_("A company's INN has 10 digits.")
    elif not is_valid_inn(values["inn"]):
        errors["inn"] = N_("This INN does not pass the checksum: please check the digits.")
    if not re.fullmatch(r"\d{9}", values["kpp"]) or not is_valid_kpp(values["kpp"]):
        errors["kpp"] = N_("A KPP has 9 digits.")
    if not re.fullmatch(r"\d{13}", values["ogrn"]):
        errors["ogrn"] = N_("An OGRN has 13 digits.")
    elif not is_valid_ogrn(values["ogrn"]):
        errors["ogrn"] = N_("This OGRN does not pass the checksum: please check the digits.")
    if not values["legal_address"]:
        errors.setdefault("legal_address", N_("Please enter the legal address."))


def _clean_entrepreneur(values: dict[str, str], errors: dict[str, str]) -> None:
    """An individual entrepreneur (ИП): a 12-digit INN, a 15-digit OGRNIP in `ogrn`, no KPP."""
    if not values["company_name"]:
        errors.setdefault("company_name", N_("Please enter the business name, such as IP Ivanov I. I."))
    if not re.fullmatch(r"\d{12}", values["inn"]):
        errors["inn"] = N_("An individual entrepreneur's INN has 12 digits.")
    elif not is_valid_inn(values["inn"]):
        errors["inn"] = N_("This INN does not pass the checksum: please check the digits.")
    if not re.fullmatch(r"\d{15}", values["ogrn"]):
        errors["ogrn"] = N_("An OGRNIP has 15 digits.")
    elif not is_valid_ogrn(values["ogrn"]):
        errors["ogrn"] = N_("This OGRNIP does not pass the checksum: please check the digits.")
    if not values["legal_address"]:
        errors.setdefault("legal_address", N_("Please enter the registration address."))


def clean_email(raw: dict[str, Any]) -> Form:
    """A form with one field, `email` (asking for a password-reset link)."""
    form = Form.read(raw, ["email"])
    form.values["email"] = normalise_email(form.values["email"])[:320]
    if "email" not in form.errors and (problem := email_problem(form.values["email"])):
        form.errors["email"] = problem
    return form


def check_new_password(raw: dict[str, Any], form: Form, email: str) -> str:
    """The new password, with the reason it is refused on the form (see password_policy.py)."""
    password = secret_value(raw, "password")
    if problem := password_problem(password, email):
        form.errors["password"] = problem
    elif password != secret_value(raw, "password_confirm"):
        form.errors["password_confirm"] = N_("The two passwords do not match.")
    return password


def clean_registration(raw: dict[str, Any]) -> tuple[Form, str]:
    form = clean_profile(raw)
    password = check_new_password(raw, form, form.values["email"])
    return form, password


QUOTA_LIMITS = {"quota_mb": 100 * 1024 * 1024, "quota_files": 10_000_000}  # 100 TB; ten million files
QUOTA_NOT_A_NUMBER = N_("Enter a whole number, or leave the field empty for the usual quota.")


def clean_quota(data: dict[str, Any]) -> Form:
    """Staff set one account's quota: a whole number per field, or empty for the settings' one.
    `values` holds the numbers as text ("" for empty)."""
    form = Form()
    for name, limit in QUOTA_LIMITS.items():
        raw = field_value(data, name)
        form.values[name] = raw
        if raw and not (raw.isascii() and raw.isdigit() and int(raw) <= limit):
            form.errors[name] = QUOTA_NOT_A_NUMBER
    return form
