"""E-mail addresses: normalised to one spelling; disguised ones refused with a reason."""

from __future__ import annotations

import pytest

from portal.core.emails import INVALID, INVISIBLE, MIXED_SCRIPTS, email_problem, normalise_email
from portal.leads.schemas import clean_call_request


@pytest.mark.parametrize(
    "typed,stored",
    [
        ("Admin@Example.COM", "admin@example.com"),
        ("ａｄｍｉｎ@ｅｘａｍｐｌｅ.ｃｏｍ", "admin@example.com"),  # full-width letters
        ("  admin@example.com ", "admin@example.com"),
        ("Иван@Почта.РФ", "иван@почта.рф"),
    ],
)
def test_one_spelling_per_address(typed: str, stored: str) -> None:
    assert normalise_email(typed) == stored
    assert email_problem(normalise_email(typed)) is None


@pytest.mark.parametrize(
    "address,problem",
    [
        ("\u0430dmin@example.com", MIXED_SCRIPTS),  # Cyrillic а, Latin rest
        ("admin@ex\u0430mple.com", MIXED_SCRIPTS),
        ("ad\u200bmin@example.com", INVISIBLE),  # zero-width space
        ("ad\u2060min@example.com", INVISIBLE),  # word joiner
        ("admin\u202e@example.com", INVISIBLE),  # right-to-left override
        ("ad\u0007min@example.com", INVISIBLE),  # a control character
        ("ad min@example.com", INVISIBLE),
        ("not-an-email", INVALID),
        ("admin@localhost", INVALID),
    ],
)
def test_disguised_or_broken_addresses_are_refused_with_a_reason(address: str, problem: str) -> None:
    assert email_problem(normalise_email(address)) == problem


def test_each_domain_label_has_its_alphabet_but_the_local_part_is_one_whole() -> None:
    assert email_problem("ivan@почта.рф") is None
    assert email_problem("ivan@почта.example.com") is None
    assert email_problem("иван.petrov@example.com") == MIXED_SCRIPTS


def test_the_call_request_form_checks_addresses_as_sign_up_does() -> None:
    base = {"name": "Анна", "phone": "+7 912 345-67-00", "comment": "", "preferred_time": ""}
    assert clean_call_request({**base, "email": "Anna@Example.com"}).values["email"] == "anna@example.com"
    assert clean_call_request({**base, "email": "аnna@example.com"}).errors["email"] == MIXED_SCRIPTS  # Cyrillic а
    assert clean_call_request({**base, "email": "an\u200bna@example.com"}).errors["email"] == INVISIBLE
    assert clean_call_request({**base, "email": ""}).ok
