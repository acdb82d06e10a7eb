"""Russian requisites and their checksums: INN, KPP, OGRN, BIK and the control keys of bank accounts."""

from __future__ import annotations

_INN10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS_11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS_12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _check_digit(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def is_valid_inn(value: str) -> bool:
    """A legal entity's INN has 10 digits; an individual entrepreneur's has 12."""
    if not value.isdigit() or not value.isascii():
        return False
    if len(value) == 10:
        return _check_digit(value[:9], _INN10_WEIGHTS) == int(value[9])
    if len(value) == 12:
        return _check_digit(value[:10], _INN12_WEIGHTS_11) == int(value[10]) and _check_digit(
            value[:11], _INN12_WEIGHTS_12
        ) == int(value[11])
    return False


def is_valid_kpp(value: str) -> bool:
    return len(value) == 9 and value.isascii() and value[:4].isdigit() and value[6:].isdigit() and (
        value[4:6].isdigit() or value[4:6].isalpha() and value[4:6].isupper()
    )


def is_valid_ogrn(value: str) -> bool:
    """OGRN: 13 digits, the last is (first 12 mod 11) mod 10. OGRNIP: 15 digits, mod 13."""
    if not value.isdigit() or not value.isascii():
        return False
    if len(value) == 13:
        return int(value[:12]) % 11 % 10 == int(value[12])
    if len(value) == 15:
        return int(value[:14]) % 13 % 10 == int(value[14])
    return False


_ACCOUNT_WEIGHTS = (7, 1, 3)


def is_valid_bik(value: str) -> bool:
    """A Russian bank's BIK: 9 digits, starting with 04 (the country code)."""
    return len(value) == 9 and value.isascii() and value.isdigit() and value.startswith("04")


def _account_key_ok(digits: str) -> bool:
    return sum(int(d) * _ACCOUNT_WEIGHTS[i % 3] for i, d in enumerate(digits)) % 10 == 0


def _is_account(value: str) -> bool:
    return len(value) == 20 and value.isascii() and value.isdigit()


def is_valid_settlement_account(account: str, bik: str) -> bool:
    """The Bank of Russia control key: the BIK's last 3 digits and the 20-digit account."""
    return _is_account(account) and is_valid_bik(bik) and _account_key_ok(bik[-3:] + account)


def is_valid_correspondent_account(account: str, bik: str) -> bool:
    """The Bank of Russia control key: "0", the BIK's 5th and 6th digits and the 20-digit account.
    A bank's correspondent account also ends with its BIK's last three digits."""
    return (_is_account(account) and is_valid_bik(bik) and account[-3:] == bik[-3:]
            and _account_key_ok("0" + bik[4:6] + account))
