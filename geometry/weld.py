"""Weld a triangle soup into an indexed mesh, then close the gaps exporters leave.

Exact weld: compiled (`geometry.native`) where it was built, else in numpy. The numpy weld
hashes each corner's coordinate bits to 64 bits; the corner's index goes in the low bits and
the hash in the high bits of one integer, so a plain value sort (numpy runs it with SIMD; a
large array in two halves on two threads) groups equal corners and carries the permutation
along. Every corner is then compared bit for bit with the point its group stands for (a
cache-friendly gather), and a group that mixes different points (a hash collision) is split
by an exact sort: two different points are never merged. ``-0.0`` is taken as ``0.0``, so
both zeros weld.

Gap closing (only when the exact weld leaves open edges): CAD exporters write the same point
twice with different noise in the last bits (``1e-33`` for zero, a last-bit difference after a
transform). The points of open edges that lie within `tolerance` of each other become one —
never two corners of one facet, never a cluster wider than twice the tolerance, never a point
of the closed part of the surface — and the result is kept only if it closes open edges.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geometry import native
from geometry.limits import WELD_MAX_OPEN_POINTS, WELD_TOLERANCE_REL, WELD_TOLERANCE_ULPS
from geometry.threads import Background

_K1 = np.uint64(0x9E3779B97F4A7C15)
_K2 = np.uint64(0xC2B2AE3D27D4EB4F)
_K3 = np.uint64(0x165667B19E3779F9)


def _mix(column: np.ndarray, multiplier: np.uint64) -> np.ndarray:
    mixed = column >> np.uint64(31)
    mixed ^= column
    mixed *= multiplier
    return mixed


def weld(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge exactly equal points. Returns (unique (V, 3), inverse (N,) int32).

    `points` is (N, 3) float32 or float64; the numpy path normalises it in place (-0.0
    becomes 0.0).
    """
    if native.enabled():
        return native.weld(points)
    n = len(points)
    points += points.dtype.type(0.0)  # -0.0 + 0.0 == +0.0, so both zeros get the same bits
    index_bits = max(1, int(n - 1).bit_length())
    mask = np.uint64((1 << index_bits) - 1)
    if points.dtype == np.float32:
        points = np.ascontiguousarray(points)
        bits = points.view(np.uint32)
        # x and y read as one (unaligned) 64-bit integer: an exact packing of the pair ...
        key = np.ndarray((n,), dtype=np.uint64, buffer=points, strides=(12,)).copy()
        # xor-shift then an odd multiplier: a bijection that spreads every bit (signs too)
        # to the high bits, so mirrored points (-x, y) do not cancel out
        key ^= key >> np.uint64(29)
        key *= _K1
        spread = bits[:, 2].astype(np.uint64)
        spread *= _K2
    else:
        points = np.ascontiguousarray(points, dtype=np.float64)
        bits = points.view(np.uint64)
        key = _mix(bits[:, 0], _K1)
        key ^= _mix(bits[:, 1], _K2)
        spread = _mix(bits[:, 2], _K3)
    key ^= spread
    del spread
    key &= ~mask
    key |= np.arange(n, dtype=np.uint64)
    _sort(key)
    order = (key & mask).astype(np.int32)
    key >>= np.uint64(index_bits)
    start = np.empty(n, dtype=bool)  # a new hash begins here
    start[0] = True
    np.not_equal(key[1:], key[:-1], out=start[1:])
    del key
    inverse, unique = _groups(points, order, start)
    wrong = _mismatches(bits, unique.view(bits.dtype), inverse)
    if len(wrong):
        # a hash collision: different points with the same hash bits (rare). Split those
        # groups by their exact coordinates; the extra points get new numbers at the end.
        unique = _split_groups(points, bits, order, start, inverse, unique, wrong)
    return unique, inverse


def _sort(key: np.ndarray) -> None:
    """Sort in place; a large array in two halves split at its median, the upper half on
    another thread (an in-place partition: no second copy of the keys)."""
    n = len(key)
    if n < (1 << 20) or not Background.enabled:
        key.sort()
        return
    key.partition(n // 2)
    upper = Background(key[n // 2 :].sort)
    key[: n // 2].sort()
    upper.result()


def _groups(points, order, start):
    group = np.cumsum(start, dtype=np.int32)
    group -= 1
    inverse = np.empty(len(order), dtype=np.int32)
    inverse[order] = group
    del group
    return inverse, np.take(points, order[start], axis=0)


def _mismatches(bits: np.ndarray, unique_bits: np.ndarray, inverse: np.ndarray) -> np.ndarray:
    """Points that differ from the unique point they were mapped to (a cache-friendly gather).

    Large inputs are checked in two halves, the second on another thread.
    """
    half = len(inverse) // 2 if len(inverse) > (1 << 20) else len(inverse)
    other = Background(_mismatch_range, bits, unique_bits, inverse, half, len(inverse))
    wrong = _mismatch_range(bits, unique_bits, inverse, 0, half) + other.result()
    return np.concatenate(wrong) if wrong else np.empty(0, dtype=np.int64)


def _mismatch_range(bits, unique_bits, inverse, begin: int, end: int) -> list[np.ndarray]:
    step = 1 << 18
    wrong = []
    for s in range(begin, end, step):
        e = min(s + step, end)
        got = np.take(unique_bits, inverse[s:e], axis=0)
        if not np.array_equal(got, bits[s:e]):
            wrong.append(np.flatnonzero(np.any(got != bits[s:e], axis=1)) + s)
    return wrong


def _split_groups(points, bits, order, start, inverse, unique, wrong):
    first = np.flatnonzero(start)
    bounds = np.append(first, len(order))
    extra = []
    next_id = len(unique)
    for g in sorted(set(inverse[wrong].tolist())):
        members = order[bounds[g] : bounds[g + 1]]
        rows = bits[members]
        perm = np.lexsort(rows.T[::-1])
        members, rows = members[perm], rows[perm]
        new = np.flatnonzero(np.any(rows[1:] != rows[:-1], axis=1)) + 1
        for lo, hi in zip(new, np.append(new[1:], len(members)), strict=True):
            inverse[members[lo:hi]] = next_id
            extra.append(points[members[lo]])
            next_id += 1
        unique[g] = points[members[0]]
        inverse[members[: new[0] if len(new) else len(members)]] = g
    return np.concatenate((unique, np.asarray(extra, dtype=unique.dtype).reshape(-1, 3)))


# --------------------------------------------------------------------------- gap closing


def weld_tolerance(lo: np.ndarray, hi: np.ndarray) -> float:
    """How close two open-edge points must be to count as one, for a part in the box [lo, hi]."""
    extent = float(np.max(np.asarray(hi, dtype=np.float64) - np.asarray(lo, dtype=np.float64)))
    magnitude = float(max(np.max(np.abs(lo)), np.max(np.abs(hi))))
    ulp = float(np.spacing(np.float32(magnitude)))
    return max(WELD_TOLERANCE_REL * extent, WELD_TOLERANCE_ULPS * ulp)


@dataclass(frozen=True)
class Gaps:
    """What gap closing did: the faces after it, and what to tell the customer."""

    faces: np.ndarray
    points: int  # points that were joined to another
    distance_mm: float  # the farthest any of them moved
    tolerance_mm: float


def close_gaps(
    vertices: np.ndarray, faces: np.ndarray, candidates: np.ndarray, tolerance: float
) -> Gaps | None:
    """Join the `candidates` (vertex ids: the ends of open edges) that lie within `tolerance`.

    Returns None when nothing could be joined. The caller keeps the result only if it closes
    open edges. Vertices are not renumbered: joined points map to the lowest id of their
    cluster, the others stay unused.
    """
    if len(candidates) < 2 or len(candidates) > WELD_MAX_OPEN_POINTS or not tolerance > 0:
        return None
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    points = np.asarray(vertices[candidates], dtype=np.float64)
    pairs = cKDTree(points).query_pairs(tolerance, output_type="ndarray")
    if len(pairs) == 0:
        return None
    m = len(candidates)
    graph = coo_matrix((np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(m, m))
    _, cluster = connected_components(graph, directed=False)
    # a chain of close points can reach far: keep clusters no wider than twice the tolerance
    lo = np.full((m, 3), np.inf)
    hi = np.full((m, 3), -np.inf)
    np.minimum.at(lo, cluster, points)
    np.maximum.at(hi, cluster, points)
    wide = np.linalg.norm(hi - lo, axis=1) > 2 * tolerance
    remap = np.arange(len(vertices), dtype=faces.dtype)
    for _ in range(2):
        size = np.bincount(cluster, minlength=m)
        keep = (size > 1) & ~wide
        if not keep.any():
            return None
        members = np.flatnonzero(keep[cluster])
        rep = np.full(m, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(rep, cluster[members], candidates[members])
        remap = np.arange(len(vertices), dtype=faces.dtype)
        remap[candidates[members]] = rep[cluster[members]]
        new_faces = np.take(remap, faces)
        a, b, c = new_faces[:, 0], new_faces[:, 1], new_faces[:, 2]
        collapsed = (a == b) | (b == c) | (a == c)
        if not collapsed.any():
            break
        # never two corners of one facet: drop the clusters that would collapse a facet
        ids = np.zeros(len(vertices), dtype=np.int64) - 1
        ids[candidates] = cluster
        bad = np.unique(ids[faces[collapsed].reshape(-1)])
        wide[bad[bad >= 0]] = True
    else:
        return None
    moved = np.flatnonzero(remap != np.arange(len(vertices)))
    offsets = vertices[moved].astype(np.float64) - vertices[remap[moved]].astype(np.float64)
    distance = float(np.max(np.linalg.norm(offsets, axis=1)))
    return Gaps(new_faces, len(moved), distance, tolerance)
