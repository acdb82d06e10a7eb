"""Wavefront OBJ reader: ``v`` and ``f`` statements, polygons fanned into triangles.

OBJ has no units; millimetres are assumed. Negative (relative) indices are supported; texture
and normal indices (``f 1/2/3``) are ignored.
"""

from __future__ import annotations

import os

import numpy as np

from geometry.formats import MAX_FACETS
from geometry.model import GeometryError


def _bad(line_no: int, detail: str) -> GeometryError:
    return GeometryError("invalid_obj", f"Not a valid OBJ file: line {line_no}: {detail}.")


def read_obj(path: str | os.PathLike) -> np.ndarray:
    """The triangle soup (n, 3, 3) float64 of an OBJ file."""
    vertices: list[tuple[float, float, float]] = []
    triangles: list[tuple[int, int, int]] = []
    with open(path, "rb") as stream:
        for line_no, raw in enumerate(stream, start=1):
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
                    raise GeometryError(
                        "too_large", f"The OBJ has more than {MAX_FACETS:,} triangles."
                    )
    if not triangles:
        raise GeometryError("empty_model", "The OBJ file contains no faces.")
    points = np.asarray(vertices, dtype=np.float64)
    return points[np.asarray(triangles, dtype=np.int64)]
