"""Receiving one document from a multipart form: copied to a temporary file, hashed, capped.

The route's body limit refuses a larger request with 413 before it is read; the copy stops at
the same cap for a body without a length. The temporary file is removed when the block ends.
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

from portal.core.documents import MAX_DOCUMENT_BYTES, DocumentRefused
from portal.core.i18n import N_

FIELD = "document"
CHUNK = 1024 * 1024
BODY_LIMIT = MAX_DOCUMENT_BYTES + 256 * 1024  # the file and the form's other fields


@dataclass
class ReceivedDocument:
    name: str
    path: Path
    sha256: str
    size: int


@contextlib.asynccontextmanager
async def received_document(
    request: Request, folder: Path, required: bool = True
) -> AsyncIterator[tuple[ReceivedDocument | None, dict]]:
    """The uploaded document and the form's other (text) fields. Raises DocumentRefused. Not
    `required`: a form sent without a file gives None."""
    form = await request.form()
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    upload = form.get(FIELD)
    if not isinstance(upload, UploadFile) or not upload.filename:
        if not required:
            yield None, fields
            return
        raise DocumentRefused(N_("Choose a file to attach."))
    fd, name = tempfile.mkstemp(dir=folder, prefix="document-")
    path = Path(name)
    try:
        digest, size = hashlib.sha256(), 0
        with os.fdopen(fd, "wb") as handle:
            await upload.seek(0)
            while chunk := await upload.read(CHUNK):
                size += len(chunk)
                if size > MAX_DOCUMENT_BYTES:
                    raise DocumentRefused(N_("%(name)s is larger than %(limit)s MB."), name=upload.filename,
                                          limit=MAX_DOCUMENT_BYTES // 2**20)
                digest.update(chunk)
                handle.write(chunk)
        yield ReceivedDocument(upload.filename, path, digest.hexdigest(), size), fields
    finally:
        await upload.close()
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
