"""Rendered quote panels of ready files, kept per process.

The panel of one file row, for the same options, rate-card version, language, day and kind of
viewer (logged in or not), is the same HTML save for the visitor's CSRF token: it is rendered once
and the token is put in on the way out. Anything that changes the file (units, remembered options,
a rename) moves its `updated_at`, and a new rate card has a new id, so either makes a new key; old
entries simply age out.

What the key is made of (who may see the file, its `updated_at`, the current card) is itself read
at most once a second per file, and only for requests that name their options: a change to the
file (a rename, a deletion, new remembered options) or a new rate card shows in such a panel
within a second. Orders never price from a panel: the cart prices again with the current card.
"""

from __future__ import annotations

import time
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from portal.core.lru import LruCache
from portal.db.models import ModelFile

TOKEN_MARK = "\x00csrf-token\x00"
STAMP_SECONDS = 1.0


@dataclass(frozen=True)
class PanelStamp:
    """What a kept panel's key is made of besides the request: who may see the file (what
    `can_see` reads), its status and last change, and the rate card that prices new quotes."""

    owner_id: Any
    visitor_key: str | None
    is_demo: bool
    status: str
    updated_at: Any
    card_key: Any

    @classmethod
    def of(cls, file: ModelFile, card_key: Any) -> PanelStamp:
        return cls(file.owner_id, file.visitor_key, file.is_demo, file.status, file.updated_at, card_key)


class RenderedPanels:
    def __init__(self, size: int = 2048, stamp_seconds: float = STAMP_SECONDS) -> None:
        self._html: LruCache[str] = LruCache(size)
        self._stamps: LruCache[tuple[float, PanelStamp]] = LruCache(size)
        self._stamp_seconds = stamp_seconds

    def get(self, key: Hashable, token: str) -> str | None:
        html = self._html.get(key)
        return html.replace(TOKEN_MARK, token) if html is not None else None

    def put(self, key: Hashable, html: str, token: str) -> None:
        if token and token in html:  # only then can another visitor get it with their own token
            self._html.put(key, html.replace(token, TOKEN_MARK))

    def stamp(self, file_id: Hashable) -> PanelStamp | None:
        kept = self._stamps.get(file_id)
        return kept[1] if kept is not None and kept[0] > time.monotonic() else None

    def keep_stamp(self, file: ModelFile, card_key: Any) -> None:
        self._stamps.put(file.id, (time.monotonic() + self._stamp_seconds, PanelStamp.of(file, card_key)))

    def __len__(self) -> int:
        return len(self._html)
