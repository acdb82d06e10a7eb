"""New passwords: common, guessable and e-mail-bearing ones are refused; the strength is rated."""

from __future__ import annotations

import pytest

from portal.accounts.password_policy import (
    CONTAINS_EMAIL,
    TOO_COMMON,
    TOO_LONG,
    TOO_SHORT,
    password_problem,
    rate_password,
)

EMAIL = "maria.ivanova@example.com"


@pytest.mark.parametrize(
    "password,problem",
    [
        ("password", TOO_COMMON),
        ("12345678", TOO_COMMON),
        ("        ", TOO_COMMON),  # eight spaces
        ("qwertyuiop", TOO_COMMON),
        ("Password1", TOO_COMMON),  # the list is compared without case
        ("iloveyou2", TOO_COMMON),
        ("aaaaaaaaaaaa", TOO_COMMON),
        ("maria.ivanova@example.com!", CONTAINS_EMAIL),
        ("MARIA.IVANOVA rules 2026", CONTAINS_EMAIL),  # the name part of the address
        ("short", TOO_SHORT),
        ("x" * 1025, TOO_LONG),
    ],
)
def test_refused_passwords_say_why(password: str, problem: str) -> None:
    assert password_problem(password, EMAIL) == problem


@pytest.mark.parametrize("password", ["correct horse battery", "a brand new secret", "пароль для заказов 7"])
def test_good_passwords_pass_and_rate_strong(password: str) -> None:
    rating = rate_password(password, EMAIL)
    assert rating.problem is None
    assert rating.score >= 3
    assert rating.level in ("Good", "Strong")


def test_the_rating_grows_with_the_password() -> None:
    scores = [rate_password(password, EMAIL).score for password in ("", "zk", "another one!", "a brand new secret")]
    assert scores == sorted(scores) and scores[0] == 0 and scores[-1] == 4


def test_a_very_long_password_is_rated_quickly_on_its_start() -> None:
    assert rate_password("correct horse battery " * 40, EMAIL).problem is None
