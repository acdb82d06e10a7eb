"""What changed between two rate cards, field by field, in words staff read.

    changes(old_data, new_data)  # [Change("processes.fdm.hourly_rate", "1500", "1800"), ...]

Values are compared as the editor shows them, with numbers compared by value ("1500" and
"1500.00" are the same price), so a form sent back untouched shows no change. The card's lists
are compared entry by entry, by id (tolerances, lead times) or by quantity (quantity breaks): a
break put in between two others is one added entry, not a shift of every one after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from portal.core.i18n import gettext
from portal.quotes.ratecard_form import LABELS, group_title, leaves

NUMBER = re.compile(r"-?\d+(\.\d+)?")


@dataclass(frozen=True)
class Change:
    key: str  # a field's, or a whole entry's (a material, finish, lead time) when `whole`
    old: str | None  # None: the field or entry is new
    new: str | None  # None: the field or entry is gone
    whole: bool = False


def shown(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(shown(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value).strip()
    if NUMBER.fullmatch(text):
        try:
            number = Decimal(text).normalize()
        except InvalidOperation:
            return text
        return f"{number:f}"
    return text


def flat(data: dict[str, Any]) -> dict[str, str]:
    """Every value of the card by its dotted key, as text (the portal's version number left out)."""
    return {key: shown(value) for key, value in leaves(data, "") if key != "version"}


# The lists of entries, and what names an entry in each.
LIST_KEYS = {"tolerances": "id", "lead_times": "id", "quantity_breaks": "quantity"}


def keyed(data: dict[str, Any]) -> dict[str, Any]:
    """The card with each list of entries as a table by the entries' ids (`lead_times.express`,
    `quantity_breaks.100`); a list whose entries have no distinct names stays a list."""
    data = dict(data)
    for section, name in LIST_KEYS.items():
        items = data.get(section)
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            continue
        keys = [shown(item.get(name, "")) for item in items]
        if all(key and "." not in key and "[" not in key for key in keys) and len(set(keys)) == len(keys):
            data[section] = dict(zip(keys, items, strict=True))
    return data


def same_card(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Nothing to save: every value as it was, and every list in the same order."""
    return flat(old) == flat(new)


def _parent(key: str) -> str:
    return key.rpartition(".")[0]


def changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Each changed field; an entry added or removed as a whole is one change."""
    before, after = flat(keyed(old)), flat(keyed(new))
    added = {_parent(key) for key in after} - {_parent(key) for key in before}
    gone = {_parent(key) for key in before} - {_parent(key) for key in after}
    found: dict[str, Change] = {}
    for key, value in after.items():
        if _parent(key) in added:
            found.setdefault(_parent(key), Change(_parent(key), None, value, whole=True))
        elif before.get(key) != value:
            found[key] = Change(key, before.get(key), value)
    for key, value in before.items():
        if _parent(key) in gone:
            found.setdefault(_parent(key), Change(_parent(key), value, None, whole=True))
        elif key not in after:
            found[key] = Change(key, value, None)
    return list(found.values())


def change_label(change: Change, old: dict[str, Any], new: dict[str, Any]) -> str:
    """ "CNC milling (3-axis) · Machine rate per hour", in the reader's language."""
    card = keyed(new if change.new is not None else old)
    if change.whole:
        return group_title(card, change.key)
    group, _, last = change.key.rpartition(".")
    field = gettext(LABELS[last]) if last in LABELS else last
    if not group:
        return field
    title = group_title(card, group)
    return f"{title} · {field}"
