"""An amount of roubles in words, as Russian documents write it under the total ("сумма прописью"):
"Одна тысяча двести тридцать четыре рубля 50 копеек"."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from num2words import num2words


def _plural(number: int, one: str, few: str, many: str) -> str:
    if number % 100 in range(11, 15):
        return many
    return {1: one, 2: few, 3: few, 4: few}.get(number % 10, many)


def roubles_in_words(amount: Decimal, language: str = "ru") -> str:
    amount = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    roubles, kopecks = divmod(int(amount * 100), 100)
    if language == "ru":
        words = num2words(roubles, lang="ru")
        text = f"{words} {_plural(roubles, 'рубль', 'рубля', 'рублей')} " \
               f"{kopecks:02d} {_plural(kopecks, 'копейка', 'копейки', 'копеек')}"
    else:
        words = num2words(roubles, lang="en")
        text = f"{words} {'rouble' if roubles == 1 else 'roubles'} " \
               f"{kopecks:02d} {'kopeck' if kopecks == 1 else 'kopecks'}"
    return text[0].upper() + text[1:]
