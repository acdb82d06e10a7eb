"""Before a changed rate card is saved: what the latest quotes would cost with it.

Each of the latest priced files (the options its owner last saw) is priced twice, in process,
from its stored analysis: with the card in use and with the edited one. Nothing is written and
nothing is enqueued: an FDM part uses its kept slices only when both cards have one, else both
prices are the instant estimate, so the two figures are always worked out the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from geometry.model import GeometryError
from geometry.pricing import Part, RateCard
from portal.db.models import ModelFile
from portal.files.slicing import slice_options
from portal.quotes.labels import options_named
from portal.quotes.services import UNITS, CurrentCard, QuoteForm, QuoteService, build_form, part_of
from portal.quotes.views import default_options, units_question

PREVIEW_QUOTES = 5


@dataclass(frozen=True)
class Priced:
    form: QuoteForm
    total: Decimal | None
    currency: str
    reason: str | None  # why there is no price: a geometry code


@dataclass(frozen=True)
class PreviewRow:
    file: ModelFile
    options: list[tuple[str, str]]  # as the edited card prices them, named in the reader's language
    old: Priced
    new: Priced

    @property
    def options_changed(self) -> bool:
        """The edited card prices other options (something chosen is gone from it)."""
        return self.old.form.as_dict() != self.new.form.as_dict()

    @property
    def change_percent(self) -> Decimal | None:
        if self.old.total is None or self.new.total is None or not self.old.total:
            return None
        return ((self.new.total - self.old.total) / self.old.total * 100).quantize(Decimal("0.1"))


def _units(file: ModelFile, wanted: dict[str, Any]) -> str:
    units = wanted.get("units") or file.units
    if units not in UNITS:  # not answered yet: the more plausible reading, as the panel does
        question = units_question(file)
        units = question.suggested if question else "mm"
    return units


async def _slice(file: ModelFile, form: QuoteForm, card: RateCard, units: str, quotes: QuoteService) -> Any:
    """The kept slice for an FDM quote, read only (a missing one is not asked for)."""
    if not form.infills or quotes.slices is None:
        return None
    try:
        wanted = slice_options(card, form.options, UNITS[units])
    except GeometryError:
        return None
    kept = await quotes.slices.kept(file.sha256, wanted) if wanted is not None else None
    return kept.result if kept is not None else None


def _price(file: ModelFile, units: str, part: Part, form: QuoteForm, card: RateCard, card_key: Any,
           sliced: Any, quotes: QuoteService, keep: bool) -> Priced:
    if form.errors:
        return Priced(form, None, card.currency, "bad_options")
    outcome = quotes.outcome(f"{file.sha256}:{units}", part, form, card, card_key, sliced=sliced, keep=keep)
    quote = outcome.quote
    return Priced(form, quote.total if quote else None, quote.currency if quote else card.currency,
                  outcome.review_reason)


async def preview_prices(
    files: list[ModelFile], current: CurrentCard, edited: RateCard, quotes: QuoteService
) -> list[PreviewRow]:
    """Old and new price of each file's last quote."""
    rows = []
    for file in files:
        if file.is_assembly and not file.whole:  # priced part by part, in their own files
            continue
        wanted = default_options(file)
        units = _units(file, wanted)
        old_part = part_of(file.metrics or {}, file.findings or [], units, current.card)
        new_part = part_of(file.metrics or {}, file.findings or [], units, edited)
        old_form, new_form = build_form(old_part, current.card, wanted), build_form(new_part, edited, wanted)
        old_slice = await _slice(file, old_form, current.card, units, quotes)
        new_slice = await _slice(file, new_form, edited, units, quotes)
        if old_slice is None or new_slice is None:
            old_slice = new_slice = None
        old = _price(file, units, old_part, old_form, current.card, current.key, old_slice, quotes, keep=True)
        new = _price(file, units, new_part, new_form, edited, None, new_slice, quotes, keep=False)
        rows.append(PreviewRow(file, options_named(new_form.as_dict(), edited), old, new))
    return rows
