"""Receiving model files: the multipart body streamed to temporary files, hashed on the way.

Nothing is read whole into memory. An htmx/JavaScript upload carries the CSRF token in a
header, so the CSRF middleware leaves the body alone and it is parsed here chunk by chunk. A
plain HTML form carries the token as a field: then the middleware has already streamed the
parts into spooled temporary files, and they are copied from there. Either way each file is
capped while it is received, and the temporary files are removed on every path.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from litestar import Request
from litestar.datastructures import UploadFile
from multipart import MultipartSegment, ParserError, ParserLimitReached, PushMultipartParser

from portal.core.i18n import N_

FIELD = "files"
COPY_CHUNK = 1024 * 1024


@dataclass
class Received:
    name: str
    path: Path
    sha256: str
    size: int


class UploadRefused(Exception):
    def __init__(self, status: int, message: str, **args: object) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.args_ = args


class _Sink:
    """One file being written: size cap, sha256, temporary path."""

    def __init__(self, name: str, folder: Path, limit: int) -> None:
        self.name = name
        self.limit = limit
        self.size = 0
        self.hash = hashlib.sha256()
        fd, path = tempfile.mkstemp(dir=folder, prefix="upload-")
        self.path = Path(path)
        self.handle = os.fdopen(fd, "wb")

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            raise UploadRefused(413, N_("%(name)s is larger than %(limit)s MB."), name=self.name,
                                limit=self.limit // (1024 * 1024))
        self.hash.update(chunk)
        self.handle.write(chunk)

    def close(self) -> Received:
        self.handle.close()
        return Received(self.name, self.path, self.hash.hexdigest(), self.size)

    def discard(self) -> None:
        self.handle.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def _boundary(request: Request) -> bytes:
    content_type, options = request.content_type
    if content_type != "multipart/form-data" or not options.get("boundary"):
        raise UploadRefused(400, N_("Choose one or more model files to upload."))
    return options["boundary"].encode("latin-1")


@contextlib.asynccontextmanager
async def received_files(
    request: Request, folder: Path, max_bytes: int, max_files: int
) -> AsyncIterator[list[Received]]:
    """The uploaded files as temporary files (deleted when the block ends)."""
    files: list[Received] = []
    try:
        if request.headers.get("x-csrftoken"):
            await _stream(request, folder, max_bytes, max_files, files)
        else:
            await _from_form(request, folder, max_bytes, max_files, files)
        if not files:
            raise UploadRefused(400, N_("Choose one or more model files to upload."))
        yield files
    finally:
        for item in files:
            with contextlib.suppress(FileNotFoundError):
                item.path.unlink()


async def _stream(request: Request, folder: Path, max_bytes: int, max_files: int, files: list[Received]) -> None:
    sink: _Sink | None = None
    skipping = False
    try:
        with PushMultipartParser(_boundary(request), max_segment_count=max_files + 16) as parser:
            async for chunk in request.stream():
                for event in parser.parse(chunk):
                    if isinstance(event, MultipartSegment):
                        skipping = event.name != FIELD or not event.filename
                        if not skipping:
                            if len(files) >= max_files:
                                raise UploadRefused(413, N_("Upload at most %(count)s files at once."),
                                                    count=max_files)
                            sink = _Sink(event.filename, folder, max_bytes)
                    elif event:
                        if sink is not None and not skipping:
                            sink.write(event)
                    elif sink is not None:  # end of a file part
                        files.append(sink.close())
                        sink = None
                if parser.closed:
                    break
    except ParserLimitReached:
        raise UploadRefused(400, N_("The upload has too many parts: send at most %(count)s files at once."),
                            count=max_files) from None
    except ParserError:
        raise UploadRefused(400, N_("The upload was cut off or malformed: please try again.")) from None
    finally:
        if sink is not None:
            sink.discard()


async def _from_form(request: Request, folder: Path, max_bytes: int, max_files: int, files: list[Received]) -> None:
    form = await request.form()
    uploads = [item for item in form.getall(FIELD) if isinstance(item, UploadFile) and item.filename]
    if len(uploads) > max_files:
        raise UploadRefused(413, N_("Upload at most %(count)s files at once."), count=max_files)
    for upload in uploads:
        sink = _Sink(upload.filename, folder, max_bytes)
        try:
            await upload.seek(0)
            while chunk := await upload.read(COPY_CHUNK):
                sink.write(chunk)
        except BaseException:
            sink.discard()
            raise
        finally:
            await upload.close()
        files.append(sink.close())
