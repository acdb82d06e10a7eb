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

from geometry.model import GeometryError

MAX_FACETS = 20_000_000  # bounds memory: a binary STL of this size is 1 GB
MAX_FILE_BYTES = 1_100_000_000

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
        raise GeometryError("not_found", f"The file {os.fspath(path)!r} does not exist.") from exc
    except IsADirectoryError as exc:
        raise GeometryError("not_found", f"{os.fspath(path)!r} is a directory.") from exc
    except OSError as exc:
        raise GeometryError("unreadable", f"The file cannot be read ({exc.strerror}).") from exc
    if size == 0:
        raise GeometryError("empty_file", "The file is empty: upload the model file itself.")
    if size > MAX_FILE_BYTES:
        raise GeometryError("too_large", "The file is larger than 1 GB: simplify the model.")

    count = binary_stl_count(head, size)
    if count is not None:
        if count > MAX_FACETS:
            raise GeometryError(
                "too_large",
                f"The STL has {count:,} facets; the limit is {MAX_FACETS:,}. "
                "Export it with a coarser tessellation.",
            )
        if count == 0:
            raise GeometryError("empty_model", "The STL contains no facets.")
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
        raise GeometryError(
            "unknown_format",
            "This is not a valid STL, STEP, 3MF or OBJ file: as a binary STL its header "
            f"announces {claimed:,} facets ({84 + 50 * claimed:,} bytes) but the file has "
            f"{size:,} bytes, and it is not a text format either. The file may be truncated "
            "or damaged: export it again.",
        )
    raise GeometryError(
        "unknown_format",
        "This is not a 3D model we can read (STL, STEP, 3MF or OBJ): export it again in one "
        "of these formats.",
    )
