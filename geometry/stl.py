"""Our own vectorised STL reader (binary and ASCII).

Both return the triangle soup as an (n, 3, 3) array: facet, corner, xyz. Binary files give
float32 (exactly what the file holds), ASCII files float64. Normals in the file are ignored:
orientation is taken from the vertex order, as every slicer does.
"""

from __future__ import annotations

import os
import re
import warnings

import numpy as np

from geometry.formats import binary_stl_count
from geometry.limits import MAX_FACETS
from geometry.model import GeometryError

RECORD = np.dtype([("normal", "<f4", (3,)), ("v", "<f4", (3, 3)), ("attr", "<u2")])

_NUM = rb"(\S+)"
_WS = rb"\s+"
_FACET = re.compile(
    rb"facet" + _WS + rb"normal" + (_WS + rb"\S+") * 3 + _WS + rb"outer" + _WS + rb"loop"
    + (_WS + rb"vertex" + (_WS + _NUM) * 3) * 3
    + _WS + rb"endloop" + _WS + rb"endfacet"
)
_SOLID_LINE = re.compile(rb"^[ \t\r]*(?:end)?solid\b[^\n]*$", re.MULTILINE)


SLICE_FACETS = 1 << 15  # facets read at a time: 1.6 MB of records, 1.2 MB of coordinates


class BinaryStl:
    """A binary STL whose facets are read a slice at a time, never all at once.

    `geometry.measure` welds such a file as it is read, so the whole (n, 3, 3) soup (36 bytes a
    facet) is never in memory; `read()` gives the soup for everything else. The header and
    size are checked when it is opened; a file that ends early fails as it is read.
    `scale`: a float32 factor the coordinates are multiplied by as they are read (exactly as
    ``soup * np.float32(scale)`` would).
    """

    def __init__(self, path: str | os.PathLike, scale: float = 1.0) -> None:
        size = os.path.getsize(path)
        with open(path, "rb") as stream:
            head = stream.read(84)
        count = binary_stl_count(head, size)
        if count is None:
            (claimed,) = np.frombuffer(head[80:84].ljust(4, b"\0"), dtype="<u4")
            raise GeometryError(
                "stl_truncated", facets=int(claimed), expected_bytes=84 + 50 * int(claimed), size=size
            )
        if count > MAX_FACETS:
            raise GeometryError("too_many_facets", count=count, limit=MAX_FACETS)
        self.path, self.count, self.size = os.fspath(path), count, size
        self.scale = np.float32(scale)
        self.dtype = np.dtype(np.float32)

    def __len__(self) -> int:
        return self.count

    def scaled(self, factor: float) -> BinaryStl:
        other = BinaryStl.__new__(BinaryStl)
        other.__dict__.update(self.__dict__)
        other.scale = np.float32(factor)
        return other

    def _finish(self, facets: np.ndarray) -> np.ndarray:
        if self.scale != 1:
            facets *= self.scale
        return facets

    def sample(self, step: int) -> np.ndarray:
        """Facets 0, step, 2·step, … (as ``soup[::step]``), read one by one."""
        picks = range(0, self.count, step)
        out = np.empty((len(picks), 3, 3), dtype=np.float32)
        record = np.empty(1, dtype=RECORD)
        raw = memoryview(record).cast("B")
        with open(self.path, "rb", buffering=0) as stream:
            for i, facet in enumerate(picks):
                stream.seek(84 + 50 * facet)
                if stream.readinto(raw) != RECORD.itemsize:
                    raise self._truncated()
                out[i] = record["v"][0]
        return self._finish(out)

    def _truncated(self) -> GeometryError:
        return GeometryError(
            "stl_truncated", "ends early", facets=self.count, expected_bytes=84 + 50 * self.count, size=self.size
        )

    def slices(self, facets: int = SLICE_FACETS):
        """(start, soup of the next facets) in order, in two buffers used in turn: a slice is
        valid until the one after the next is asked for."""
        records = np.empty(facets, dtype=RECORD)
        raw = memoryview(records).cast("B")
        buffers = [np.empty((facets, 3, 3), dtype=np.float32) for _ in range(2)]
        with open(self.path, "rb", buffering=0) as stream:
            stream.seek(84)
            for i, start in enumerate(range(0, self.count, facets)):
                k = min(facets, self.count - start)
                got = 0
                while got < 50 * k:
                    more = stream.readinto(raw[got : 50 * k])
                    if not more:
                        raise self._truncated()
                    got += more
                out = buffers[i % 2][:k]
                out[...] = records["v"][:k]
                yield start, self._finish(out)

    def read(self) -> np.ndarray:
        """The whole (n, 3, 3) float32 soup."""
        triangles = np.empty((self.count, 3, 3), dtype=np.float32)
        for start, part in self.slices():
            triangles[start : start + len(part)] = part
        return triangles


def read_binary(path: str | os.PathLike) -> np.ndarray:
    return BinaryStl(path).read()


def _ascii_error(detail: str) -> GeometryError:
    return GeometryError("invalid_stl", detail)


def _fast_ascii(data: bytes) -> np.ndarray | None:
    """Parse a single-solid ASCII STL in a few vectorised passes, or None if it is not plain.

    Keywords are blanked out (letters, except an ``e``/``E`` right after a digit or a dot,
    which is an exponent) and the numbers read in one go; the counts must then match exactly
    (3 vertices and 12 numbers per facet), otherwise the slower, precise parser decides.
    """
    facets = data.count(b"endfacet")
    if facets == 0 or data.count(b"vertex") != 3 * facets or data.count(b"endloop") != facets:
        return None
    first = data.find(b"\n")
    last = data.rfind(b"endsolid")
    if first < 0 or last < first:
        return None
    body = np.frombuffer(data, dtype=np.uint8, count=last - first, offset=first)
    lower = body | 0x20
    letters = (lower >= ord("a")) & (lower <= ord("z"))
    before = body[:-1]
    mantissa = ((before >= ord("0")) & (before <= ord("9"))) | (before == ord("."))
    letters[1:] &= ~((lower[1:] == ord("e")) & mantissa)
    del lower, before, mantissa
    body = body[~letters]  # keywords are always separated from numbers by whitespace
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            values = np.fromstring(body.tobytes(), sep=" ")
        except (DeprecationWarning, ValueError):
            return None
    if values.size != 12 * facets:
        return None
    return values.reshape(facets, 4, 3)[:, 1:, :]


def _precise_ascii(data: bytes) -> np.ndarray:
    data = data.lower()
    matches = _FACET.findall(data)
    if not matches:
        raise _ascii_error("it contains no complete facet")
    if len(matches) > MAX_FACETS:
        raise GeometryError("too_many_facets", count=len(matches), limit=MAX_FACETS)
    # Everything that is not a facet must be a solid/endsolid line: no garbage in between.
    rest = _SOLID_LINE.sub(b"", _FACET.sub(b"", data)).strip()
    if rest:
        snippet = rest[:40].decode("ascii", "replace").splitlines()[0]
        raise _ascii_error(f"unexpected text {snippet!r} between facets")
    try:
        values = np.array(matches, dtype=np.bytes_).astype(np.float64)
    except ValueError as exc:
        raise _ascii_error("a vertex coordinate is not a number") from exc
    return values.reshape(-1, 3, 3)


def read_ascii(path: str | os.PathLike) -> np.ndarray:
    with open(path, "rb") as stream:
        data = stream.read()
    if b"\x00" in data:
        raise _ascii_error("it starts like an ASCII STL but contains binary data")
    triangles = _fast_ascii(data)
    if triangles is None:
        triangles = _precise_ascii(data)
    return triangles


def read_stl(path: str | os.PathLike, kind: str) -> np.ndarray:
    return read_binary(path) if kind == "stl_binary" else read_ascii(path)


def write_binary(path: str | os.PathLike, triangles: np.ndarray, header: bytes = b"") -> None:
    """Write an (n, 3, 3) soup as binary STL (used by tests and the benchmark)."""
    triangles = np.asarray(triangles, dtype=np.float32).reshape(-1, 3, 3)
    records = np.zeros(len(triangles), dtype=RECORD)
    records["v"] = triangles
    with open(path, "wb") as stream:
        stream.write(header[:80].ljust(80, b" "))
        stream.write(np.uint32(len(triangles)).tobytes())
        records.tofile(stream)


def write_ascii(path: str | os.PathLike, triangles: np.ndarray) -> None:
    triangles = np.asarray(triangles, dtype=np.float64).reshape(-1, 3, 3)
    lines = ["solid model"]
    for tri in triangles:
        lines.append("  facet normal 0 0 0\n    outer loop")
        lines.extend(f"      vertex {x:.9g} {y:.9g} {z:.9g}" for x, y, z in tri)
        lines.append("    endloop\n  endfacet")
    lines.append("endsolid model\n")
    with open(path, "w", encoding="ascii") as stream:
        stream.write("\n".join(lines))
