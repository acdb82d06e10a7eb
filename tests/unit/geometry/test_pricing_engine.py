"""The calculation on hand-made parts: choices, refusals, CNC and printing specifics, output."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest
from models import tee

from geometry.analyze import analyze_triangles
from geometry.model import Analysis, Finding, GeometryError
from geometry.pricing import (
    Part,
    QuoteOptions,
    Sliced,
    catalog,
    default_rate_card,
    price,
    quote,
)
from geometry.pricing.engine import per_part_costs
from geometry.pricing.fdm import FITTED

CARD = default_rate_card()
BLOCK = Part(volume_mm3=100_000.0, area_mm2=25_000.0, bbox_mm=(100.0, 60.0, 30.0))


def error(part, options) -> GeometryError:
    with pytest.raises(GeometryError) as info:
        quote(part, CARD, options)
    return info.value


@pytest.mark.parametrize(
    ("options", "code", "listed"),
    [
        (QuoteOptions("laser", "al_6061"), "unknown_process", "cnc_milling, cnc_turning, fdm"),
        (QuoteOptions("cnc_milling", "pla"), "unknown_material", "al_6061"),
        (QuoteOptions("fdm", "pla", finish="anodize_black"), "unknown_finish", "sanded"),
        (
            QuoteOptions("fdm", "pla", tolerance="precision_0025"),
            "unknown_tolerance",
            "iso2768_c, iso2768_m",
        ),
        (
            QuoteOptions("fdm", "pla", lead_time="yesterday"),
            "unknown_lead_time",
            "economy, standard, express",
        ),
    ],
)
def test_unknown_choices_list_the_valid_ones(options, code, listed):
    exc = error(BLOCK, options)
    assert exc.code == code
    assert listed in exc.message


def test_finish_must_suit_the_material_class():
    exc = error(BLOCK, QuoteOptions("cnc_milling", "steel_45", finish="anodize_clear"))
    assert exc.code == "unknown_finish"
    assert "zinc_plate" in exc.message and "anodize_clear" not in exc.message.split(":")[-1]


@pytest.mark.parametrize("quantity", [0, -3, 100_001, True])
def test_quantity_out_of_range(quantity):
    assert error(BLOCK, QuoteOptions("fdm", "pla", quantity=quantity)).code == "bad_quantity"


@pytest.mark.parametrize(
    "part",
    [
        Part(volume_mm3=0.0, area_mm2=10.0, bbox_mm=(1.0, 1.0, 1.0)),
        Part(volume_mm3=10.0, area_mm2=10.0, bbox_mm=(1.0, 0.0, 1.0)),
        Part(volume_mm3=float("nan"), area_mm2=10.0, bbox_mm=(1.0, 1.0, 1.0)),
    ],
)
def test_a_part_without_measurements_is_refused(part):
    assert error(part, QuoteOptions("fdm", "pla")).code == "bad_part"


def test_a_blocking_finding_for_the_process_refuses_the_quote():
    finding = Finding.of("exceeds_envelope", process="sla", size="300 × 10 × 10", envelope="145 × 145 × 175")
    part = Part(1000.0, 600.0, (10.0, 10.0, 10.0), findings=(finding,))
    exc = error(part, QuoteOptions("sla", "tough"))
    assert (exc.code, exc.params) == ("exceeds_envelope", finding.params)
    assert exc.message == finding.message
    # the same finding does not stop another process
    assert quote(part, CARD, QuoteOptions("fdm", "pla")).total > 0


def test_a_blocking_finding_for_every_process_refuses_the_quote():
    part = Part(1000.0, 600.0, (10.0, 10.0, 10.0), findings=(Finding.of("no_solid"),))
    assert error(part, QuoteOptions("cnc_milling", "al_6061")).code == "no_solid"


def test_a_warning_does_not_stop_the_quote():
    finding = Finding.of("thin_wall", "fdm", thickness_mm=0.5, x=0, y=0, z=0, min_wall_mm=1.0)
    part = Part(1000.0, 600.0, (10.0, 10.0, 10.0), findings=(finding,))
    assert quote(part, CARD, QuoteOptions("fdm", "pla")).total > 0


def test_too_large_for_the_machine():
    big = Part(volume_mm3=4e6, area_mm2=2e5, bbox_mm=(200.0, 200.0, 100.0))
    exc = error(big, QuoteOptions("sla", "tough"))
    assert exc.code == "exceeds_envelope" and exc.params["process"] == "sla"
    assert "200.0 × 200.0 × 100.0 mm" in exc.message
    assert quote(big, CARD, QuoteOptions("fdm", "pla")).total > 0  # fits the FDM printer


def test_an_analysis_prices_like_a_part():
    analysis = Analysis(
        format="stl",
        triangles=12,
        bodies=1,
        volume_mm3=100_000.0,
        area_mm2=25_000.0,
        bbox_mm=(100.0, 60.0, 30.0),
        obb_mm=(100.0, 60.0, 30.0),
        watertight=True,
    )
    options = QuoteOptions("cnc_milling", "al_6061", quantity=4)
    assert quote(analysis, CARD, options) == quote(BLOCK, CARD, options)


def test_the_oriented_box_sizes_the_stock():
    # a 100 × 10 × 10 bar lying diagonally: its axis box is much larger than its oriented box
    diagonal = Part(10_000.0, 4200.0, bbox_mm=(78.0, 78.0, 10.0), obb_mm=(100.0, 10.0, 10.0))
    aligned = Part(10_000.0, 4200.0, bbox_mm=(78.0, 78.0, 10.0))
    options = QuoteOptions("cnc_milling", "al_6061")
    assert price(diagonal, CARD, options).line("material") < price(aligned, CARD, options).line(
        "material"
    )


def test_milling_stock_is_a_standard_plate_sawn_to_size():
    q = price(BLOCK, CARD, QuoteOptions("cnc_milling", "al_6061"))
    stock = next(d for d in q.drivers if d.code == "stock")
    # 2 mm on each side, 30 mm + 1 mm faced off the top: the next plate is 32 mm;
    # 104 × 64 × 32 mm³ of aluminium at 2.70 g/cm³
    assert stock.value == Decimal("0.575")
    assert "Plate 32 mm, sawn 104 × 64 mm" in stock.label
    assert q.line("material") == Decimal("299.04")  # 0.5750784 kg × 520 roubles


def test_turning_stock_is_a_bar_around_the_longest_side():
    shaft = Part(volume_mm3=31_416.0, area_mm2=7_000.0, bbox_mm=(20.0, 100.0, 20.0))
    q = price(shaft, CARD, QuoteOptions("cnc_turning", "steel_45"))
    stock = next(d for d in q.drivers if d.code == "stock")
    assert "Ø24 × 104" in stock.label  # allowance 2 mm each side
    # π/4 × 24² × 104 mm³ of steel at 7.85 g/cm³ = 0.369 kg
    assert stock.value == Decimal("0.369")


def test_known_holes_add_machine_time():
    holed = Part(100_000.0, 25_000.0, (100.0, 60.0, 30.0), holes=8)
    options = QuoteOptions("cnc_milling", "al_6061")
    with_holes = price(holed, CARD, options)
    assert with_holes.line("machine_time") > price(BLOCK, CARD, options).line("machine_time")
    assert any(d.code == "holes" for d in with_holes.drivers)


def test_resin_printing_material_is_volume_with_supports():
    q = price(BLOCK, CARD, QuoteOptions("sla", "standard_grey"))
    used = next(d for d in q.drivers if d.code == "material_used")
    assert used.value == Decimal("0.130")  # 100 cm³ × 1.10 × 1.18 g/cm³
    height = next(d for d in q.drivers if d.code == "build_height")
    assert height.value == Decimal("30.00")  # printed lying flat
    # no slicer for resin: the figures are an estimate, and say so
    assert {d.code: d.source for d in q.drivers if d.source} == {"material_mass": "estimate", "print_time": "estimate"}


def _driver(q, code):
    return next(d for d in q.drivers if d.code == code)


def test_fdm_estimate_is_shells_and_infill_not_a_solid_part():
    q = price(BLOCK, CARD, QuoteOptions("fdm", "pla"))  # 100 cm³, 250 cm² of surface
    mass = _driver(q, "material_mass")
    assert mass.source == "estimate" and mass.unit == "g"
    assert Decimal(30) < mass.value < Decimal("0.6") * 124  # well under the solid 124 g
    assert _driver(q, "infill").value == 20 and _driver(q, "layer_height").value == Decimal("0.20")
    denser = price(BLOCK, CARD, QuoteOptions("fdm", "pla", infill=40))
    assert _driver(denser, "material_mass").value > mass.value
    assert _driver(denser, "print_time").value > _driver(q, "print_time").value
    finer = price(BLOCK, CARD, QuoteOptions("fdm", "pla", layer_mm=0.1))
    assert _driver(finer, "print_time").value > _driver(q, "print_time").value


def test_fdm_estimate_holds_an_overhang_up_with_support():
    standing = analyze_triangles(tee().astype(np.float32), "stl")  # its bar hangs 40 mm over the bed
    turned = tee()
    turned[..., 2] = 46.0 - turned[..., 2]  # the same T on its bar: the same surfaces, nothing hangs
    over = analyze_triangles(turned[:, ::-1].astype(np.float32), "stl")
    up = price(Part.of(standing), CARD, QuoteOptions("fdm", "pla"))
    down = price(Part.of(over), CARD, QuoteOptions("fdm", "pla"))
    support_mm3 = FITTED.support_fill * 500 * 40 + FITTED.support_top_mm * 500
    added = _driver(up, "material_mass").value - _driver(down, "material_mass").value
    assert float(added) == pytest.approx(support_mm3 / 1000 * 1.24, abs=0.1)  # PLA, shown to 0.1 g
    hours = _driver(up, "print_time").value - _driver(down, "print_time").value
    assert float(hours) == pytest.approx(support_mm3 * FITTED.support_s_mm3 / 3600, abs=0.01)
    assert up.line("material") > down.line("material") and up.line("machine_time") > down.line("machine_time")


def test_fdm_prices_from_a_slice_made_with_the_same_settings():
    options = QuoteOptions("fdm", "pla", infill=40, layer_mm=0.3, orientation="flat")
    sliced = Sliced("pla", 0.3, 40, "flat", print_seconds=5400, mass_g=42.5)
    q = price(BLOCK, CARD, options, sliced=sliced)
    assert (_driver(q, "print_time").value, _driver(q, "print_time").source) == (Decimal("1.50"), "slicer")
    assert (_driver(q, "material_mass").value, _driver(q, "material_mass").source) == (Decimal("42.5"), "slicer")
    assert q.line("material") == Decimal("68.00")  # 42.5 g × 1600 roubles/kg
    assert q.line("machine_time") == Decimal("675.00")  # 1.5 h × 450
    for other in (
        replace(options, infill=20),
        replace(options, layer_mm=0.2),
        replace(options, orientation="as_uploaded"),
        replace(options, material="petg"),
    ):
        assert _driver(price(BLOCK, CARD, other, sliced=sliced), "print_time").source == "estimate"


@pytest.mark.parametrize(
    "change,option", [({"infill": 25}, "infill"), ({"layer_mm": 0.5}, "layer"), ({"orientation": "up"}, "orientation")]
)
def test_fdm_options_outside_the_offer_are_refused(change, option):
    with pytest.raises(GeometryError) as caught:
        price(BLOCK, CARD, QuoteOptions("fdm", "pla", **change))
    assert caught.value.code == "bad_slice_option" and caught.value.params["option"] == option


def test_print_options_mean_nothing_to_machining():
    plain = price(BLOCK, CARD, QuoteOptions("cnc_milling", "al_6061"))
    assert price(BLOCK, CARD, QuoteOptions("cnc_milling", "al_6061", infill=40)).total == plain.total


def test_setup_is_spread_over_the_quantity():
    one = price(BLOCK, CARD, QuoteOptions("cnc_milling", "al_6061", quantity=1))
    four = price(BLOCK, CARD, QuoteOptions("cnc_milling", "al_6061", quantity=4))
    assert one.line("setup") == four.line("setup") == Decimal("4800.00")
    assert abs(four.line("material") - 4 * one.line("material")) <= Decimal("0.02")
    assert four.unit_price < one.unit_price


def test_lines_and_codes():
    q = quote(
        BLOCK,
        CARD,
        QuoteOptions(
            "cnc_milling",
            "al_6061",
            quantity=10,
            finish="bead_blast",
            tolerance="iso2768_f",
            lead_time="express",
        ),
    )
    codes = [line.code for line in q.lines]
    assert codes == [
        "material",
        "machine_time",
        "handling",
        "setup",
        "finish",
        "tolerance",
        "lead_time",
        "quantity_discount",
        "minimum_order",
        "subtotal",
        "vat",
        "total",
    ]
    assert q.line("tolerance") > 0 and q.line("lead_time") > 0 and q.line("quantity_discount") < 0
    assert q.line("total") == q.total == q.subtotal + q.vat
    assert q.lead_time_days == 4 + 1  # express, bead blasting
    assert q.currency == "RUB"
    assert q.rate_card_version == CARD.version


def test_minimum_order_tops_up_a_tiny_order():
    tiny = Part(volume_mm3=500.0, area_mm2=400.0, bbox_mm=(10.0, 10.0, 5.0))
    q = price(tiny, CARD, QuoteOptions("fdm", "pla"))
    assert q.line("minimum_order") > 0
    assert q.subtotal == CARD.minimum_order
    assert q.unit_price == q.total  # one part: the unit price is the total


def test_one_part_unit_price_is_the_total():
    for process, material in [("cnc_milling", "al_6061"), ("sls", "pa12"), ("sla", "tough")]:
        q = price(BLOCK, CARD, QuoteOptions(process, material))
        assert q.unit_price == q.total
        assert q.unit_price_net == q.subtotal


def test_price_table_covers_the_quantity_breaks():
    q = quote(BLOCK, CARD, QuoteOptions("cnc_milling", "al_6061", quantity=3))
    assert [row.quantity for row in q.price_table] == [b.quantity for b in CARD.quantity_breaks]
    five = price(BLOCK, CARD, QuoteOptions("cnc_milling", "al_6061", quantity=5))
    row = next(row for row in q.price_table if row.quantity == 5)
    assert (row.unit_price, row.total) == (five.unit_price, five.total)


def test_suggestions_are_repriced_neighbours():
    options = QuoteOptions(
        "cnc_milling", "al_7075", quantity=3, tolerance="iso2768_f", lead_time="express"
    )
    q = quote(BLOCK, CARD, options)
    by_code = {}
    for s in q.suggestions:
        by_code.setdefault(s.code, s)
        assert s.saving_per_unit > 0
    assert set(by_code) == {"lead_time", "quantity", "tolerance", "material"}
    assert by_code["quantity"].value == 5
    assert by_code["tolerance"].value == "iso2768_m"
    assert by_code["material"].value == "al_6061"  # the cheapest aluminium for this part
    economy = next(s for s in q.suggestions if s.value == "economy")
    repriced = price(
        BLOCK,
        CARD,
        QuoteOptions(
            "cnc_milling", "al_7075", quantity=3, tolerance="iso2768_f", lead_time="economy"
        ),
    )
    assert economy.unit_price == repriced.unit_price
    assert economy.saving_per_unit == q.unit_price - repriced.unit_price
    assert economy.saving_total == q.total - repriced.total
    assert economy.lead_time_days == repriced.lead_time_days > q.lead_time_days


def test_no_suggestion_when_already_cheapest():
    options = QuoteOptions(
        "cnc_milling", "al_6061", quantity=100_000, tolerance="iso2768_c", lead_time="economy"
    )
    big = Part(1000.0, 600.0, (10.0, 10.0, 10.0))
    assert quote(big, CARD, options).suggestions == ()


def test_as_dict_is_json_ready_with_decimal_strings():
    q = quote(BLOCK, CARD, QuoteOptions("sls", "pa12", quantity=7, finish="dyed_black"))
    data = json.loads(json.dumps(q.as_dict()))
    assert data["unit_price"] == str(q.unit_price)
    assert data["lines"][0] == {
        "code": "material",
        "label": q.lines[0].label,
        "amount": str(q.lines[0].amount),
    }
    assert {"quantity", "unit_price", "total"} <= set(data["price_table"][0])
    assert data["rate_card_version"] == CARD.version
    assert data["drivers"][0]["unit"]
    assert all(
        Decimal(line["amount"]) == line_obj.amount
        for line, line_obj in zip(data["lines"], q.lines, strict=True)
    )


def test_catalog_lists_every_choice():
    data = json.loads(json.dumps(catalog(CARD)))
    assert data["currency"] == "RUB" and data["version"] == CARD.version
    processes = {p["id"]: p for p in data["processes"]}
    assert list(processes) == ["cnc_milling", "cnc_turning", "fdm", "sla", "sls"]
    milling = processes["cnc_milling"]
    assert {"id", "name", "class", "density_g_cm3", "price_per_kg"} <= set(milling["materials"][0])
    assert "precision_0025" in milling["tolerances"]
    assert "precision_0025" not in processes["fdm"]["tolerances"]
    assert "anodize_black" in milling["finishes"]
    assert [t["id"] for t in data["lead_times"]] == ["economy", "standard", "express"]
    assert data["quantity_breaks"][0] == {"quantity": 1, "discount": "0"}
    assert {
        "id",
        "name",
        "per_part",
        "per_cm2",
        "extra_days",
        "processes",
        "material_classes",
    } <= set(data["finishes"][0])


def test_a_card_from_the_database_prices_with_its_own_rates():
    import tomllib

    from geometry.pricing import default_rate_card_text, load_rate_card

    data = tomllib.loads(default_rate_card_text())
    data["version"] = "staff-edit-7"
    data["processes"]["fdm"]["hourly_rate"] = 900.0  # twice the default
    data["vat_rate"] = 0.2
    edited = load_rate_card(data)
    options = QuoteOptions("fdm", "pla", quantity=20)
    mine, default = quote(BLOCK, edited, options), quote(BLOCK, CARD, options)
    assert mine.rate_card_version == "staff-edit-7"
    assert mine.line("machine_time") > default.line("machine_time")
    assert mine.line("material") == default.line("material")
    assert mine.vat == (mine.subtotal * Decimal("0.2")).quantize(Decimal("0.01"), ROUND_HALF_UP)


def test_numpy_boxes_are_accepted():
    import numpy as np

    part = Part(1000.0, 600.0, bbox_mm=np.array([10.0, 10.0, 10.0]), obb_mm=np.array([10.0] * 3))
    assert price(part, CARD, QuoteOptions("fdm", "pla")).total > 0


def test_percentages_in_labels():
    q = price(BLOCK, CARD, QuoteOptions("cnc_milling", "al_6061", quantity=30))
    labels = {line.code: line.label for line in q.lines}
    assert labels["quantity_discount"] == "Quantity discount 10 %"
    assert labels["vat"] == "VAT 22 %"


def test_a_long_job_adds_production_days():
    few = price(BLOCK, CARD, QuoteOptions("cnc_milling", "al_6061", quantity=10))
    many = price(BLOCK, CARD, QuoteOptions("cnc_milling", "al_6061", quantity=1000))
    assert few.lead_time_days == CARD.lead_time("standard").days
    process = CARD.process("cnc_milling")
    each = per_part_costs(BLOCK, process, process.material("al_6061")).machine_hours
    hours = each * 1000 + Decimal("1.5")  # machine hours of the order
    extra_days = int(hours // CARD.production_hours_per_day)  # beyond the first day
    assert many.lead_time_days == CARD.lead_time("standard").days + extra_days
