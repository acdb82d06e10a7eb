"""Reading and validating rate cards."""

from __future__ import annotations

import copy
import tomllib
from decimal import Decimal

import pytest

from geometry.model import GeometryError, ProcessLimits
from geometry.pricing import (
    default_process_limits,
    default_rate_card,
    default_rate_card_text,
    load_rate_card,
)

PROCESSES = ["cnc_milling", "cnc_turning", "fdm", "sla", "sls"]


@pytest.fixture
def data() -> dict:
    """The default card as a plain dict with float numbers, as a database JSON column gives."""
    return tomllib.loads(default_rate_card_text())


def bad(data: dict) -> str:
    with pytest.raises(GeometryError) as info:
        load_rate_card(data)
    assert info.value.code == "bad_rate_card"
    return info.value.message


def test_default_card_has_the_five_processes_and_a_version():
    card = default_rate_card()
    assert [p.id for p in card.processes] == PROCESSES
    assert card.version and card.name
    assert card.currency == "RUB"
    assert card.vat_rate == Decimal("0.22")
    assert card.quantity_breaks[0].quantity == 1
    assert card.default_tolerance == "iso2768_m"
    assert card.default_lead_time == "standard"
    assert [t.id for t in card.lead_times] == ["economy", "standard", "express"]
    for process in card.processes:
        assert process.materials
        assert (process.cnc is None) == (process.kind == "printing")
        assert (process.printing is None) == (process.kind != "printing")


def test_amounts_are_exact_decimals_from_text_path_and_dict(data, tmp_path):
    path = tmp_path / "card.toml"
    path.write_text(default_rate_card_text(), encoding="utf-8")
    from_text = load_rate_card(default_rate_card_text())
    from_path = load_rate_card(path)
    from_str_path = load_rate_card(str(path))
    from_dict = load_rate_card(data)  # floats in the dict: 0.22 must stay 0.22
    assert from_text == from_path == from_str_path == default_rate_card()
    assert from_dict.vat_rate == Decimal("0.22")
    density = from_dict.process("cnc_milling").material("al_6061").density_g_cm3
    assert density == Decimal("2.7")
    assert from_dict.lead_time("economy").multiplier == Decimal("0.9")


def test_numbers_may_be_strings(data):
    data["processes"]["cnc_milling"]["materials"]["al_6061"]["price_per_kg"] = "512.50"
    card = load_rate_card(data)
    assert card.process("cnc_milling").material("al_6061").price_per_kg == Decimal("512.50")


def test_default_process_limits_for_the_dfm_checks():
    limits = default_process_limits()
    assert [limit.name for limit in limits] == PROCESSES
    for limit in limits:
        assert isinstance(limit, ProcessLimits)
        assert len(limit.envelope_mm) == 3
        assert all(isinstance(v, float) and v > 0 for v in limit.envelope_mm)
        assert isinstance(limit.min_wall_mm, float) and limit.min_wall_mm > 0


def test_bad_number_names_the_key(data):
    data["processes"]["cnc_milling"]["materials"]["al_6061"]["price_per_kg"] = "lots"
    message = bad(data)
    assert "processes.cnc_milling.materials.al_6061.price_per_kg" in message


def test_missing_key_names_it(data):
    del data["processes"]["sla"]["hourly_rate"]
    assert "processes.sla.hourly_rate is missing" in bad(data)


def test_unknown_key_is_refused_so_typos_show(data):
    data["processes"]["fdm"]["hourly_rte"] = 100
    assert "processes.fdm.hourly_rte" in bad(data)


def test_top_level_typo_is_refused(data):
    data["vat"] = 0.2
    assert "vat is not a known setting" in bad(data)


@pytest.mark.parametrize("value", [-1, 0, True, "NaN", "Infinity", [1]])
def test_hourly_rate_must_be_a_positive_number(data, value):
    data["processes"]["sls"]["hourly_rate"] = value
    assert "processes.sls.hourly_rate" in bad(data)


def test_vat_rate_below_one(data):
    data["vat_rate"] = 20
    assert "vat_rate" in bad(data)


def test_unknown_kind(data):
    data["processes"]["sls"]["kind"] = "laser"
    assert "processes.sls.kind" in bad(data)


def test_printing_needs_its_rates(data):
    del data["processes"]["fdm"]["build_rate_cm3_h"]
    assert "processes.fdm.build_rate_cm3_h" in bad(data)


def test_cnc_keys_on_a_printer_are_refused(data):
    data["processes"]["fdm"]["removal_rate_cm3_min"] = 5
    assert "processes.fdm.removal_rate_cm3_min" in bad(data)


def test_envelope_needs_three_positive_lengths(data):
    data["processes"]["sla"]["envelope_mm"] = [100, 100]
    assert "processes.sla.envelope_mm" in bad(data)
    data["processes"]["sla"]["envelope_mm"] = [100, 0, 100]
    assert "processes.sla.envelope_mm" in bad(data)


def test_process_needs_materials(data):
    data["processes"]["sla"]["materials"] = {}
    assert "processes.sla.materials" in bad(data)


def test_finish_for_an_unknown_process(data):
    data["finishes"]["bead_blast"]["processes"] = ["cnc_milling", "waterjet"]
    assert "finishes.bead_blast.processes" in bad(data)
    assert "waterjet" in bad(data)


def test_tolerances_must_be_listed_loosest_first(data):
    data["tolerances"][0], data["tolerances"][1] = data["tolerances"][1], data["tolerances"][0]
    assert "tolerances" in bad(data)


def test_duplicate_tolerance(data):
    data["tolerances"].append(copy.deepcopy(data["tolerances"][-1]))
    assert "twice" in bad(data)


def test_lead_times_must_be_listed_slowest_first(data):
    data["lead_times"].reverse()
    assert "lead_times" in bad(data)


def test_faster_lead_time_may_not_take_longer(data):
    data["lead_times"][2]["days"] = 30
    assert "lead_times (express)" in bad(data)


def test_quantity_breaks_start_at_one(data):
    del data["quantity_breaks"][0]
    assert "start at quantity 1" in bad(data)


def test_quantity_breaks_rise(data):
    data["quantity_breaks"][2]["quantity"] = 3
    assert "quantity_breaks" in bad(data)


def test_quantity_discount_never_falls(data):
    data["quantity_breaks"][-1]["discount"] = 0.01
    assert "quantity_breaks" in bad(data)


def test_discount_below_one(data):
    data["quantity_breaks"][-1]["discount"] = 1
    assert "quantity_breaks[8].discount" in bad(data)


def test_default_tolerance_must_exist(data):
    data["default_tolerance"] = "iso2768_x"
    assert "default_tolerance" in bad(data)


def test_every_process_needs_a_tolerance(data):
    for tolerance in data["tolerances"]:
        tolerance["processes"] = [p for p in tolerance["processes"] if p != "sls"]
    assert "processes.sls has no tolerance class" in bad(data)


def test_bad_identifier(data):
    data["processes"]["cnc_milling"]["materials"]["al 6061"] = data["processes"]["cnc_milling"][
        "materials"
    ].pop("al_6061")
    assert "al 6061" in bad(data)


def test_invalid_toml_text():
    with pytest.raises(GeometryError) as info:
        load_rate_card("name = \n[[[")
    assert info.value.code == "bad_rate_card"
    assert "TOML" in info.value.message


def test_missing_file(tmp_path):
    with pytest.raises(GeometryError) as info:
        load_rate_card(tmp_path / "nope.toml")
    assert info.value.code == "bad_rate_card"


def test_not_a_table():
    with pytest.raises(GeometryError) as info:
        load_rate_card(
            {
                "name": "x",
                "version": "1",
                "currency": "RUB",
                "vat_rate": 0,
                "minimum_order": 0,
                "default_tolerance": "a",
                "default_lead_time": "b",
                "processes": [1, 2],
            }
        )
    assert info.value.code == "bad_rate_card"
    assert "processes must be a table" in info.value.message


def test_a_card_saved_before_print_settings_loads_with_the_defaults(data):
    del data["processes"]["fdm"]["technology"]
    for process in ("fdm", "sla", "sls"):
        data["processes"][process].pop("technology", None)
    for material in data["processes"]["fdm"]["materials"].values():
        del material["default_infill_percent"], material["default_layer_mm"]
    card = load_rate_card(data)
    assert [card.process(p).printing.technology for p in ("fdm", "sla", "sls")] == ["fdm", "sla", "sls"]
    pla = card.process("fdm").material("pla")
    assert (pla.default_infill_percent, pla.default_layer_mm) == (20, Decimal("0.2"))


def test_each_fdm_material_has_the_shops_defaults(data):
    data["processes"]["fdm"]["materials"]["petg"]["default_infill_percent"] = 40
    data["processes"]["fdm"]["materials"]["petg"]["default_layer_mm"] = "0.3"
    petg = load_rate_card(data).process("fdm").material("petg")
    assert (petg.default_infill_percent, petg.default_layer_mm) == (40, Decimal("0.3"))


@pytest.mark.parametrize("key,value", [("default_infill_percent", 25), ("default_layer_mm", "0.25")])
def test_fdm_defaults_outside_the_offer_are_refused(data, key, value):
    data["processes"]["fdm"]["materials"]["pla"][key] = value
    assert f"processes.fdm.materials.pla.{key}" in bad(data)


def test_print_settings_are_refused_on_resin(data):
    data["processes"]["sla"]["materials"]["tough"]["default_infill_percent"] = 20
    assert "processes.sla.materials.tough.default_infill_percent" in bad(data)
    data = tomllib.loads(default_rate_card_text())
    data["processes"]["sla"]["technology"] = "laser"
    assert "processes.sla.technology" in bad(data)
