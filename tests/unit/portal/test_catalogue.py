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
    assert text.startswith("Стенки толщиной до 0.40 мм") and "1.2 мм" in text


def test_an_unknown_code_falls_back_to_the_library_message() -> None:
    assert text_of("brand_new_code", {}, "As the library says.") == "As the library says."
