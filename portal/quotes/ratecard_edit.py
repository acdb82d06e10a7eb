"""The rate card editor's form, read into the card it describes: the typed values, the ticked
removals and the filled-in new entries, checked by the same reader that prices quotes.

Saving and the price preview both start here, so a card the preview shows prices for is a card
that saving takes, and a refusal reads the same in both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from geometry.model import GeometryError
from geometry.pricing import RateCard, load_rate_card
from portal.core.forms import CONTROL_MESSAGE, has_controls
from portal.core.i18n import N_, gettext
from portal.files.catalogue import text_of
from portal.quotes.ratecard_entries import edit_entries, form_key, new_entries
from portal.quotes.ratecard_form import LABELS, data_from_form, group_title
from portal.quotes.ratecard_history import flat, shown
from portal.quotes.services import CurrentCard

NOW_IN_CARD = N_("The card now has: %(value)s")


@dataclass
class EditedCard:
    values: dict[str, Any]  # the form as sent, to show again
    typed: dict[str, str]  # the card's own fields as typed, by key
    removed: list[str]  # the ticked Remove boxes
    data: dict[str, Any]  # the card the form describes
    origins: dict[str, str]  # see `Edited.origins`
    shown: set[str]  # every field the page has (a refusal elsewhere is said above the form)
    errors: dict[str, str] = field(default_factory=dict)  # by field, translated
    general_error: str | None = None
    card: RateCard | None = None  # as pricing reads it: set when the card is valid

    @property
    def ok(self) -> bool:
        return not self.errors and self.general_error is None

    def changed(self, data: dict[str, Any]) -> set[str]:
        """The fields typed otherwise than `data` has them, and the groups ticked for removal."""
        before = flat(data)
        return {key for key, text in self.typed.items() if shown(text) != before.get(key)} | set(self.removed)

    def mark_differences(self, data: dict[str, Any]) -> None:
        """Refused over a card saved since the form was opened: each field typed otherwise than
        `data` has it is marked with the value there, so staff keep what they meant and nothing
        of the other save is undone unnoticed."""
        now = flat(data)
        for key, text in self.typed.items():
            if shown(text) != now.get(key) and key not in self.errors:
                self.errors[key] = gettext(NOW_IN_CARD) % {"value": now.get(key, "—")}

    def refuse(self, error: GeometryError) -> None:
        """The reader's refusal, beside the field it names (or above the form)."""
        key = form_key(str(error.params.get("key")), self.origins)
        message = text_of(error.code, error.params, error.message)
        if key in self.shown:
            self.errors[key] = message
        else:
            self.general_error = message


def read_editor(form: Any, current: CurrentCard) -> EditedCard:
    """The edited card, validated; nothing is saved."""
    values, removed = dict(form), [str(v) for v in form.getall("remove", [])]
    for key in form.getall("flag", []):  # an unticked checkbox sends nothing
        values[str(key)] = "true" if form.get(str(key)) == "true" else "false"
    data, typed = data_from_form(values, current.data)
    edited = edit_entries(data, values, removed)
    shown = set(typed) | {item.key for entry in new_entries(current.data) for item in entry.fields}
    result = EditedCard(values, typed, removed, edited.data, edited.origins, shown, edited.errors)
    # staff's text too: a control character is refused next to its field, as on every form
    result.errors.update({key: gettext(CONTROL_MESSAGE) for key in values if has_controls(values, key)})
    if not result.errors:
        try:
            result.card = load_rate_card({**edited.data, "version": "preview"})  # the reader that prices
        except GeometryError as error:
            result.refuse(error)
    return result


def field_id(key: str) -> str:
    """The HTML id of a field on the editor (a link to it, or its error's)."""
    return key.replace(".", "-").replace("[", "-").replace("]", "")


def field_label(data: dict[str, Any], key: str) -> str:
    """ "Finishes · Polishing · Price per part": where a field is, in the reader's language."""
    if key.startswith("remove."):
        return f"{group_title(data, key.removeprefix('remove.'))} · {gettext('Remove')}"
    group, _, last = key.rpartition(".")
    label = gettext(LABELS[last]) if last in LABELS else last
    if not group:
        return label
    if group.startswith("new."):
        entry = next((e for e in new_entries(data) if f"new.{e.place}" == group), None)
        title = gettext(entry.title) % {"process": entry.process} if entry and entry.process else (
            gettext(entry.title) if entry else group)
        return f"{title} · {label}"
    return f"{group_title(data, group)} · {label}"
