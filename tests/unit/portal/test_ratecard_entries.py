"""The rate card editor's new and removed entries, and the field a refused value came from."""

from __future__ import annotations

import copy

import pytest

from geometry.model import GeometryError
from geometry.pricing import load_rate_card
from portal.quotes.ratecard_entries import edit_entries, form_key
from portal.quotes.ratecard_form import data_from_form
from portal.quotes.ratecard_history import Change, change_label, changes, same_card
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


def test_a_new_process_is_a_copy_offered_with_the_same_finishes_and_tolerance_classes() -> None:
    form = {"new.processes.code": "fdm_big", "new.processes.name": "FDM printing, large",
            "new.processes.based_on": "fdm"}
    edited = edit_entries(default_card_data(), form, [])
    card = load_rate_card({**edited.data, "version": "x"})
    big, fdm = card.process("fdm_big"), card.process("fdm")
    assert big.printing == fdm.printing and big.materials == fdm.materials and big.name_ru == ""
    assert card.tolerances_for("fdm_big") == card.tolerances_for("fdm")
    assert [f.id for f in card.finishes if "fdm_big" in f.processes] == [f.id for f in card.finishes
                                                                         if "fdm" in f.processes]
    assert refused_field(default_card_data(), {**form, "new.processes.name": ""}, []) == "new.processes.name"


def test_new_tolerances_and_quantity_breaks_take_their_place_and_are_blamed_when_out_of_order() -> None:
    tolerance = {"new.tolerances.code": "loose", "new.tolerances.name": "Loose", "new.tolerances.multiplier": "0.9",
                 "new.tolerances.processes": "fdm"}
    edited = edit_entries(default_card_data(), tolerance, [])
    assert [t["id"] for t in edited.data["tolerances"]][:2] == ["loose", "iso2768_c"]
    breaks = {"new.quantity_breaks.quantity": "7", "new.quantity_breaks.discount": "0.04"}
    edited = edit_entries(default_card_data(), breaks, ["quantity_breaks[3]"])
    assert [b["quantity"] for b in edited.data["quantity_breaks"]][:4] == [1, 5, 7, 10]
    assert 25 not in [b["quantity"] for b in edited.data["quantity_breaks"]]
    assert refused_field(default_card_data(), {**breaks, "new.quantity_breaks.discount": "0.2"}, []) == (
        "new.quantity_breaks.discount")  # more than the break from 10 parts
    taken = edit_entries(default_card_data(), {**breaks, "new.quantity_breaks.quantity": "5"}, [])
    assert "already" in taken.errors["new.quantity_breaks.quantity"]
    assert edit_entries(default_card_data(), {**breaks, "new.quantity_breaks.quantity": "1"}, []).errors


def test_removals_the_card_depends_on_are_refused_and_the_rest_go() -> None:
    data = default_card_data()
    edited = edit_entries(data, {}, ["processes.sls", "finishes.polish"])
    assert edited.errors["remove.processes.sls"].startswith("Not removed: it is still used here: finish Primed")
    assert "finishes.dyed_black.processes" in edited.errors and "tolerances[0].processes" in edited.errors
    assert "sls" in edited.data["processes"] and "polish" not in edited.data["finishes"]
    everything = [f"processes.{p}" for p in data["processes"]]
    assert set(edit_entries(data, {}, everything).errors) == {f"remove.{group}" for group in everything}
    moved_up = copy.deepcopy(data)
    moved_up["quantity_breaks"][1]["quantity"] = 1  # the form makes the next break the first
    assert "remove.quantity_breaks[0]" in edit_entries(data, {}, ["quantity_breaks[0]"]).errors
    assert not edit_entries(moved_up, {}, ["quantity_breaks[0]"]).errors


def test_a_break_put_between_two_others_is_one_change_in_the_versions() -> None:
    before = default_card_data()
    after = edit_entries(before, {"new.quantity_breaks.quantity": "75", "new.quantity_breaks.discount": "0.14"},
                         []).data
    assert changes(before, after) == [Change("quantity_breaks.75", None, "75", whole=True)]
    assert change_label(changes(before, after)[0], before, after) == "From 75 parts"
    assert not same_card(before, after) and same_card(before, copy.deepcopy(before))


@pytest.mark.parametrize("typed", ["NaN", "sNaN", "Infinity", "-"])
def test_a_multiplier_that_is_no_number_is_named_not_a_crash(typed: str) -> None:
    form = {"new.tolerances.code": "odd", "new.tolerances.name": "Odd", "new.tolerances.multiplier": typed,
            "new.tolerances.processes": "fdm"}
    data = default_card_data()
    data["tolerances"][1]["multiplier"] = typed  # one the form already has, too
    assert refused_field(data, form, []) in ("tolerances[1].multiplier", "new.tolerances.multiplier")


def test_a_whole_number_too_long_to_read_is_named_not_a_crash() -> None:
    many = "9" * 5000  # more digits than Python turns into a number
    breaks = {"new.quantity_breaks.quantity": many, "new.quantity_breaks.discount": "0.3"}
    assert "new.quantity_breaks.quantity" in edit_entries(default_card_data(), breaks, []).errors
    form = {"lead_times[0].days": many}
    data, _ = data_from_form(form, default_card_data())
    assert refused_field(data, {}, []) == "lead_times[0].days"
