"""Staff searches: the typed text found anywhere in a column, taken literally.

LIKE treats `%` and `_` as wildcards: "10%" would find every number with a 10 in it, and "_" every
row. `contains` escapes them (and the escape character itself), so what is typed is what is found.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement

ESCAPE = "\\"


def like_pattern(text: str) -> str:
    """`text` anywhere, its own wildcards escaped (for `ilike(…, escape=ESCAPE)`)."""
    literal = text.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")
    return f"%{literal}%"


def contains(column: ColumnElement, text: str) -> ColumnElement[bool]:
    """Case-insensitive: `column` holds `text` somewhere."""
    return column.ilike(like_pattern(text), escape=ESCAPE)
