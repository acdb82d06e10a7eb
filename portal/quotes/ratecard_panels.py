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
from portal.quotes.ratecard_entries import NewEntry, remove_key
from portal.quotes.ratecard_form import SECTIONS, Field
from portal.quotes.ratecard_form import group_title as title_of

FLAGS = {"undercut_manual_quote"}
FIXED_CHOICES = {
    "kind": KINDS,
    "technology": TECHNOLOGIES,
    "default_infill_percent": tuple(str(value) for value in INFILLS),
    "default_layer_mm": tuple(str(value) for value in LAYERS),
}
KIND_NAMES = {"milling": N_("Milling"), "turning": N_("Turning"), "printing": N_("Printing")}
NEW_PROCESS = N_("Add a process")
CHOOSE_PROCESS = N_("Choose a process")
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
    labels: dict[str, str] = field(default_factory=dict)  # a value's words in the select, where not itself
    flag: bool = False  # a checkbox, "true" or "false"
    unit: str = ""
    match: bool = False  # it matches the search


@dataclass
class Group:
    key: str  # "" for the panel's own fields
    title: str
    controls: list[Control]


@dataclass
class EntryRow:
    entry: NewEntry
    controls: list[Control]


@dataclass
class Panel:
    id: str
    title: str
    groups: list[Group] = field(default_factory=list)
    entries: list[EntryRow] = field(default_factory=list)
    open: bool = False


def _choices(data: dict[str, Any], name: str) -> tuple[tuple[str, ...], dict[str, str]]:
    """The values a select offers, and the words for those that are codes."""
    if name == "kind":
        return KINDS, {kind: gettext(KIND_NAMES[kind]) for kind in KINDS if kind in KIND_NAMES}
    if name in FIXED_CHOICES:
        return FIXED_CHOICES[name], {}
    places = {"default_tolerance": "tolerances", "default_lead_time": "lead_times"}
    if name in places:
        entries = data.get(places[name], [])
        ids = tuple(str(entry.get("id")) for entry in entries)
        return ids, {str(entry.get("id")): title_of(data, f"{places[name]}[{i}]") for i, entry in enumerate(entries)}
    if name == "based_on":
        ids = tuple(data.get("processes", {}))
        return ("", *ids), {"": gettext(CHOOSE_PROCESS), **{p: title_of(data, f"processes.{p}") for p in ids}}
    return (), {}


def control_of(data: dict[str, Any], item: Field, query: str, group_title: str) -> Control:
    name = item.key.rsplit(".", 1)[-1]
    choices, labels = _choices(data, name)
    if choices and item.value not in choices:
        choices = (item.value, *choices)  # what was typed stays on offer, to be marked wrong
    unit = gettext(MONEY_UNITS[name]) % {"currency": data.get("currency", "")} if name in MONEY_UNITS else ""
    searched = f"{gettext(item.label)} {group_title} {item.key}".casefold()
    return Control(item, choices, labels, name in FLAGS, unit, bool(query) and query.casefold() in searched)


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
    changed: set[str] | frozenset[str] = frozenset(),
) -> list[Panel]:
    """The panels, closed but where a field matches the search, is refused, or was changed (a
    refused or previewed form opens where staff were working)."""
    panels = {"general": Panel("general", gettext(SECTIONS[""]))}
    for process_id in data.get("processes", {}):
        panels[f"process-{process_id}"] = Panel(f"process-{process_id}", group_title(f"processes.{process_id}"))
    panels["processes"] = Panel("processes", gettext(NEW_PROCESS))
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
            panel.open = (panel.open or control.match or item.key in errors or item.key in changed
                          or remove_key(item.group) in errors or item.group in changed)
    for entry in entries:
        target = panels.get(panel_id(entry.place + ".x")) or panels["general"]
        title = gettext(entry.title) % {"process": entry.process} if entry.process else gettext(entry.title)
        controls = [control_of(data, item, "", title) for item in entry.fields]  # the search finds the card's own
        target.entries.append(EntryRow(entry, controls))
        target.open = target.open or any(c.field.key in errors or c.field.value for c in controls)
    return [panel for panel in panels.values() if panel.groups or panel.entries]
