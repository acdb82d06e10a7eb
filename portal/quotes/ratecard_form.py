"""The rate card as a flat form: one field per value, named by its dotted key.

The card reader (`geometry.pricing`) names a bad value by the same dotted key
(`processes.cnc_milling.materials.al_6061.price_per_kg`, `lead_times[1].days`), so its message
lands beside the very field. The form takes only the keys the current card has.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from portal.core.i18n import N_, current_language, ngettext

INTEGER_KEYS = {"days", "quantity", "extra_days", "default_infill_percent"}
LIST_KEYS = {"envelope_mm", "processes", "material_classes", "plate_thicknesses_mm"}

LABELS = {
    "name": N_("Name"),
    "name_ru": N_("Name in Russian (optional)"),
    "currency": N_("Currency"),
    "vat_rate": N_("VAT rate (0.22 is 22 %%)"),
    "minimum_order": N_("Minimum order, net"),
    "production_hours_per_day": N_("Machine hours a day for one order"),
    "default_tolerance": N_("Default tolerance"),
    "default_lead_time": N_("Default lead time"),
    "kind": N_("Kind"),
    "hourly_rate": N_("Machine rate per hour"),
    "setup_hours": N_("Setup hours per order"),
    "handling_per_part": N_("Handling per part"),
    "envelope_mm": N_("Envelope, mm (x, y, z)"),
    "min_wall_mm": N_("Minimum wall, mm"),
    "removal_rate_cm3_min": N_("Removal rate, cm³/min"),
    "finishing_rate_cm2_min": N_("Finishing rate, cm²/min"),
    "hole_minutes": N_("Minutes per hole"),
    "stock_allowance_mm": N_("Stock allowance per side, mm"),
    "stock_side_allowance_mm": N_("Plate allowance per side, mm"),
    "stock_top_allowance_mm": N_("Allowance faced off each machined side, mm"),
    "plate_thicknesses_mm": N_("Plate thicknesses in stock, mm"),
    "skin_rate_cm2_min": N_("Facing and contouring rate, cm²/min"),
    "drill_feed_mm_min": N_("Drilling feed, mm/min"),
    "pocket_rate_cm3_min": N_("Pocket removal rate, cm³/min"),
    "wall_rate_cm2_min": N_("Wall rate (end mill down the walls), cm²/min"),
    "freeform_finish_rate_cm2_min": N_("Freeform finishing rate, cm²/min"),
    "setup_hours_per_setup": N_("Setup hours for each further setup"),
    "setup_minutes_per_part": N_("Clamping minutes per part and setup"),
    "deep_hole_factor": N_("Deep hole time factor"),
    "nonstandard_hole_factor": N_("Non-standard hole time factor"),
    "roughing_tool_mm": N_("Roughing end mill, mm"),
    "rest_minutes_per_layer": N_("Minutes per layer of corner clean-up"),
    "deep_pocket_factor": N_("Deep pocket time factor"),
    "undercut_manual_quote": N_("Undercuts go to a manual quote"),
    "build_rate_cm3_h": N_("Build rate, cm³/h"),
    "layer_hours_per_mm": N_("Hours per mm of height"),
    "support_fraction": N_("Support fraction"),
    "technology": N_("Printing technology"),
    "default_infill_percent": N_("Default infill, %%"),
    "default_layer_mm": N_("Default layer height, mm"),
    "class": N_("Material class"),
    "density_g_cm3": N_("Density, g/cm³"),
    "price_per_kg": N_("Price per kg"),
    "factor": N_("Machinability / build factor"),
    "per_part": N_("Price per part"),
    "per_cm2": N_("Price per cm²"),
    "extra_days": N_("Extra days"),
    "processes": N_("Processes"),
    "material_classes": N_("Material classes"),
    "id": N_("Id"),
    "code": N_("Code (Latin letters, digits, _)"),
    "multiplier": N_("Multiplier"),
    "days": N_("Days"),
    "quantity": N_("From quantity"),
    "discount": N_("Discount (0.10 is 10 %%)"),
    "based_on": N_("Copy of"),
}

SECTIONS = {
    "": N_("General"),
    "processes": N_("Processes and materials"),
    "finishes": N_("Finishes"),
    "tolerances": N_("Tolerances"),
    "lead_times": N_("Lead times"),
    "quantity_breaks": N_("Quantity breaks"),
}


@dataclass
class Field:
    key: str  # dotted path, the form field's name
    label: str  # message id
    value: str
    group: str  # e.g. "processes.cnc_milling.materials.al_6061"


def leaves(value: Any, path: str):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for index, item in enumerate(value):
            yield from leaves(item, f"{path}[{index}]")
    else:
        yield path, value


def _last(key: str) -> str:
    return key.rsplit(".", 1)[-1]


def fields_of(data: dict[str, Any], values: dict[str, str] | None = None) -> dict[str, list[Field]]:
    """The form's fields by section, with the card's values (or what was typed)."""
    sections: dict[str, list[Field]] = {key: [] for key in SECTIONS}
    for key, value in leaves(data, ""):
        if key == "version":
            continue  # the portal numbers the versions
        top = re.split(r"[.\[]", key, maxsplit=1)[0]
        section = top if top in SECTIONS and ("." in key or "[" in key) else ""
        shown = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        if values is not None and key in values:
            shown = values[key]
        group = key.rsplit(".", 1)[0] if section else ""
        sections[section].append(Field(key, LABELS.get(_last(key), _last(key)), shown, group))
    return sections


def group_title(data: dict[str, Any], group: str) -> str:
    """An entry's heading in the editor: its name and its process's, in the reader's language
    ("CNC milling (3-axis) · Aluminium 6061-T6"); its path where nothing on it has a name."""
    names, node = [], data
    for step in re.findall(r"[^.\[\]]+|\[\d+\]", group):
        if isinstance(node, list) and step.startswith("["):
            node = node[int(step[1:-1])] if int(step[1:-1]) < len(node) else None
        elif isinstance(node, dict):
            node = node.get(step)
        else:
            node = None
        if isinstance(node, dict) and node.get("name"):
            names.append(node.get(f"name_{current_language.get()}") or node["name"])
    if not names and group.startswith("quantity_breaks") and isinstance(node, dict) and "quantity" in node:
        quantity = node["quantity"]
        count = quantity if isinstance(quantity, int) else 2
        return ngettext("From %(num)s part", "From %(num)s parts", count) % {"num": quantity}
    return " · ".join(str(name) for name in names) or " · ".join(group.split(".")[1:]) or group


def data_from_form(form: dict[str, Any], template: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The card the form describes, shaped like `template`; and the typed text by key."""
    typed: dict[str, str] = {}

    def build(value: Any, path: str) -> Any:
        if isinstance(value, dict):
            return {k: build(v, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            return [build(v, f"{path}[{i}]") for i, v in enumerate(value)]
        if path == "version" or path not in form:
            return value
        text = str(form[path]).strip()
        typed[path] = text
        return parse_value(_last(path), text)

    return build(template, ""), typed


def parse_value(name: str, text: str) -> Any:
    """What a typed value is in the card: a list, a whole number or text (the reader checks it)."""
    if name in LIST_KEYS:
        return [part.strip() for part in text.split(",") if part.strip()]
    if name in INTEGER_KEYS and re.fullmatch(r"-?[0-9]{1,18}", text):
        return int(text)
    return text
