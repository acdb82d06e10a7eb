"""Small PNG thumbnails of attached photos (PNG, JPEG), made once and kept by the image's hash.

    png = await document_thumbnail(document, storage)    # None when it is no image or unreadable

Pillow decodes in a worker thread; a JPEG is decoded at a reduced scale (`draft`), and an image
over the upload check's pixel limit is never decoded.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from pathlib import Path

import anyio
from PIL import Image, ImageOps

from portal.core.documents import CONTENT_TYPES, IMAGE_KINDS, MAX_IMAGE_PIXELS
from portal.db.models import Document
from portal.files.storage import Storage

SIZE = 160  # px, the longer side
IMAGE_TYPES = {CONTENT_TYPES[kind] for kind in IMAGE_KINDS}


def has_thumbnail(document: Document) -> bool:
    return document.content_type in IMAGE_TYPES


def thumbnail_key(sha256: str) -> str:
    return f"previews/{sha256}.thumbnail.png"


async def document_thumbnail(document: Document, storage: Storage) -> bytes | None:
    if not has_thumbnail(document):
        return None
    key = thumbnail_key(document.sha256)
    stored = storage.local_path(key)
    if stored is not None:
        return await anyio.to_thread.run_sync(stored.read_bytes)
    source = storage.local_path(document.storage_key)
    with contextlib.ExitStack() as stack:
        if source is None:  # a remote storage: fetched to a temporary file first
            folder = stack.enter_context(tempfile.TemporaryDirectory(dir=storage.temp_dir()))
            source = Path(folder) / "image"
            await storage.fetch(document.storage_key, source)
        png = await anyio.to_thread.run_sync(make_thumbnail, source)
    if png is not None:
        await storage.put_bytes(key, png)
    return png


def make_thumbnail(path: Path) -> bytes | None:
    """The image shrunk to SIZE px on its longer side, turned upright, as PNG; None if unreadable."""
    try:
        with Image.open(path) as image:
            if image.format not in ("PNG", "JPEG") or image.width * image.height > MAX_IMAGE_PIXELS:
                return None
            image.draft("RGB", (SIZE, SIZE))  # JPEG only: decode at 1/2, 1/4 or 1/8 scale
            upright = ImageOps.exif_transpose(image)
            upright.thumbnail((SIZE, SIZE))
            shown = upright.convert("RGBA" if "A" in upright.getbands() or "transparency" in upright.info else "RGB")
            buffer = io.BytesIO()
            shown.save(buffer, "PNG", optimize=True)
            return buffer.getvalue()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
