"""Which new passwords are accepted, and how strong one looks.

Refused: fewer than 8 or more than 1024 characters; a password in the list of the 30,000 most
common passwords seen in breaches, or one zxcvbn rates as guessable in under a thousand tries
(repeats such as eight spaces, sequences such as 12345678, keyboard walks); a password that contains
the account's e-mail address or the name part of it. The list and the rating come from zxcvbn
(Dropbox's estimator, Python port; its "passwords" list is drawn from leaked password sets).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from portal.accounts.passwords import MAX_LENGTH, MIN_LENGTH
from portal.core.i18n import N_

RATED_LENGTH = 72  # zxcvbn looks at this many characters; what follows only adds strength

TOO_SHORT = N_("Use at least 8 characters.")
TOO_LONG = N_("Use at most 1024 characters.")
TOO_COMMON = N_("This password is too easy to guess: a common password, a repeat or a sequence. "
                "Please choose another.")
CONTAINS_EMAIL = N_("The password must not contain your e-mail address.")

LEVELS = (N_("Too easy to guess"), N_("Weak"), N_("Fair"), N_("Good"), N_("Strong"))


@dataclass(frozen=True)
class Rating:
    score: int  # 0 (too easy to guess) to 4 (strong), as zxcvbn scores
    problem: str | None  # why the password would be refused (marked with N_), or None

    @property
    def level(self) -> str:
        return LEVELS[self.score]


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def _email_parts(email: str) -> list[str]:
    local = email.partition("@")[0]
    return [part for part in (email, local) if len(part) >= 4]


def rate_password(password: str, email: str = "") -> Rating:
    """`email` is the normalised address of the account the password is for ("" when unknown)."""
    if len(password) > MAX_LENGTH:
        return Rating(0, TOO_LONG)
    folded = password.casefold()
    parts = _email_parts(email.casefold())
    score = zxcvbn(password[:RATED_LENGTH], user_inputs=parts)["score"] if password else 0
    if len(password) < MIN_LENGTH:
        return Rating(min(score, 1), TOO_SHORT)
    if any(part in folded for part in parts):
        return Rating(0, CONTAINS_EMAIL)
    if score == 0 or folded in _common_passwords():
        return Rating(0, TOO_COMMON)
    return Rating(score, None)


def password_problem(password: str, email: str = "") -> str | None:
    return rate_password(password, email).problem
