"""Adding and removing rate-card entries in the editor: processes, materials (per process),
finishes, tolerance classes, lead times and quantity breaks.

A new entry is a row of empty fields named `new.{place}.{field}` (`new.finishes.per_cm2`); an
entry is removed by ticking `remove` with its group's key (`finishes.polish`, `lead_times[2]`).
An entry the rest of the card still names (the default lead time, a process a finish is offered
for) is not removed: the refusal is shown beside its Remove box (`remove.{group}`) and on each
field that names it, so staff see what to change first.

The card reader names a bad value by its place in the edited card; `form_key` turns that back
into the field on the page.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from geometry.pricing.ratecard import TECHNOLOGIES
from portal.core.i18n import N_, gettext
from portal.quotes.ratecard_form import LABELS, Field, group_title, parse_value

NEW_FIELDS = {
    "process": ("code", "name", "name_ru", "based_on"),
    "material": ("code", "name", "name_ru", "class", "density_g_cm3", "price_per_kg", "factor"),
    "finish": ("code", "name", "name_ru", "per_part", "per_cm2", "extra_days", "processes", "material_classes"),
    "tolerance": ("code", "name", "name_ru", "multiplier", "processes"),
    "lead_time": ("code", "name", "name_ru", "multiplier", "days"),
    "quantity_break": ("quantity", "discount"),
}
TITLES = {
    "process": N_("New process: a copy of another one, to change after saving"),
    "material": N_("New material for %(process)s"),
    "finish": N_("New finish"),
    "tolerance": N_("New tolerance class (placed by its multiplier, loosest first)"),
    "lead_time": N_("New lead time (placed by its days, slowest first)"),
    "quantity_break": N_("New quantity break (placed by its quantity)"),
}
# The lists of the card, in order, and how a new entry finds its place among the others.
LISTS = {"tolerances": "tolerance", "lead_times": "lead_time", "quantity_breaks": "quantity_break"}

BAD_CODE = N_("Enter a code of up to 40 Latin letters, digits and underscores.")
TAKEN_CODE = N_("The code %(code)s is already used here: choose another one.")
NO_SOURCE = N_("Choose the process to copy.")
TAKEN_QUANTITY = N_("There is a break from %(quantity)s parts already: change its discount instead.")
BAD_QUANTITY = N_("Enter a whole number of parts, 2 or more.")
# Why an entry is not removed (beside its Remove box), and on the fields that name it.
STILL_USED = N_("Not removed: it is still used here: %(users)s.")
LAST_PROCESS = N_("Not removed: the rate card needs at least one process.")
LAST_MATERIAL = N_("Not removed: a process needs at least one material.")
FIRST_BREAK = N_("Not removed: the quantity breaks start at 1 part.")
NO_TOLERANCE_LEFT = N_("Not removed: %(process)s would have no tolerance class left.")
NAMES_REMOVED = N_("This names %(name)s, which you are removing.")
USERS = {
    "default_tolerance": N_("the default tolerance"),
    "default_lead_time": N_("the default lead time"),
    "finishes": N_("finish %(name)s"),
    "tolerances": N_("tolerance class %(name)s"),
}
CODE = re.compile(r"[A-Za-z0-9_]{1,40}")


@dataclass
class NewEntry:
    place: str  # where it goes in the card: "processes", "processes.fdm.materials", "finishes", …
    section: str  # the form's section it is shown in
    title: str  # message id
    process: str  # for a material: its process's name
    fields: list[Field]
    kind: str = ""


def _places(data: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(place, kind, process id) of every table or list of entries staff may add to."""
    materials = [(f"processes.{p}.materials", "material", p) for p in data.get("processes", {})]
    return [("processes", "process", ""), *materials, ("finishes", "finish", ""),
            *((section, kind, "") for section, kind in LISTS.items())]


def new_entries(data: dict[str, Any], form: dict[str, Any] | None = None) -> list[NewEntry]:
    """The empty rows for new entries (or what was typed in them)."""
    form = form or {}
    entries = []
    for place, kind, process in _places(data):
        fields = []
        for name in NEW_FIELDS[kind]:
            key = f"new.{place}.{name}"
            fields.append(Field(key, LABELS.get(name, name), str(form.get(key, "")).strip(), f"new.{place}"))
        process_name = group_title(data, f"processes.{process}") if process else ""
        entries.append(NewEntry(place, place.split(".")[0], TITLES[kind], process_name, fields, kind))
    return entries


def removable(data: dict[str, Any]) -> set[str]:
    """The groups staff may tick for removal: every process, material, finish and list entry."""
    groups = {f"finishes.{f}" for f in data.get("finishes", {})}
    for section in LISTS:
        groups |= {f"{section}[{i}]" for i in range(len(data.get(section, [])))}
    for process_id, process in data.get("processes", {}).items():
        groups.add(f"processes.{process_id}")
        groups |= {f"processes.{process_id}.materials.{m}" for m in process.get("materials", {})}
    return groups


def remove_key(group: str) -> str:
    """Where a refused removal's message goes: beside the group's Remove box."""
    return f"remove.{group}"


@dataclass
class Edited:
    data: dict[str, Any]
    errors: dict[str, str]  # by form field, already translated
    origins: dict[str, str]  # a key prefix in the edited card → the form's, where they differ


def edit_entries(data: dict[str, Any], form: dict[str, Any], removed: list[str]) -> Edited:
    """The card with the ticked entries taken out and the filled-in new ones put in; an entry the
    rest of the card still names stays, with the reason in `errors`."""
    data = copy.deepcopy(data)
    errors = refused_removals(data, set(removed) & removable(data))
    removing = {group for group in set(removed) & removable(data) if remove_key(group) not in errors}
    lists = {section: [(f"{section}[{i}]", item) for i, item in enumerate(data.get(section, []))
                       if f"{section}[{i}]" not in removing]
             for section in LISTS}
    for group in sorted(removing, key=len, reverse=True):  # a process's materials before the process
        if "[" not in group:
            place, _, code = group.rpartition(".")
            _table(data, place).pop(code, None)

    origins: dict[str, str] = {}
    for place, kind, _ in _places(data):
        prefix = f"new.{place}"
        typed = {name: str(form.get(f"{prefix}.{name}", "")).strip() for name in NEW_FIELDS[kind]}
        if not any(typed.values()):
            continue
        if kind == "quantity_break":
            _add_break(lists[place], typed, prefix, errors)
            continue
        code = typed.pop("code")
        source = typed.pop("based_on", "")
        entry = {name: parse_value(name, text) for name, text in typed.items() if text}
        taken = [item.get("id") for _, item in lists[place]] if place in LISTS else _table(data, place)
        if not CODE.fullmatch(code):
            errors[f"{prefix}.code"] = gettext(BAD_CODE)
        elif code in taken:
            errors[f"{prefix}.code"] = gettext(TAKEN_CODE) % {"code": code}
        elif kind == "process":
            if source not in data.get("processes", {}):
                errors[f"{prefix}.based_on"] = gettext(NO_SOURCE)
                continue
            _copy_process(data, lists, source, code, entry)
            origins[f"processes.{code}"] = prefix
        elif place in LISTS:
            items = lists[place]
            items.insert(_place_of(kind, entry, [item for _, item in items]), (prefix, {"id": code, **entry}))
        else:
            _table(data, place)[code] = entry
            origins[f"{place}.{code}"] = prefix
    for section, items in lists.items():
        if section not in data:
            continue
        data[section] = [item for _, item in items]
        origins |= {f"{section}[{i}]": origin for i, (origin, _) in enumerate(items) if origin != f"{section}[{i}]"}
        _blame_new_entry(section, items, origins)
    return Edited(data, errors, origins)


def refused_removals(data: dict[str, Any], removing: set[str]) -> dict[str, str]:
    """Why some of the ticked entries cannot go, judged on the card as the form has it: by
    `remove.{group}`, and on each field that still names one of them."""
    errors: dict[str, str] = {}
    processes = data.get("processes", {})
    gone = {group.removeprefix("processes.") for group in removing
            if group.startswith("processes.") and group.count(".") == 1}
    if gone and gone >= set(processes):
        return {remove_key(f"processes.{process_id}"): gettext(LAST_PROCESS) for process_id in gone}
    for process_id in gone:
        _refuse(errors, data, f"processes.{process_id}", _users_of(data, process_id, removing))
    for process_id, process in processes.items():
        groups = {f"processes.{process_id}.materials.{m}" for m in process.get("materials", {})}
        if process_id not in gone and groups and groups <= removing:
            errors |= {remove_key(group): gettext(LAST_MATERIAL) for group in groups}
    for section, default in (("tolerances", "default_tolerance"), ("lead_times", "default_lead_time")):
        for index, entry in enumerate(data.get(section, [])):
            if f"{section}[{index}]" in removing and data.get(default) == entry.get("id"):
                _refuse(errors, data, f"{section}[{index}]", [(default, gettext(USERS[default]))])
    _refuse_only_tolerances(errors, data, removing, gone)
    breaks = [(f"quantity_breaks[{i}]", _int(b.get("quantity"))) for i, b in enumerate(data.get("quantity_breaks", []))]
    if not any(quantity == 1 for group, quantity in breaks if group not in removing):
        errors |= {remove_key(group): gettext(FIRST_BREAK) for group, quantity in breaks
                   if quantity == 1 and group in removing}
    return errors


def _users_of(data: dict[str, Any], process_id: str, removing: set[str]) -> list[tuple[str, str]]:
    """(field, who) of each finish and tolerance class, not being removed, offered for the process."""
    users = []
    for finish_id, finish in data.get("finishes", {}).items():
        if f"finishes.{finish_id}" not in removing and process_id in _names(finish.get("processes")):
            name = group_title(data, f"finishes.{finish_id}")
            users.append((f"finishes.{finish_id}.processes", gettext(USERS["finishes"]) % {"name": name}))
    for index, tolerance in enumerate(data.get("tolerances", [])):
        if f"tolerances[{index}]" not in removing and process_id in _names(tolerance.get("processes")):
            name = group_title(data, f"tolerances[{index}]")
            users.append((f"tolerances[{index}].processes", gettext(USERS["tolerances"]) % {"name": name}))
    return users


def _refuse(errors: dict[str, str], data: dict[str, Any], group: str, users: list[tuple[str, str]]) -> None:
    if not users:
        return
    errors[remove_key(group)] = gettext(STILL_USED) % {"users": "; ".join(who for _, who in users)}
    for field, _ in users:
        errors.setdefault(field, gettext(NAMES_REMOVED) % {"name": group_title(data, group)})


def _refuse_only_tolerances(errors: dict[str, str], data: dict[str, Any], removing: set[str],
                            gone_processes: set[str]) -> None:
    """A process left without a tolerance class could not be priced."""
    tolerances = data.get("tolerances", [])
    for process_id in data.get("processes", {}):
        if process_id in gone_processes:
            continue
        classes = [i for i, t in enumerate(tolerances) if process_id in _names(t.get("processes"))]
        if classes and all(f"tolerances[{i}]" in removing for i in classes):
            for index in classes:
                key = remove_key(f"tolerances[{index}]")
                if key not in errors:
                    errors[key] = gettext(NO_TOLERANCE_LEFT) % {"process": group_title(data, f"processes.{process_id}")}


def _copy_process(data: dict[str, Any], lists: dict[str, list], source: str, code: str, entry: dict) -> None:
    """A new process as a copy of `source`: its rates and materials, offered with the same
    finishes and tolerance classes; staff change what differs once it is saved."""
    copied = copy.deepcopy(data["processes"][source])
    copied["name"] = entry.get("name", "")
    copied["name_ru"] = entry.get("name_ru", "")
    if copied.get("kind") == "printing" and not copied.get("technology") and source in TECHNOLOGIES:
        copied["technology"] = source  # the reader takes an unset technology from the process's code
    data["processes"][code] = copied
    for finish in data.get("finishes", {}).values():
        if source in _names(finish.get("processes")):
            finish["processes"] = [*_names(finish["processes"]), code]
    for _, tolerance in lists["tolerances"]:
        if source in _names(tolerance.get("processes")):
            tolerance["processes"] = [*_names(tolerance["processes"]), code]


def _add_break(items: list[tuple[str, dict]], typed: dict[str, str], prefix: str, errors: dict[str, str]) -> None:
    quantity = _int(typed["quantity"])
    if quantity is None or quantity < 2:
        errors[f"{prefix}.quantity"] = gettext(BAD_QUANTITY)
    elif any(_int(item.get("quantity")) == quantity for _, item in items):
        errors[f"{prefix}.quantity"] = gettext(TAKEN_QUANTITY) % {"quantity": quantity}
    else:
        entry = {"quantity": quantity, "discount": typed["discount"]}
        items.insert(_place_of("quantity_break", entry, [item for _, item in items]), (prefix, entry))


def _place_of(kind: str, entry: dict[str, Any], items: list[dict[str, Any]]) -> int:
    """Where a new entry goes in its list: tolerances loosest first, lead times slowest first,
    quantity breaks from 1 up (the reader checks that the prices follow)."""
    if kind == "tolerance":
        return sum(1 for item in items if _number(item.get("multiplier")) <= _number(entry.get("multiplier")))
    if kind == "lead_time":
        return sum(1 for item in items if _days(item) >= _days(entry))
    return sum(1 for item in items if (_int(item.get("quantity")) or 0) < entry["quantity"])


def _blame_new_entry(section: str, items: list[tuple[str, dict]], origins: dict[str, str]) -> None:
    """The reader names two entries out of order by the second's id (`lead_times (express)`),
    and quantity breaks by the list: when a new entry is one of the two, its multiplier (or
    discount) is what to change."""
    new = [i for i, (origin, _) in enumerate(items) if origin.startswith("new.")]
    if not new:
        return
    if section == "quantity_breaks":
        origins["quantity_breaks"] = "new.quantity_breaks.discount"
        return
    for i, (_, item) in enumerate(items):
        if i in new or (i - 1) in new:
            origins[f"{section} ({item.get('id')})"] = f"new.{section}.multiplier"


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


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [str(item) for item in value] if isinstance(value, list | tuple) else []


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text) if re.fullmatch(r"-?[0-9]{1,18}", text) else None


def _number(value: Any) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        number = None
    return number if number is not None and number.is_finite() else Decimal("Infinity")  # last: the reader names it


def _days(tier: dict[str, Any]) -> int:
    days = _int(tier.get("days"))
    return days if days is not None else 0
