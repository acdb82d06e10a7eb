"""Which language a first visit gets: the `lang` cookie, else Accept-Language by its weights."""

from __future__ import annotations

import pytest

from portal.core.i18n import choose_language


@pytest.mark.parametrize(("header", "language"), [
    ("ru;q=0.5, en;q=0.9", "en"),  # the heavier one wins, whatever the order
    ("en;q=0.5, ru;q=0.9", "ru"),
    ("ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7", "ru"),
    ("en-GB", "en"),
    ("RU", "ru"),
    ("de-DE, ru;q=0.3", "ru"),  # a language we do not have is passed over
    ("ru;q=0, en;q=0.1", "en"),  # q=0 says "not this one"
    ("ru;q=0", "en"),
    ("de, fr", "en"),
    ("*", "en"),
    ("ru;q=abc, en;q=0.2", "en"),  # a weight that is not a number counts as none
    ("", "en"),
    (None, "en"),
])
def test_accept_language_by_weight(header, language):
    assert choose_language(None, header) == language


def test_the_cookie_comes_first():
    assert choose_language("ru", "en") == "ru"
    assert choose_language("xx", "ru") == "ru"  # an unknown cookie is ignored
