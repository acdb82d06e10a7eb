"""INN, KPP and OGRN checksums, with real registry numbers and near misses."""

from __future__ import annotations

import pytest

from portal.accounts.schemas import clean_profile
from portal.core.requisites import (
    is_valid_bik,
    is_valid_correspondent_account,
    is_valid_inn,
    is_valid_kpp,
    is_valid_ogrn,
    is_valid_settlement_account,
)

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


ENTREPRENEUR = {
    "account_type": "entrepreneur", "full_name": "Ivan Ivanov", "email": "ivan@example.com",
    "company_name": "IP Ivanov I. I.", "inn": VALID_INN12[0], "kpp": "773601001",
    "ogrn": VALID_OGRNIP15[0], "legal_address": "Moscow, Lenina st. 1",
}


def test_an_individual_entrepreneur_has_a_12_digit_inn_and_an_ogrnip_and_no_kpp() -> None:
    form = clean_profile(ENTREPRENEUR)
    assert form.ok, form.errors
    assert form.values["inn"] == "500100732259" and form.values["ogrn"] == "304500116000157"
    assert form.values["kpp"] == ""  # typed while it was a company; an entrepreneur has none


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"inn": VALID_INN10[0]}, "inn", "An individual entrepreneur's INN has 12 digits."),
        ({"inn": "500100732258"}, "inn", "This INN does not pass the checksum: please check the digits."),
        ({"ogrn": VALID_OGRN13[0]}, "ogrn", "An OGRNIP has 15 digits."),
        ({"ogrn": "304500116000158"}, "ogrn", "This OGRNIP does not pass the checksum: please check the digits."),
        ({"company_name": ""}, "company_name", "Please enter the business name, such as IP Ivanov I. I."),
        ({"legal_address": ""}, "legal_address", "Please enter the registration address."),
    ],
)
def test_an_individual_entrepreneur_gets_a_message_for_each_wrong_field(change, field, message) -> None:
    form = clean_profile({**ENTREPRENEUR, **change})
    assert form.errors == {field: message}


def test_a_company_still_needs_a_10_digit_inn_and_a_13_digit_ogrn() -> None:
    form = clean_profile({**ENTREPRENEUR, "account_type": "legal", "company_name": "OOO Romashka"})
    assert form.errors["inn"] == "A company's INN has 10 digits."
    assert form.errors["ogrn"] == "An OGRN has 13 digits."


BANKS = [  # BIK and correspondent account of real banks
    ("044525225", "30101810400000000225"),
    ("044525593", "30101810200000000593"),
    ("044525974", "30101810145250000974"),
]


@pytest.mark.parametrize(("bik", "account"), BANKS)
def test_real_correspondent_accounts_match_their_bik(bik: str, account: str) -> None:
    assert is_valid_bik(bik)
    assert is_valid_correspondent_account(account, bik)


@pytest.mark.parametrize("bik", ["123456789", "04452522", "0445252250", "04452522X", "٠٤٤٥٢٥٢٢٥"])
def test_invalid_bik(bik: str) -> None:
    assert not is_valid_bik(bik)


def test_every_single_digit_change_breaks_a_settlement_account() -> None:
    account, bik = "40702810938000000001", "044525225"
    assert is_valid_settlement_account(account, bik)
    for position in range(20):
        for digit in "0123456789":
            if digit != account[position]:
                changed = account[:position] + digit + account[position + 1:]
                assert not is_valid_settlement_account(changed, bik), changed


def test_an_account_is_checked_against_its_own_bank() -> None:
    assert not is_valid_settlement_account("40702810938000000001", "044525593")
    assert not is_valid_correspondent_account("30101810400000000225", "044525593")
