"""Properties of the price over random plausible parts and random valid options."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from geometry.pricing import Part, QuoteOptions, default_rate_card, price, quote, setup_charge

CARD = default_rate_card()
COMPONENTS = (
    "material",
    "machine_time",
    "handling",
    "setup",
    "finish",
    "tolerance",
    "lead_time",
    "quantity_discount",
    "minimum_order",
)


@st.composite
def parts_for(draw, process_id: str) -> Part:
    """A part that fits the process: a box of sides a ≥ b ≥ c, partly filled."""
    envelope = sorted((float(v) for v in CARD.process(process_id).envelope_mm), reverse=True)
    a = draw(st.floats(1.0, envelope[0]))
    b = draw(st.floats(1.0, min(a, envelope[1])))
    c = draw(st.floats(1.0, min(b, envelope[2])))
    fill = draw(st.floats(0.05, 1.0))
    box_area = 2 * (a * b + b * c + a * c)
    roughness = draw(st.floats(0.6, 4.0))  # pockets and ribs add surface
    sides = (a, b, c)
    shuffled = draw(st.permutations(sides))
    oriented = draw(st.booleans())
    return Part(
        volume_mm3=a * b * c * fill,
        area_mm2=box_area * roughness,
        bbox_mm=tuple(shuffled),
        obb_mm=sides if oriented else None,
        holes=draw(st.none() | st.integers(0, 60)),
    )


@st.composite
def cases(draw, max_quantity: int = 5000) -> tuple[Part, QuoteOptions]:
    process = draw(st.sampled_from(CARD.processes))
    material = draw(st.sampled_from(process.materials))
    finishes = CARD.finishes_for(process.id, material.material_class)
    finish = draw(st.none() | st.sampled_from([f.id for f in finishes])) if finishes else None
    options = QuoteOptions(
        process=process.id,
        material=material.id,
        quantity=draw(st.integers(1, max_quantity)),
        finish=finish,
        tolerance=draw(st.sampled_from([t.id for t in CARD.tolerances_for(process.id)])),
        lead_time=draw(st.sampled_from([t.id for t in CARD.lead_times])),
    )
    return draw(parts_for(process.id)), options


@given(cases(), st.integers(1, 5000))
def test_unit_price_never_rises_with_quantity(case, other):
    part, options = case
    small, large = sorted((options.quantity, other))
    fewer = price(part, CARD, replace(options, quantity=small))
    more = price(part, CARD, replace(options, quantity=large))
    assert more.unit_price <= fewer.unit_price
    assert more.unit_price_net <= fewer.unit_price_net


@given(cases())
def test_unit_price_never_rises_over_the_price_table(case):
    part, options = case
    table = quote(part, CARD, options).price_table
    prices = [row.unit_price for row in table]
    assert prices == sorted(prices, reverse=True)


@given(cases())
def test_economy_standard_express_in_that_order(case):
    part, options = case
    quotes = [price(part, CARD, replace(options, lead_time=t.id)) for t in CARD.lead_times]
    assert [t.id for t in CARD.lead_times] == ["economy", "standard", "express"]
    for slower, faster in zip(quotes, quotes[1:], strict=False):
        assert slower.unit_price <= faster.unit_price
        assert slower.total <= faster.total
        assert slower.lead_time_days >= faster.lead_time_days


@given(cases())
def test_a_looser_tolerance_never_costs_more(case):
    part, options = case
    tolerances = CARD.tolerances_for(options.process)  # loosest first
    quotes = [price(part, CARD, replace(options, tolerance=t.id)) for t in tolerances]
    for looser, finer in zip(quotes, quotes[1:], strict=False):
        assert looser.unit_price <= finer.unit_price
        assert looser.total <= finer.total


@settings(max_examples=50)
@given(cases())
def test_same_input_same_output(case):
    part, options = case
    first = quote(part, CARD, options)
    second = quote(replace(part), CARD, replace(options))
    assert first == second
    assert json.dumps(first.as_dict()) == json.dumps(second.as_dict())


@given(cases())
def test_lines_add_up_to_the_total(case):
    part, options = case
    q = price(part, CARD, options)
    assert [line.code for line in q.lines] == [*COMPONENTS, "subtotal", "vat", "total"]
    assert sum(q.line(code) for code in COMPONENTS) == q.subtotal == q.line("subtotal")
    assert q.subtotal + q.vat == q.total == q.line("total")
    assert q.vat == (q.subtotal * CARD.vat_rate).quantize(Decimal("0.01"), ROUND_HALF_UP)
    for line in q.lines:
        assert line.amount == line.amount.quantize(Decimal("0.01"))  # money, to the kopeck
    assert q.line("material") >= 0 and q.line("machine_time") >= 0 and q.line("setup") > 0
    assert q.line("quantity_discount") <= 0 and q.line("minimum_order") >= 0


@given(cases())
def test_minimum_order_value_is_respected(case):
    part, options = case
    q = price(part, CARD, options)
    assert q.subtotal >= CARD.minimum_order
    assert q.unit_price_net * q.quantity >= CARD.minimum_order - q.quantity * Decimal("0.005")


@given(cases(max_quantity=1))
def test_one_part_costs_its_unit_price(case):
    part, options = case
    q = price(part, CARD, options)
    assert q.unit_price == q.total and q.unit_price_net == q.subtotal


@settings(max_examples=50)
@given(cases())
def test_suggestions_save_money_and_match_a_repricing(case):
    part, options = case
    q = quote(part, CARD, options)
    for s in q.suggestions:
        assert s.saving_per_unit > 0
        assert s.saving_per_unit == q.unit_price - s.unit_price
        repriced = price(part, CARD, replace(options, **{s.option: s.value}))
        assert (repriced.unit_price, repriced.total) == (s.unit_price, s.total)


def scaled(part: Part, factor: float) -> Part:
    return Part(
        volume_mm3=part.volume_mm3 * factor**3,
        area_mm2=part.area_mm2 * factor**2,
        bbox_mm=tuple(v * factor for v in part.bbox_mm),
        obb_mm=tuple(v * factor for v in part.obb_mm) if part.obb_mm else None,
        holes=part.holes,
    )


def fits(part: Part, process_id: str) -> bool:
    room = sorted((float(v) for v in CARD.process(process_id).envelope_mm), reverse=True)
    return all(side <= space for side, space in zip(sorted(part.bbox_mm, reverse=True), room, strict=True))


@given(cases(), st.floats(1.0, 3.0))
def test_a_larger_part_never_costs_less(case, factor):
    part, options = case
    larger = scaled(part, factor)
    if not fits(larger, options.process):
        return
    assert price(larger, CARD, options).total >= price(part, CARD, options).total


def harder_pairs():
    """(harder, softer) materials of one process: slower to cut or print and no cheaper a cm³."""
    for process in CARD.processes:
        for a in process.materials:
            for b in process.materials:
                if a.id != b.id and a.factor <= b.factor and (
                    a.price_per_kg * a.density_g_cm3 >= b.price_per_kg * b.density_g_cm3
                ):
                    yield process.id, a.id, b.id


HARDER = list(harder_pairs())


@given(st.sampled_from(HARDER), st.data())
def test_a_harder_material_never_costs_less(pair, data):
    process_id, harder, softer = pair
    part = data.draw(parts_for(process_id))
    options = QuoteOptions(process=process_id, material=softer, quantity=data.draw(st.integers(1, 500)),
                           tolerance=CARD.default_tolerance if process_id in CARD.tolerance(
                               CARD.default_tolerance).processes else CARD.tolerances_for(process_id)[0].id,
                           lead_time=CARD.default_lead_time)
    assert price(part, CARD, replace(options, material=harder)).total >= price(part, CARD, options).total


@given(cases())
def test_a_tighter_tolerance_or_a_faster_lead_time_never_costs_less(case):
    part, options = case
    base = price(part, CARD, options).total
    for tolerance in CARD.tolerances_for(options.process):
        if tolerance.multiplier >= CARD.tolerance(options.tolerance).multiplier:
            assert price(part, CARD, replace(options, tolerance=tolerance.id)).total >= base
    for tier in CARD.lead_times:
        if tier.multiplier >= CARD.lead_time(options.lead_time).multiplier:
            assert price(part, CARD, replace(options, lead_time=tier.id)).total >= base


@given(cases())
def test_an_order_line_carries_neither_setup_nor_minimum_and_setup_is_what_it_left_out(case):
    part, options = case
    alone = price(part, CARD, options)
    line = price(part, CARD, options, alone=False)
    assert line.line("setup") == 0 and line.line("minimum_order") == 0
    assert line.total <= alone.total
    charge = setup_charge(part, CARD, options)
    assert charge > 0
    if alone.line("minimum_order") == 0:  # above the minimum, alone = line + its setup (to a cent per line)
        assert abs(alone.subtotal - (line.subtotal + charge)) <= Decimal("0.01") * len(COMPONENTS)
