"""Wavefront OBJ reader: ``v`` and ``f`` statements, polygons fanned into triangles.

OBJ has no units; millimetres are assumed. Negative (relative) indices are supported; texture
and normal indices (``f 1/2/3``) are ignored.
"""

from __future__ import annotations

import os
import re
import warnings

import numpy as np

from geometry.limits import MAX_FACETS
from geometry.model import GeometryError


def _bad(line_no: int, detail: str) -> GeometryError:
    return GeometryError("invalid_obj", detail, line=line_no)


def _numbers(lines: list[bytes], per_line: int) -> np.ndarray | None:
    """Parse lines of exactly `per_line` numbers each (after their keyword), or None."""
    if not lines:
        return np.empty((0, per_line))
    blob = b" ".join(lines)
    if b"/" in blob:
        blob = re.sub(rb"/\S*", b"", blob)  # f 1/2/3 → f 1: texture and normal indices
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            values = np.fromstring(blob, sep=" ")
        except (DeprecationWarning, ValueError):
            return None
    if values.size != per_line * len(lines):
        return None
    return values.reshape(-1, per_line)


def _fast_obj(data: bytes) -> np.ndarray | None:
    """Vectorised path for the common file: 3-number vertices, triangles, positive indices."""
    lines = data.split(b"\n")
    vertex_lines = [line[2:] for line in lines if line[:2] == b"v "]
    face_lines = [line[2:] for line in lines if line[:2] == b"f "]
    del lines
    if not face_lines:
        return None
    points = _numbers(vertex_lines, 3)
    if points is None:
        return None
    index = _numbers(face_lines, 3)
    if index is None or index.min() < 1 or index.max() > len(points):
        return None
    if not np.array_equal(index, np.round(index)):
        return None
    return points[index.astype(np.int64) - 1]


def read_obj(path: str | os.PathLike) -> np.ndarray:
    """The triangle soup (n, 3, 3) float64 of an OBJ file."""
    with open(path, "rb") as stream:
        data = stream.read()
    soup = _fast_obj(data)
    if soup is not None:
        if len(soup) > MAX_FACETS:
            raise GeometryError("too_many_facets", count=len(soup), limit=MAX_FACETS)
        return soup
    return _slow_obj(data)


def _slow_obj(data: bytes) -> np.ndarray:
    vertices: list[tuple[float, float, float]] = []
    triangles: list[tuple[int, int, int]] = []
    for line_no, raw in enumerate(data.split(b"\n"), start=1):
        parts = raw.split()
        if not parts:
            continue
        kind = parts[0]
        if kind == b"v":
            if len(parts) < 4:
                raise _bad(line_no, "a vertex needs three coordinates")
            try:
                vertices.append((float(parts[1]), float(parts[2]), float(parts[3])))
            except ValueError as exc:
                raise _bad(line_no, "a vertex coordinate is not a number") from exc
        elif kind == b"f":
            if len(parts) < 4:
                raise _bad(line_no, "a face needs at least three corners")
            try:
                ids = [int(p.split(b"/")[0]) for p in parts[1:]]
            except ValueError as exc:
                raise _bad(line_no, "a face index is not a number") from exc
            count = len(vertices)
            ids = [i - 1 if i > 0 else count + i for i in ids]
            if any(i < 0 or i >= count for i in ids):
                raise _bad(line_no, "a face refers to a vertex that does not exist")
            for k in range(1, len(ids) - 1):
                triangles.append((ids[0], ids[k], ids[k + 1]))
            if len(triangles) > MAX_FACETS:
                raise GeometryError("too_many_facets", count=len(triangles), limit=MAX_FACETS)
    if not triangles:
        raise GeometryError("empty_model", "the OBJ file has no faces")
    points = np.asarray(vertices, dtype=np.float64)
    return points[np.asarray(triangles, dtype=np.int64)]
