"""The total in words under an invoice's or offer's total."""

from __future__ import annotations

from decimal import Decimal

import pytest

from portal.orders.words import roubles_in_words


@pytest.mark.parametrize(("amount", "words"), [
    ("1830.00", "Одна тысяча восемьсот тридцать рублей 00 копеек"),
    ("21.01", "Двадцать один рубль 01 копейка"),
    ("1234.52", "Одна тысяча двести тридцать четыре рубля 52 копейки"),
    ("111.11", "Сто одиннадцать рублей 11 копеек"),
    ("0.005", "Ноль рублей 01 копейка"),
])
def test_russian(amount: str, words: str) -> None:
    assert roubles_in_words(Decimal(amount)) == words


def test_english() -> None:
    assert roubles_in_words(Decimal("1.01"), "en") == "One rouble 01 kopeck"
