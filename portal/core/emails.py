"""E-mail addresses: one spelling per address, and no look-alikes of someone else's.

Addresses are compared after NFKC normalisation and case folding, so full-width or otherwise
"compatible" letters become the plain ones (and meet the existing account). Invisible, bidi and
control characters, and a part of the address that mixes alphabets (a Cyrillic "а" among Latin
letters), are refused with a message: such an address is a disguise, not a typo.
"""

from __future__ import annotations

import unicodedata

from confusable_homoglyphs import confusables
from email_validator import EmailNotValidError, validate_email

from portal.core.i18n import N_

INVALID = N_("Please enter a valid e-mail address.")
INVISIBLE = N_("The e-mail address contains invisible or control characters. Please type it again.")
MIXED_SCRIPTS = N_("A part of the e-mail address mixes alphabets (such as Latin and Cyrillic letters). "
                   "Please type it again.")

# control, format (zero-width, bidi), private use, surrogate, unassigned, line/paragraph separators
_HIDDEN_CATEGORIES = {"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp", "Zs"}


def normalise_email(value: str) -> str:
    """The form an address is stored and looked up in."""
    return unicodedata.normalize("NFKC", value).strip().casefold()


def email_problem(address: str) -> str | None:
    """What is wrong with a normalised address (a message marked with N_), or None."""
    if any(unicodedata.category(char) in _HIDDEN_CATEGORIES for char in address):
        return INVISIBLE
    local, _, domain = address.rpartition("@")
    if any(confusables.is_mixed_script(part) for part in [local, *domain.split(".")]):
        return MIXED_SCRIPTS
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return INVALID
    return None
