"""Forms: read raw fields, clean them, and say what is wrong next to each field.

A controller reads the raw body (`data: FormData`), cleans it into a `Form` (values to show back,
errors by field) and calls one service method only when `form.ok`. A rule only the service can
check (an e-mail already taken, a wrong current password) is raised by the service as
`FieldError(field, message)`; the controller puts it on the form and renders the page again:

    form = clean_profile(data)
    if form.ok:
        try:
            await users.update_profile(user, form.values)
        except FieldError as error:
            form.add(error)
    if not form.ok:
        return render(request, "accounts/profile.html", status_code=422, form=form)

Every text field is read through `field_value`, which drops control characters (PostgreSQL cannot
even store a NUL); `Form.read` also puts a message on each field that held one, so that the form
comes back refused instead of silently changed. Tab and line breaks belong in multi-line fields only.

Messages are English source text marked with `N_` and translated where the page shows them.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any

from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter

from portal.core.i18n import N_

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
"""A url-encoded form body as a plain dict; clean it before use."""

# C0 controls, DEL and C1 controls; a multi-line field may hold tab, line feed and carriage return.
CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
MULTILINE_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
CONTROL_MESSAGE = N_("This field holds control characters: please type it again without them.")

SearchText = Annotated[str, Parameter(max_length=200, pattern=r"^[^\x00-\x1f\x7f-\x9f]*$")]
"""A search box's text in a query string: a control character in it is refused with 400."""


class FieldError(Exception):
    """A service refusing a value: which field, and a message (marked with N_) for the person."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


@dataclass
class Form:
    """Cleaned values and per-field errors; `values` is what the page shows back."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, error: FieldError) -> None:
        self.errors.setdefault(error.field, error.message)

    @classmethod
    def read(cls, raw: dict[str, Any], names: Iterable[str], multiline: Collection[str] = ()) -> Form:
        """The named text fields (`field_value`); one that held control characters gets a message."""
        form = cls()
        for name in names:
            form.values[name] = field_value(raw, name, multiline=name in multiline)
            if has_controls(raw, name, multiline=name in multiline):
                form.errors[name] = CONTROL_MESSAGE
        return form


def _first(raw: dict[str, Any], name: str) -> Any:
    value = raw.get(name, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return value


def field_value(raw: dict[str, Any], name: str, multiline: bool = False) -> str:
    """A text field, stripped and without control characters; anything that is not text (a
    repeated or odd field) reads as ""."""
    value = _first(raw, name)
    if not isinstance(value, str):
        return ""
    return (MULTILINE_CONTROLS if multiline else CONTROLS).sub("", value).strip()


def has_controls(raw: dict[str, Any], name: str, multiline: bool = False) -> bool:
    value = _first(raw, name)
    return isinstance(value, str) and (MULTILINE_CONTROLS if multiline else CONTROLS).search(value) is not None


def secret_value(raw: dict[str, Any], name: str) -> str:
    """A password field exactly as typed (spaces count)."""
    value = _first(raw, name)
    return value if isinstance(value, str) else ""


def choice(value: str | None, choices: tuple[str, ...] | list[str], default: str) -> str:
    """One of the allowed values, or the default for anything else."""
    return value if value in choices else default
