"""Pricing: a rate card, a part's measurements and the customer's options → an itemised quote.

    card = default_rate_card()                      # or load_rate_card(toml_text_or_path_or_dict)
    q = quote(analysis, card, QuoteOptions("cnc_milling", "al_6061", quantity=10))
    q.as_dict()                                     # JSON-ready, Decimals as strings

`analysis` is a `geometry.model.Analysis`, or a `Part` built from stored figures.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

from geometry.model import Analysis, ProcessLimits
from geometry.pricing.engine import (
    Driver,
    Line,
    Part,
    PriceBreak,
    Quote,
    QuoteOptions,
    Sliced,
    Suggestion,
    check_part,
    price,
    price_choice,
    price_table,
    resolve,
    setup_charge,
)
from geometry.pricing.ratecard import RateCard, load_rate_card
from geometry.pricing.suggestions import suggest

__all__ = [
    "Driver",
    "Line",
    "Part",
    "PriceBreak",
    "Quote",
    "QuoteOptions",
    "RateCard",
    "Sliced",
    "Suggestion",
    "catalog",
    "default_process_limits",
    "default_rate_card",
    "default_rate_card_text",
    "load_rate_card",
    "price",
    "quote",
    "setup_charge",
]


def quote(part: Part | Analysis, card: RateCard, options: QuoteOptions, sliced: Any = None) -> Quote:
    """The full quote: priced lines, the price over the quantity breaks, and cheaper options.

    `sliced`: the part's slice for these options (see `price`); FDM prices from it.
    """
    part = Part.of(part)
    choice = replace(resolve(card, options), sliced=sliced)
    check_part(part, choice.process)
    base = price_choice(part, card, choice)
    return replace(
        base,
        price_table=price_table(part, card, choice),
        suggestions=suggest(part, card, choice, base),
    )


def default_rate_card_text() -> str:
    """The default rate card as TOML text: the portal's first editable copy."""
    # beside this file (importlib.resources would import tempfile, random and zipfile as well)
    return Path(__file__).with_name("default_rates.toml").read_text("utf-8")


@cache
def default_rate_card() -> RateCard:
    return load_rate_card(default_rate_card_text())


def process_limits(card: RateCard) -> list[ProcessLimits]:
    return [
        ProcessLimits(
            name=p.id,
            envelope_mm=tuple(float(v) for v in p.envelope_mm),  # type: ignore[arg-type]
            min_wall_mm=float(p.min_wall_mm),
        )
        for p in card.processes
    ]


def default_process_limits() -> list[ProcessLimits]:
    """Envelope and minimum wall per process of the default card, for the DFM checks."""
    return process_limits(default_rate_card())


def catalog(card: RateCard) -> dict:
    """What a customer can choose, JSON-ready (amounts as strings)."""
    return {
        "name": card.name,
        "version": card.version,
        "currency": card.currency,
        "vat_rate": str(card.vat_rate),
        "minimum_order": str(card.minimum_order),
        "default_tolerance": card.default_tolerance,
        "default_lead_time": card.default_lead_time,
        "processes": [
            {
                "id": p.id,
                "name": p.name,
                "kind": p.kind,
                "envelope_mm": [str(v) for v in p.envelope_mm],
                "min_wall_mm": str(p.min_wall_mm),
                "materials": [
                    {
                        "id": m.id,
                        "name": m.name,
                        "class": m.material_class,
                        "density_g_cm3": str(m.density_g_cm3),
                        "price_per_kg": str(m.price_per_kg),
                    }
                    for m in p.materials
                ],
                "tolerances": [t.id for t in card.tolerances_for(p.id)],
                "finishes": [f.id for f in card.finishes if p.id in f.processes],
            }
            for p in card.processes
        ],
        "finishes": [
            {
                "id": f.id,
                "name": f.name,
                "per_part": str(f.per_part),
                "per_cm2": str(f.per_cm2),
                "extra_days": f.extra_days,
                "processes": list(f.processes),
                "material_classes": list(f.material_classes),
            }
            for f in card.finishes
        ],
        "tolerances": [
            {
                "id": t.id,
                "name": t.name,
                "multiplier": str(t.multiplier),
                "processes": list(t.processes),
            }
            for t in card.tolerances
        ],
        "lead_times": [
            {"id": t.id, "name": t.name, "multiplier": str(t.multiplier), "days": t.days}
            for t in card.lead_times
        ],
        "quantity_breaks": [
            {"quantity": b.quantity, "discount": str(b.discount)} for b in card.quantity_breaks
        ],
    }
