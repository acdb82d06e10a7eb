"""The rate card editor's new and removed entries, and the field a refused value came from."""

from __future__ import annotations

import pytest

from geometry.model import GeometryError
from geometry.pricing import load_rate_card
from portal.quotes.ratecard_entries import edit_entries, form_key
from portal.quotes.services import default_card_data


def refused_field(data: dict, form: dict, removed: list[str]) -> str:
    edited = edit_entries(data, form, removed)
    with pytest.raises(GeometryError) as refused:
        load_rate_card({**edited.data, "version": "x"})
    return form_key(refused.value.params["key"], edited.origins)


def test_a_value_after_a_removed_lead_time_is_marked_where_it_was_typed() -> None:
    data = default_card_data()
    data["lead_times"][2]["days"] = "soon"
    assert refused_field(data, {}, ["lead_times[0]"]) == "lead_times[2].days"


def test_a_new_lead_time_goes_in_by_its_days_and_its_own_fields_are_marked() -> None:
    form = {"new.lead_times.code": "rush", "new.lead_times.name": "Rush", "new.lead_times.multiplier": "2",
            "new.lead_times.days": "7"}
    edited = edit_entries(default_card_data(), form, [])
    assert [t["id"] for t in edited.data["lead_times"]] == ["economy", "standard", "rush", "express"]
    assert refused_field(default_card_data(), form, []) == "new.lead_times.multiplier"  # dearer than express
    assert refused_field(default_card_data(), {**form, "new.lead_times.days": "a week"}, []) == "new.lead_times.days"


def test_an_untouched_new_row_adds_nothing_and_a_bad_code_is_refused() -> None:
    assert edit_entries(default_card_data(), {"new.finishes.code": " "}, []).data == default_card_data()
    edited = edit_entries(default_card_data(), {"new.finishes.code": "mat.finish", "new.finishes.name": "Matte"}, [])
    assert "new.finishes.code" in edited.errors and "mat.finish" not in edited.data["finishes"]
