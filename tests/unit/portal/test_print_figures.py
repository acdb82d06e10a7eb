"""A file read in inches is estimated for printing from its print figures scaled to millimetres."""

from __future__ import annotations

import pytest

from geometry.pricing import Part, QuoteOptions, default_rate_card, price
from portal.quotes.services import part_of

CARD = default_rate_card()
INCH = 25.4

# a T standing on its 10 × 10 mm stem, its 60 × 10 × 6 mm bar 40 mm up: 500 mm² hang over the bed
TEE_MM = {
    "volume_mm3": 7600.0,
    "area_mm2": 3640.0,
    "bbox_mm": [60.0, 10.0, 46.0],
    "obb_mm": [60.0, 46.0, 10.0],
    "printing": {
        "as_uploaded": {"height_mm": 46.0, "wall_mm2": 2440.0, "skin_mm2": 1200.0,
                        "overhang_mm2": 500.0, "column_mm3": 20000.0},
        "flat": {"height_mm": 10.0, "wall_mm2": 2120.0, "skin_mm2": 1520.0, "overhang_mm2": 0.0, "column_mm3": 0.0},
    },
}


def in_inch_numbers(metrics: dict) -> dict:
    """The same part as a file drawn in inches holds it (every length ÷ 25.4)."""
    powers = {"height_mm": 1, "wall_mm2": 2, "skin_mm2": 2, "overhang_mm2": 2, "column_mm3": 3}
    return {
        "volume_mm3": metrics["volume_mm3"] / INCH**3,
        "area_mm2": metrics["area_mm2"] / INCH**2,
        "bbox_mm": [v / INCH for v in metrics["bbox_mm"]],
        "obb_mm": [v / INCH for v in metrics["obb_mm"]],
        "printing": {
            orientation: {key: value / INCH ** powers[key] for key, value in figures.items()}
            for orientation, figures in metrics["printing"].items()
        },
    }


def drivers(part: Part, **options) -> dict:
    quote = price(part, CARD, QuoteOptions("fdm", "pla", **options))
    return {d.code: d.value for d in quote.drivers if d.code in ("material_mass", "print_time")}


def test_a_file_in_inches_is_estimated_with_its_support_in_millimetres():
    in_mm = part_of(TEE_MM, [], "mm", CARD)
    read_as_inches = part_of(in_inch_numbers(TEE_MM), [], "in", CARD)
    assert read_as_inches.printing["as_uploaded"]["column_mm3"] == pytest.approx(20000.0)
    for orientation in ("as_uploaded", "flat"):
        assert drivers(read_as_inches, orientation=orientation) == drivers(in_mm, orientation=orientation)
    # standing on its stem it needs support: more material than lying on its side
    assert drivers(in_mm)["material_mass"] > drivers(in_mm, orientation="flat")["material_mass"]
