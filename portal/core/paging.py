"""Paging for lists: the page a person asked for, and what the pager shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from advanced_alchemy.filters import LimitOffset
from litestar.params import Parameter

T = TypeVar("T")

PageNumber = Annotated[int, Parameter(ge=1, le=100_000)]
"""A `page` query parameter: 1 and up; anything else is a 400."""


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    number: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def limit_offset(number: int, per_page: int) -> LimitOffset:
    """The advanced-alchemy filter for one page."""
    return LimitOffset(limit=per_page, offset=(number - 1) * per_page)
