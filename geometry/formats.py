"""Tell a model's format by its content, never by its name.

- binary STL: ``84 + 50·n == size`` where n is the header's facet count, and n under a cap;
- STEP: starts with ``ISO-10303-21`` (after an optional byte-order mark and whitespace);
- 3MF: a ZIP archive (its members are checked before anything is inflated, in `threemf`);
- ASCII STL: starts with ``solid`` and must then parse (in `stl`);
- OBJ: text whose first statement is an OBJ keyword (``v``, ``f``, ``o``, ``mtllib`` ...).
"""

from __future__ import annotations

import os
import struct

from geometry.limits import MAX_FACETS, MAX_FILE_BYTES
from geometry.model import GeometryError

OBJ_KEYWORDS = {
    b"v", b"vt", b"vn", b"vp", b"f", b"o", b"g", b"s", b"l", b"p",
    b"mtllib", b"usemtl", b"cstype", b"deg", b"curv", b"surf",
}


def _strip_start(head: bytes) -> bytes:
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    return head.lstrip()


def binary_stl_count(head: bytes, size: int) -> int | None:
    """The facet count if the file is a well-formed binary STL by size, else None."""
    if size < 84 or len(head) < 84:
        return None
    (count,) = struct.unpack_from("<I", head, 80)
    if 84 + 50 * count != size:
        return None
    return count


def _looks_like_obj(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    for raw in head.splitlines():
        line = raw.strip()
        if not line or line.startswith(b"#"):
            continue
        return line.split()[0] in OBJ_KEYWORDS
    return False


def detect_format(path: str | os.PathLike) -> str:
    """One of ``stl_binary``, ``stl_ascii``, ``step``, ``3mf``, ``obj``; otherwise GeometryError."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as stream:
            head = stream.read(4096)
    except FileNotFoundError as exc:
        raise GeometryError("not_found", name=os.fspath(path)) from exc
    except IsADirectoryError as exc:
        raise GeometryError("not_found", "a directory", name=os.fspath(path)) from exc
    except OSError as exc:
        raise GeometryError("unreadable", exc.strerror or "") from exc
    if size == 0:
        raise GeometryError("empty_model", "the file is empty")
    if size > MAX_FILE_BYTES:
        raise GeometryError("file_too_large", limit_mb=MAX_FILE_BYTES // 1_000_000)

    count = binary_stl_count(head, size)
    if count is not None:
        if count > MAX_FACETS:
            raise GeometryError("too_many_facets", count=count, limit=MAX_FACETS)
        if count == 0:
            raise GeometryError("empty_model", "the STL header announces no facets")
        return "stl_binary"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "3mf"
    text = _strip_start(head)
    if text.startswith(b"ISO-10303-21"):
        return "step"
    if text[:5].lower() == b"solid":
        return "stl_ascii"
    if _looks_like_obj(head):
        return "obj"
    if size >= 84:
        (claimed,) = struct.unpack_from("<I", head, 80)
        if 0 < claimed <= MAX_FACETS and 84 + 50 * claimed > size:
            # binary, and shorter than its STL header says: a cut-off download or copy
            raise GeometryError(
                "stl_truncated", facets=claimed, expected_bytes=84 + 50 * claimed, size=size
            )
    raise GeometryError("unknown_format")
