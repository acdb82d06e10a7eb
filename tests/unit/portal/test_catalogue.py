"""The portal words every geometry code, with the same params, in English and Russian."""

from __future__ import annotations

import string

from geometry.codes import CATALOGUE
from portal.core.i18n import current_language
from portal.files.catalogue import TEXTS, text_of


def names(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def test_every_geometry_code_has_a_text_with_the_same_params() -> None:
    assert set(CATALOGUE) <= set(TEXTS)
    for code, entry in CATALOGUE.items():
        assert names(TEXTS[code]) == names(entry.template), code


def test_a_finding_reads_in_russian_with_its_numbers() -> None:
    token = current_language.set("ru")
    try:
        text = text_of("thin_wall", {"thickness_mm": 0.4, "x": 1, "y": 2, "z": 3, "process": "fdm",
                                     "min_wall_mm": 1.2})
    finally:
        current_language.reset(token)
    assert text.startswith("Стенки толщиной до 0,40 мм") and "1,2 мм" in text  # as the prices: "6 005,90 ₽"


def test_sizes_in_russian_do_not_read_as_small_numbers() -> None:
    """"3,000 мм" reads as three millimetres to a Russian reader."""
    params = {"size": "3,000 × 2,000 × 1,500", "process": "fdm", "envelope": "300 × 300 × 400"}
    token = current_language.set("ru")
    try:
        text = text_of("exceeds_envelope", params)
        small = text_of("units_suspect_small", {"longest_mm": 0.8, "as_inches_mm": 20.32, "as_metres_mm": 800.0})
    finally:
        current_language.reset(token)
    assert "3\u00a0000 × 2\u00a0000 × 1\u00a0500 мм" in text, text
    assert "0,8 мм" in small and "20,3 мм" in small, small
    assert "3,000 × 2,000" in text_of("exceeds_envelope", params)  # English keeps its own way


def test_an_unknown_code_falls_back_to_the_library_message() -> None:
    assert text_of("brand_new_code", {}, "As the library says.") == "As the library says."
