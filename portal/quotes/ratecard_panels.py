"""The rate card editor's layout: one collapsible panel per process and per list of the card,
each field with its kind of control (text, a choice of values, a flag) and its unit.

A search (`?q=`) opens the panels holding a matching field and marks those fields, so the
editor is searchable without JavaScript; the small script in static/js filters as one types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from geometry.limits import INFILLS, LAYERS
from geometry.pricing.ratecard import KINDS, TECHNOLOGIES
from portal.core.i18n import N_, gettext
from portal.quotes.ratecard_entries import NewEntry
from portal.quotes.ratecard_form import SECTIONS, Field

FLAGS = {"undercut_manual_quote"}
FIXED_CHOICES = {
    "kind": KINDS,
    "technology": TECHNOLOGIES,
    "default_infill_percent": tuple(str(value) for value in INFILLS),
    "default_layer_mm": tuple(str(value) for value in LAYERS),
}
MONEY_UNITS = {
    "minimum_order": N_("%(currency)s"),
    "hourly_rate": N_("%(currency)s/h"),
    "handling_per_part": N_("%(currency)s"),
    "price_per_kg": N_("%(currency)s/kg"),
    "per_part": N_("%(currency)s"),
    "per_cm2": N_("%(currency)s/cm²"),
}


@dataclass
class Control:
    field: Field
    choices: tuple[str, ...] = ()  # a select of these values
    flag: bool = False  # a checkbox, "true" or "false"
    unit: str = ""
    match: bool = False  # it matches the search


@dataclass
class Group:
    key: str  # "" for the panel's own fields
    title: str
    controls: list[Control]


@dataclass
class Panel:
    id: str
    title: str
    groups: list[Group] = field(default_factory=list)
    entries: list[NewEntry] = field(default_factory=list)
    open: bool = False


def _choices(data: dict[str, Any], name: str) -> tuple[str, ...]:
    if name in FIXED_CHOICES:
        return FIXED_CHOICES[name]
    if name == "default_tolerance":
        return tuple(str(entry.get("id")) for entry in data.get("tolerances", []))
    if name == "default_lead_time":
        return tuple(str(entry.get("id")) for entry in data.get("lead_times", []))
    return ()


def control_of(data: dict[str, Any], item: Field, query: str, group_title: str) -> Control:
    name = item.key.rsplit(".", 1)[-1]
    choices = _choices(data, name)
    if choices and item.value not in choices:
        choices = (item.value, *choices)  # what was typed stays on offer, to be marked wrong
    unit = gettext(MONEY_UNITS[name]) % {"currency": data.get("currency", "")} if name in MONEY_UNITS else ""
    searched = f"{gettext(item.label)} {group_title} {item.key}".casefold()
    return Control(item, choices, name in FLAGS, unit, bool(query) and query.casefold() in searched)


def panel_id(key: str) -> str:
    """The panel a field's key belongs in: its process, or its section."""
    parts = key.split(".")
    if parts[0] == "processes" and len(parts) > 2:
        return f"process-{parts[1]}"
    top = key.split("[", 1)[0].split(".", 1)[0]
    return top if top in SECTIONS and ("." in key or "[" in key) else "general"


def panels_of(
    data: dict[str, Any],
    sections: dict[str, list[Field]],
    entries: list[NewEntry],
    group_title,
    errors: dict[str, str],
    query: str = "",
) -> list[Panel]:
    panels = {"general": Panel("general", gettext(SECTIONS[""]))}
    for process_id in data.get("processes", {}):
        panels[f"process-{process_id}"] = Panel(f"process-{process_id}", group_title(f"processes.{process_id}"))
    for section in ("finishes", "tolerances", "lead_times", "quantity_breaks"):
        panels[section] = Panel(section, gettext(SECTIONS[section]))
    for fields in sections.values():
        for item in fields:
            panel = panels.setdefault(panel_id(item.key), Panel(panel_id(item.key), item.group))
            last = panel.groups[-1] if panel.groups else None
            if last is None or last.key != item.group:
                title = group_title(item.group) if item.group else ""
                last = Group(item.group, title, [])
                panel.groups.append(last)
            control = control_of(data, item, query, last.title)
            last.controls.append(control)
            panel.open = panel.open or control.match or item.key in errors
    for entry in entries:
        target = panels.get(panel_id(entry.place + ".x")) or panels["general"]
        target.entries.append(entry)
        target.open = target.open or any(item.key in errors for item in entry.fields)
    return [panel for panel in panels.values() if panel.groups or panel.entries]
