"""The company details form: every field checked, each with its own message; the logo by content."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from portal.core.forms import Form, choice, field_value
from portal.core.i18n import N_
from portal.core.requisites import (
    is_valid_bik,
    is_valid_correspondent_account,
    is_valid_inn,
    is_valid_kpp,
    is_valid_ogrn,
    is_valid_settlement_account,
)
from portal.db.company import VAT_MODES

FIELDS = (
    "legal_name", "inn", "kpp", "ogrn", "legal_address", "bank_name", "bik", "correspondent_account",
    "settlement_account", "signatory",
)
MAX_LENGTHS = {"legal_name": 300, "legal_address": 1000, "bank_name": 300, "signatory": 200}
REQUIRED = {
    "legal_name": N_("Enter the company's full legal name."),
    "legal_address": N_("Enter the legal address."),
    "bank_name": N_("Enter the bank's name."),
    "signatory": N_("Enter who signs the documents, e.g. Director I. I. Ivanov."),
}
MAX_LOGO_BYTES = 200 * 1024
LOGO_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
# No "|" anywhere: the payment QR code separates its fields with it.
NO_BAR = N_("The character | cannot be used here.")


def clean_company(raw: dict[str, Any]) -> Form:
    form = Form(values={name: field_value(raw, name) for name in FIELDS})
    values, errors = form.values, form.errors
    for name in ("inn", "kpp", "ogrn", "bik", "correspondent_account", "settlement_account"):
        values[name] = values[name].replace(" ", "")
    for name, message in REQUIRED.items():
        if not values[name]:
            errors[name] = message
        elif len(values[name]) > MAX_LENGTHS[name]:
            errors[name] = N_("This is too long.")
        elif "|" in values[name]:
            errors[name] = NO_BAR
    if not is_valid_inn(values["inn"]):
        errors["inn"] = N_("The INN is not valid: 10 digits for a company, 12 for an entrepreneur; "
                           "check the last digits.")
    if len(values["inn"]) == 10 and not is_valid_kpp(values["kpp"]):
        errors["kpp"] = N_("The KPP is not valid: it has 9 characters, e.g. 770901001.")
    elif len(values["inn"]) == 12 and values["kpp"]:
        errors["kpp"] = N_("An entrepreneur has no KPP: leave it empty.")
    if not is_valid_ogrn(values["ogrn"]):
        errors["ogrn"] = N_("The OGRN is not valid: 13 digits (15 for an entrepreneur); check the last digit.")
    if not is_valid_bik(values["bik"]):
        errors["bik"] = N_("The BIK is not valid: 9 digits starting with 04.")
    for name in ("correspondent_account", "settlement_account"):
        if not (len(values[name]) == 20 and values[name].isascii() and values[name].isdigit()):
            errors[name] = N_("An account number has 20 digits.")
    if "bik" not in errors:
        if "correspondent_account" not in errors and not is_valid_correspondent_account(
                values["correspondent_account"], values["bik"]):
            errors["correspondent_account"] = N_(
                "The correspondent account does not match the BIK: check its 20 digits.")
        if "settlement_account" not in errors and not is_valid_settlement_account(
                values["settlement_account"], values["bik"]):
            errors["settlement_account"] = N_("The settlement account does not match the BIK: check its 20 digits.")
    values["vat_mode"] = choice(field_value(raw, "vat_mode"), VAT_MODES, "")
    if not values["vat_mode"]:
        errors["vat_mode"] = N_("Choose whether the company charges VAT.")
        values["vat_mode"] = "rate"
    return form


def logo_type(content: bytes) -> str | None:
    """The image's media type when it is a whole PNG or JPEG picture, else None."""
    kind = next((kind for magic, kind in LOGO_TYPES.items() if content.startswith(magic)), None)
    if kind is None:
        return None
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.verify()
    except Exception:  # noqa: BLE001 - Pillow raises many kinds for a broken picture
        return None
    return kind


def check_logo(form: Form, content: bytes) -> None:
    """Put the logo (PNG or JPEG, 200 KB at most) in form.values, or a message on the field."""
    if not content:
        return
    if len(content) > MAX_LOGO_BYTES:  # read only this far: a whole picture is never checked
        form.errors["logo"] = N_("The logo is larger than 200 KB: please make it smaller.")
    elif (kind := logo_type(content)) is None:
        form.errors["logo"] = N_("The logo must be a PNG or JPEG picture.")
    else:
        form.values["logo"] = content
        form.values["logo_type"] = kind
