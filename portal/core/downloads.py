"""Sending a stored file back as a download: under the name the portal chose, never sniffed by
the browser, never cached by a shared cache.

    return stored_download(storage, key, name, content_type)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

from litestar import Response
from litestar.response import File, Stream


class StoredFiles(Protocol):
    """What a download needs of the portal's storage."""

    def local_path(self, key: str) -> Path | None: ...

    def stream(self, key: str) -> AsyncIterator[bytes]: ...


def attachment(name: str) -> str:
    """RFC 6266: an ASCII fallback and the UTF-8 name."""
    fallback = "".join(ch if ch.isascii() and ch.isprintable() and ch not in '"\\' else "_" for ch in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def stored_download(storage: StoredFiles, key: str, name: str, content_type: str) -> Response:
    """The stored bytes of `key` as `name`, with the content type found when they were checked."""
    headers = {
        "x-content-type-options": "nosniff",
        "cache-control": "private, no-store",
        "content-disposition": attachment(name),
    }
    # Litestar adds the charset of a text/* type itself: it gets the stored one, once
    media_type, _, parameters = content_type.partition(";")
    charset = parameters.strip().removeprefix("charset=") or "utf-8"
    path = storage.local_path(key)
    if path is not None:
        return File(path=path, media_type=media_type, encoding=charset, headers=headers)
    return Stream(storage.stream(key), media_type=media_type, encoding=charset, headers=headers)
