"""Phone numbers in one form, E.164 (+79123456789), wherever they are typed: Bitrix24 matches
duplicates on it, and people type the same number many ways (8 (912) …, +7 912 …)."""

from __future__ import annotations

import phonenumbers

DEFAULT_REGION = "RU"  # a number without +country code is read as Russian


def normalise_phone(raw: str) -> str | None:
    """E.164 for a valid number, else None."""
    try:
        number = phonenumbers.parse(raw, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
