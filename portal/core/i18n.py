"""Languages: English source text, a Russian catalogue; chosen per request."""

from __future__ import annotations

import re
from contextvars import ContextVar
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from babel.core import negotiate_locale
from babel.numbers import format_currency, format_decimal
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
LANGUAGES = {"en": "English", "ru": "Русский"}
DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "lang"

current_language: ContextVar[str] = ContextVar("current_language", default=DEFAULT_LANGUAGE)


def N_(message: str) -> str:  # noqa: N802 - the conventional marker for deferred translation
    """Mark text for the catalogue; it is translated where it is shown."""
    return message


@lru_cache(maxsize=len(LANGUAGES))
def translations_for(language: str) -> NullTranslations:
    if language == DEFAULT_LANGUAGE:
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), [language], domain="messages")


def gettext(message: str) -> str:
    return translations_for(current_language.get()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return translations_for(current_language.get()).ngettext(singular, plural, count)


def choose_language(cookie: str | None, accept_language: str | None) -> str:
    """The `lang` cookie, else the best of our languages by Accept-Language's weights (Babel's
    negotiation: `en-GB` matches `en`), else the default."""
    if cookie in LANGUAGES:
        return cookie
    return negotiate_locale(_by_weight(accept_language or ""), list(LANGUAGES), sep="-") or DEFAULT_LANGUAGE


def _by_weight(header: str) -> list[str]:
    """Accept-Language's tags, the heaviest first (ties keep their order); q=0 means "not this"."""
    ranked = []
    for position, part in enumerate(header.split(",")):
        tag, *params = (piece.strip() for piece in part.split(";"))
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if tag and weight > 0:
            ranked.append((-weight, position, tag.lower()))
    return [tag for _, _, tag in sorted(ranked)]


class LanguageMiddleware:
    """Sets the request's language from the `lang` cookie, else from Accept-Language."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
            cookie = _cookie_value(headers.get("cookie", ""), LANGUAGE_COOKIE)
            language = choose_language(cookie, headers.get("accept-language"))
            scope.setdefault("state", {})["language"] = language
            token = current_language.set(language)
            try:
                await self.app(scope, receive, send)
            finally:
                current_language.reset(token)
            return
        await self.app(scope, receive, send)


def _cookie_value(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")  # as Python writes one: "3,000", "12.5", "0.80"


def local_number(value: object) -> str:
    """Numbers written the reader's way, each with the decimals it was written with: in Russian
    "1 500,5", where English writes "1,500.5" (a Russian reader takes "3,000" for three). Text
    around them ("3,000 × 2,000 mm") stays as it is."""
    return NUMBER.sub(lambda match: _local_decimal(Decimal(match.group().replace(",", ""))), str(value))


def _local_decimal(number: Decimal) -> str:
    places = max(0, -number.as_tuple().exponent)
    return format_decimal(number, format="#,##0." + "0" * places if places else "#,##0",
                          locale=current_language.get())


def local_money(amount: Decimal | str, currency: str = "RUB") -> str:
    """An amount of money the reader's way (Babel): "₽7,190.47" / "7 190,47 ₽"; a negative one
    with a true minus sign in front: "−₽7,190.47" / "−7 190,47 ₽". English takes the rouble's
    sign where Babel's English would write its code."""
    text = format_currency(Decimal(str(amount)), currency, locale=current_language.get())
    if currency == "RUB":
        text = text.replace("RUB", "₽")
    return text.replace("-", "\u2212")


def local_name(entry) -> str:
    """A rate-card entry's name in the current language (`name_ru` on Russian pages, when set)."""
    return getattr(entry, f"name_{current_language.get()}", "") or entry.name
