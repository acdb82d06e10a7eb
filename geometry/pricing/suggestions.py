""" "Cheaper if…": re-price the neighbours of a choice and keep those that cost less per part.

The neighbours are a slower lead time, the next quantity break, the next looser tolerance and the
cheapest other material of the same class. Each is priced by the same engine, so a suggestion's
saving is exactly the difference a customer would see after changing that one option.
"""

from __future__ import annotations

from dataclasses import replace

from geometry.pricing.engine import MAX_QUANTITY, Choice, Part, Quote, Suggestion, price_choice
from geometry.pricing.ratecard import RateCard


def suggest(part: Part, card: RateCard, choice: Choice, base: Quote) -> tuple[Suggestion, ...]:
    candidates: list[tuple[str, str, str, str | int, Choice]] = []

    # slower lead times (the card lists them slowest first)
    position = card.lead_times.index(choice.lead_time)
    for tier in card.lead_times[:position]:
        candidates.append(
            (
                "lead_time",
                f"Choose {tier.name.lower()} lead time",
                "lead_time",
                tier.id,
                replace(choice, lead_time=tier),
            )
        )

    # the next quantity break
    larger = [
        b.quantity for b in card.quantity_breaks if choice.quantity < b.quantity <= MAX_QUANTITY
    ]
    if larger:
        candidates.append(
            (
                "quantity",
                f"Order {larger[0]} parts",
                "quantity",
                larger[0],
                replace(choice, quantity=larger[0]),
            )
        )

    # the next looser tolerance this process offers (the card lists them loosest first)
    tolerances = card.tolerances_for(choice.process.id)
    position = tolerances.index(choice.tolerance)
    if position > 0:
        looser = tolerances[position - 1]
        candidates.append(
            (
                "tolerance",
                f"Accept {looser.name} where the drawing allows",
                "tolerance",
                looser.id,
                replace(choice, tolerance=looser),
            )
        )

    # the cheapest other material of the same class
    same_class = [
        m
        for m in choice.process.materials
        if m.material_class == choice.material.material_class
        and m.id != choice.material.id
        and (choice.finish is None or choice.finish.applies_to(choice.process.id, m.material_class))
    ]
    priced = [(price_choice(part, card, replace(choice, material=m)).total, m) for m in same_class]
    if priced:
        _, cheapest = min(priced, key=lambda pair: pair[0])
        candidates.append(
            (
                "material",
                f"Use {cheapest.name} instead of {choice.material.name}",
                "material",
                cheapest.id,
                replace(choice, material=cheapest),
            )
        )

    suggestions = []
    for code, label, option, value, alternative in candidates:
        other = price_choice(part, card, alternative)
        saving = base.unit_price - other.unit_price
        if saving <= 0:
            continue
        if code == "lead_time":
            label = f"{label}: {other.lead_time_days} days instead of {base.lead_time_days}"
        suggestions.append(
            Suggestion(
                code=code,
                label=label,
                option=option,
                value=value,
                unit_price=other.unit_price,
                total=other.total,
                saving_per_unit=saving,
                saving_total=base.total - other.total,
                lead_time_days=other.lead_time_days,
            )
        )
    return tuple(suggestions)
