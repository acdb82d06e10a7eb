"""Phone numbers reach the database and Bitrix24 in one form, E.164, from every form that asks."""

from __future__ import annotations

import pytest

from portal.accounts.schemas import clean_profile
from portal.core.phones import normalise_phone


@pytest.mark.parametrize(("typed", "stored"), [
    ("+7 912 345-67-89", "+79123456789"),
    ("8 (912) 345-67-89", "+79123456789"),  # the Russian trunk prefix
    ("912 345 67 89", "+79123456789"),  # no country code: read as Russian
    ("+7(495)111-22-33", "+74951112233"),
    ("+44 20 7946 0958", "+442079460958"),
])
def test_numbers_are_stored_in_e164(typed, stored):
    assert normalise_phone(typed) == stored


@pytest.mark.parametrize("typed", ["12", "+7 000", "call me maybe", "+7 912 345-67-89-00-11", ""])
def test_what_is_not_a_number_is_refused(typed):
    assert normalise_phone(typed) is None


def test_the_profile_stores_the_normalised_number_and_refuses_a_wrong_one():
    base = {"full_name": "Анна", "email": "anna@example.com", "account_type": "individual"}
    assert clean_profile({**base, "phone": "8 (912) 345-67-89"}).values["phone"] == "+79123456789"
    assert clean_profile({**base, "phone": ""}).values["phone"] == ""
    assert "phone" in clean_profile({**base, "phone": "+7 000 1"}).errors
