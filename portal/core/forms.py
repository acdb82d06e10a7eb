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

Messages are English source text marked with `N_` and translated where the page shows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from litestar.enums import RequestEncodingType
from litestar.params import Body

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
"""A url-encoded form body as a plain dict; clean it before use."""


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


def _first(raw: dict[str, Any], name: str) -> Any:
    value = raw.get(name, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return value


def field_value(raw: dict[str, Any], name: str) -> str:
    """A text field, stripped; anything that is not text (a repeated or odd field) reads as ""."""
    value = _first(raw, name)
    return value.strip() if isinstance(value, str) else ""


def secret_value(raw: dict[str, Any], name: str) -> str:
    """A password field exactly as typed (spaces count)."""
    value = _first(raw, name)
    return value if isinstance(value, str) else ""


def choice(value: str | None, choices: tuple[str, ...] | list[str], default: str) -> str:
    """One of the allowed values, or the default for anything else."""
    return value if value in choices else default
