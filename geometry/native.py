"""The compiled mesh passes (`geometry/_native.c`): facet figures, weld, edges, components.

Built with the package when a C compiler is at hand (`pip install` builds it; without a
compiler the install goes on without it). Where it is missing, or ``GEOMETRY_NATIVE=0``, the
numpy versions in `weld` and `topology` do the same work, three to four times slower on a
large mesh. Both give the same results, up to the order of vertices and of face pairs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

try:
    from geometry import _native
except ImportError:  # built without a compiler
    _native = None

AVAILABLE = _native is not None


def enabled() -> bool:
    return AVAILABLE and os.environ.get("GEOMETRY_NATIVE", "1") != "0"


def soup(triangles: np.ndarray, centre: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """Signed volume, per-facet areas (float64), largest extents (float32) and signed volumes
    ×6 about `centre` (float32) of an (n, 3, 3) float32 or float64 soup."""
    n = len(triangles)
    areas = np.empty(n, dtype=np.float64)
    sizes = np.empty(n, dtype=np.float32)
    volumes = np.empty(n, dtype=np.float32)
    volume6 = soup_into(triangles, centre, areas, sizes, volumes)
    return volume6 / 6.0, areas, sizes, volumes


def soup_into(
    triangles: np.ndarray, centre: np.ndarray, areas: np.ndarray, sizes: np.ndarray, volumes: np.ndarray,
    total: float = 0.0,
) -> float:
    """`soup` writing into the given arrays (float64, float32, float32, one row per facet):
    returns `total` plus six times the signed volume, summed facet by facet in that order."""
    triangles = np.ascontiguousarray(triangles)
    centre = np.ascontiguousarray(centre, dtype=np.float64)
    return _native.soup(triangles, triangles.dtype == np.float64, centre, areas, sizes, volumes, float(total))


def weld(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge exactly equal points of an (N, 3) float32 or float64 array (-0.0 is 0.0).

    Returns (unique (V, 3) in the order the points first appear, inverse (N,) int32).
    """
    points = np.ascontiguousarray(points)
    inverse = np.empty(len(points), dtype=np.int32)
    count, unique = _native.weld(points, points.dtype == np.float64, inverse)
    return np.frombuffer(unique, dtype=points.dtype).reshape(count, 3), inverse


class Welder:
    """`weld` over points handed in slices, in order: ``feed(points, inverse)`` writes each
    slice's vertex numbers, ``close()`` returns the distinct points. Sized for `n` points in
    all; the same result as one `weld` of all of them."""

    def __init__(self, n: int, dtype: np.dtype) -> None:
        self.dtype = np.dtype(dtype)
        self._table = _native.weld_open(int(n), self.dtype == np.float64)

    def feed(self, points: np.ndarray, inverse: np.ndarray) -> int:
        return _native.weld_feed(self._table, np.ascontiguousarray(points, dtype=self.dtype), inverse)

    def close(self) -> np.ndarray:
        count, unique = _native.weld_close(self._table)
        self._table = None
        return np.frombuffer(unique, dtype=self.dtype).reshape(count, 3)


@dataclass(frozen=True)
class EdgeFigures:
    open: int
    nonmanifold: int
    misoriented: int
    pair_a: np.ndarray | None  # int32; None when the faces were joined instead
    pair_b: np.ndarray | None
    open_faces: np.ndarray
    open_ends: np.ndarray  # (open, 2): both ends of every open edge
    components: int | None = None  # joined: how many components the pairs make
    labels: np.ndarray | None = None  # joined: each face's component (its smallest face)


def edges(faces: np.ndarray, n_vertices: int, joined: bool = False) -> EdgeFigures:
    """Classify the edges of (n, 3) faces whose corners are distinct vertex numbers.

    `joined`: instead of the pairs of faces, their components (as `components` would give
    them from the pairs), found as the pairs are, so that the pairs are never stored.
    """
    faces = np.ascontiguousarray(faces, dtype=np.int32)
    if joined:
        opened, nonmanifold, misoriented, count, labels, open_faces, open_ends = _native.edges(
            faces, int(n_vertices), True
        )
        return EdgeFigures(
            opened,
            nonmanifold,
            misoriented,
            None,
            None,
            np.frombuffer(open_faces, dtype=np.int32),
            np.frombuffer(open_ends, dtype=np.int32).reshape(-1, 2),
            count,
            np.frombuffer(labels, dtype=np.int32),
        )
    opened, nonmanifold, misoriented, pair_a, pair_b, open_faces, open_ends = _native.edges(faces, int(n_vertices))
    return EdgeFigures(
        opened,
        nonmanifold,
        misoriented,
        np.frombuffer(pair_a, dtype=np.int32),
        np.frombuffer(pair_b, dtype=np.int32),
        np.frombuffer(open_faces, dtype=np.int32),
        np.frombuffer(open_ends, dtype=np.int32).reshape(-1, 2),
    )


def components(n_nodes: int, a: np.ndarray, b: np.ndarray) -> tuple[int, np.ndarray]:
    """(count, label per node): each label the smallest node of its component."""
    a = np.ascontiguousarray(a, dtype=np.int32)
    b = np.ascontiguousarray(b, dtype=np.int32)
    if len(a) != len(b):
        raise ValueError("components: a and b differ in length")
    count, labels = _native.components(int(n_nodes), a, b)
    return count, np.frombuffer(labels, dtype=np.int32)
