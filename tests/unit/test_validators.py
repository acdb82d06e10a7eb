"""INN, KPP and OGRN checksums, with real registry numbers and near misses."""

from __future__ import annotations

import pytest

from portal.accounts.schemas import clean_profile
from portal.accounts.validators import is_valid_inn, is_valid_kpp, is_valid_ogrn

VALID_INN10 = ["7707083893", "7736050003", "7702070139"]
VALID_INN12 = ["500100732259"]
VALID_OGRN13 = ["1027700132195", "1027700070518", "1027739609391"]
VALID_OGRNIP15 = ["304500116000157"]


@pytest.mark.parametrize("inn", VALID_INN10 + VALID_INN12)
def test_valid_inn(inn: str) -> None:
    assert is_valid_inn(inn)


@pytest.mark.parametrize(
    "inn",
    ["7707083894", "7707083890", "500100732258", "123", "770708389X", "", "77070838931",
     "٧٧٠٧٠٨٣٨٩٣"],  # the last one: Arabic-Indic digits are digits to Python, not to the tax office
)
def test_invalid_inn(inn: str) -> None:
    assert not is_valid_inn(inn)


def test_every_single_digit_change_breaks_a_10_digit_inn() -> None:
    inn = VALID_INN10[0]
    for position in range(10):
        for digit in "0123456789":
            changed = inn[:position] + digit + inn[position + 1:]
            if changed != inn:
                assert not is_valid_inn(changed) or position < 9 and changed[:9] != inn[:9], changed


@pytest.mark.parametrize("ogrn", VALID_OGRN13 + VALID_OGRNIP15)
def test_valid_ogrn(ogrn: str) -> None:
    assert is_valid_ogrn(ogrn)


@pytest.mark.parametrize("ogrn", ["1027700132196", "1027700132190", "102770013219", "abcdefghijklm", ""])
def test_invalid_ogrn(ogrn: str) -> None:
    assert not is_valid_ogrn(ogrn)


@pytest.mark.parametrize("kpp,ok", [("773601001", True), ("7736AB001", True), ("77360100", False),
                                    ("7736ab001", False), ("77360100x", False)])
def test_kpp(kpp: str, ok: bool) -> None:
    assert is_valid_kpp(kpp) is ok


def test_company_form_names_each_bad_field() -> None:
    form = clean_profile({
        "account_type": "legal", "full_name": "A", "email": "a@example.com",
        "company_name": "", "inn": "7707083894", "kpp": "1", "ogrn": "1027700132196",
        "legal_address": "",
    })
    assert set(form.errors) == {"company_name", "inn", "kpp", "ogrn", "legal_address"}


def test_private_person_drops_company_fields() -> None:
    form = clean_profile({"account_type": "individual", "full_name": "A", "email": "A@Example.com",
                          "inn": "garbage"})
    assert form.ok and form.values["inn"] == "" and form.values["email"] == "a@example.com"
