"""Adding and removing rate-card entries in the editor: materials (per process), finishes and
lead times.

A new entry is a row of empty fields named `new.{place}.{field}` (`new.finishes.per_cm2`); an
entry is removed by ticking `remove` with its group's key (`finishes.polish`, `lead_times[2]`).
The card reader names a bad value by its place in the edited card; `form_key` turns that back
into the field on the page.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from portal.core.i18n import N_, gettext
from portal.quotes.ratecard_form import LABELS, Field, parse_value

NEW_FIELDS = {
    "material": ("code", "name", "name_ru", "class", "density_g_cm3", "price_per_kg", "factor"),
    "finish": ("code", "name", "name_ru", "per_part", "per_cm2", "extra_days", "processes", "material_classes"),
    "lead_time": ("code", "name", "name_ru", "multiplier", "days"),
}
TITLES = {
    "material": N_("New material for %(process)s"),
    "finish": N_("New finish"),
    "lead_time": N_("New lead time (placed by its days, slowest first)"),
}
BAD_CODE = N_("Enter a code of Latin letters, digits and underscores.")
TAKEN_CODE = N_("The code %(code)s is already used here: choose another one.")
CODE = re.compile(r"[A-Za-z0-9_]+")


@dataclass
class NewEntry:
    place: str  # where it goes in the card: "processes.fdm.materials", "finishes" or "lead_times"
    section: str  # the form's section it is shown in
    title: str  # message id
    process: str  # for a material: its process's name
    fields: list[Field]


def _places(data: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(place, kind, process id) of every list of entries staff may add to."""
    materials = [(f"processes.{p}.materials", "material", p) for p in data.get("processes", {})]
    return [*materials, ("finishes", "finish", ""), ("lead_times", "lead_time", "")]


def new_entries(data: dict[str, Any], form: dict[str, Any] | None = None) -> list[NewEntry]:
    """The empty rows for new entries (or what was typed in them)."""
    form = form or {}
    entries = []
    for place, kind, process in _places(data):
        fields = []
        for name in NEW_FIELDS[kind]:
            key = f"new.{place}.{name}"
            fields.append(Field(key, LABELS.get(name, name), str(form.get(key, "")).strip(), f"new.{place}"))
        process_name = data["processes"][process].get("name", process) if process else ""
        entries.append(NewEntry(place, place.split(".")[0], TITLES[kind], process_name, fields))
    return entries


def removable(data: dict[str, Any]) -> set[str]:
    """The groups staff may remove: each material, finish and lead time."""
    groups = {f"finishes.{f}" for f in data.get("finishes", {})}
    groups |= {f"lead_times[{i}]" for i in range(len(data.get("lead_times", [])))}
    for process_id, process in data.get("processes", {}).items():
        groups |= {f"processes.{process_id}.materials.{m}" for m in process.get("materials", {})}
    return groups


@dataclass
class Edited:
    data: dict[str, Any]
    errors: dict[str, str]  # by form field, already translated
    origins: dict[str, str]  # a key prefix in the edited card → the form's, where they differ


def edit_entries(data: dict[str, Any], form: dict[str, Any], removed: list[str]) -> Edited:
    """The card with the ticked entries taken out and the filled-in new ones put in."""
    data = copy.deepcopy(data)
    allowed = removable(data)
    tiers = [(f"lead_times[{i}]", tier) for i, tier in enumerate(data.get("lead_times", []))]
    for group in set(removed) & allowed:
        if not group.startswith("lead_times["):
            place, _, code = group.rpartition(".")
            del _table(data, place)[code]
    tiers = [(origin, tier) for origin, tier in tiers if origin not in removed]

    errors: dict[str, str] = {}
    origins: dict[str, str] = {}
    for place, kind, _ in _places(data):
        prefix = f"new.{place}"
        typed = {name: str(form.get(f"{prefix}.{name}", "")).strip() for name in NEW_FIELDS[kind]}
        if not any(typed.values()):
            continue
        code = typed.pop("code")
        entry = {name: parse_value(name, text) for name, text in typed.items() if text}
        taken = [tier.get("id") for _, tier in tiers] if kind == "lead_time" else _table(data, place)
        if not CODE.fullmatch(code):
            errors[f"{prefix}.code"] = gettext(BAD_CODE)
        elif code in taken:
            errors[f"{prefix}.code"] = gettext(TAKEN_CODE) % {"code": code}
        elif kind == "lead_time":
            tiers.insert(sum(1 for _, t in tiers if _days(t) >= _days(entry)), (prefix, {"id": code, **entry}))
        else:
            _table(data, place)[code] = entry
            origins[f"{place}.{code}"] = prefix
    if "lead_times" in data:
        data["lead_times"] = [tier for _, tier in tiers]
        origins |= {f"lead_times[{i}]": origin for i, (origin, _) in enumerate(tiers) if origin != f"lead_times[{i}]"}
        _blame_new_tier(tiers, origins)
    return Edited(data, errors, origins)


def _blame_new_tier(tiers: list[tuple[str, dict]], origins: dict[str, str]) -> None:
    """The reader names the faster of two lead times out of order (`lead_times (express)`):
    when the new tier is one of the two, its multiplier is what to change."""
    for i, (origin, tier) in enumerate(tiers):
        if origin.startswith("new.") or (i and tiers[i - 1][0].startswith("new.")):
            origins[f"lead_times ({tier.get('id')})"] = "new.lead_times.multiplier"


def form_key(card_key: str, origins: dict[str, str]) -> str:
    """The form field a key of the edited card came from."""
    for prefix, origin in origins.items():
        if card_key == prefix:
            return origin
        if card_key.startswith(prefix + "."):
            return origin + card_key[len(prefix):]
    return card_key


def _table(data: dict[str, Any], place: str) -> dict[str, Any]:
    table = data
    for part in place.split("."):
        table = table[part]
    return table


def _days(tier: dict[str, Any]) -> int:
    days = tier.get("days")
    return days if isinstance(days, int) else 0
