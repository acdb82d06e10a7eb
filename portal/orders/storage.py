"""Where document bytes are kept, by content address (`documents/<sha256>`).

`document_storage(settings)` is the one switch: a folder under the data directory for now, the
same storage as the model files once they share one interface.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import anyio

from portal.config import Settings

CHUNK = 256 * 1024


def document_key(sha256: str) -> str:
    return f"documents/{sha256}"


class LocalDocumentStorage:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.temp = root / "tmp"
        self.temp.mkdir(parents=True, exist_ok=True)

    def temp_dir(self) -> Path:
        return self.temp

    def _path(self, key: str) -> Path:
        kind, _, name = key.partition("/")
        if kind != "documents" or not name or "/" in name or name.startswith("."):
            raise ValueError(f"not a document key: {key!r}")
        return self.root / kind / name[:2] / name

    async def put_file(self, key: str, path: Path) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():  # the same bytes are there already
            return
        fd, partial = tempfile.mkstemp(dir=target.parent, prefix=".partial-")
        os.close(fd)
        try:
            await anyio.to_thread.run_sync(shutil.copyfile, path, partial)
            os.replace(partial, target)  # a reader never sees half a file
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(partial)

    async def put_bytes(self, key: str, data: bytes) -> None:
        fd, partial = tempfile.mkstemp(dir=self.temp)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            await self.put_file(key, Path(partial))
        finally:
            os.unlink(partial)

    def local_path(self, key: str) -> Path | None:
        path = self._path(key)
        return path if path.exists() else None

    async def stream(self, key: str) -> AsyncIterator[bytes]:
        async with await anyio.open_file(self._path(key), "rb") as handle:
            while chunk := await handle.read(CHUNK):
                yield chunk


def document_storage(settings: Settings) -> LocalDocumentStorage:
    return LocalDocumentStorage(settings.server.data_dir / "storage")
