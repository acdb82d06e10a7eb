"""Money and numbers the reader's way, through Babel."""

from __future__ import annotations

from decimal import Decimal

import pytest

from portal.core.i18n import current_language, local_money, local_number


@pytest.mark.parametrize(("language", "amount", "shown"), [
    ("en", Decimal("-7190.47"), "\u2212₽7,190.47"),
    ("ru", Decimal("-7190.47"), "\u22127\u00a0190,47\u00a0₽"),
    ("en", Decimal("3660"), "₽3,660.00"),
    ("ru", "3660", "3\u00a0660,00\u00a0₽"),
    ("en", Decimal("12.5"), "₽12.50"),
])
def test_money_is_written_the_readers_way(language, amount, shown) -> None:
    token = current_language.set(language)
    try:
        assert local_money(amount) == shown
    finally:
        current_language.reset(token)


@pytest.mark.parametrize(("language", "value", "shown"), [
    ("en", "3,000.0", "3,000.0"),
    ("ru", "3,000.0", "3\u00a0000,0"),
    ("ru", "0.80", "0,80"),
    ("ru", 12.7, "12,7"),
    ("ru", "abc", "abc"),
])
def test_numbers_keep_their_decimals_in_the_readers_way(language, value, shown) -> None:
    token = current_language.set(language)
    try:
        assert local_number(value) == shown
    finally:
        current_language.reset(token)
