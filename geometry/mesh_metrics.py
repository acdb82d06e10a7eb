"""Measure a triangle soup: weld, volume, area, boxes, bodies, open and non-manifold edges.

Everything is vectorised numpy (no numba, scipy or trimesh: importing those costs more than
measuring a million facets). The two expensive steps are sorts of packed 64-bit integers,
which numpy runs with SIMD:

- weld: each corner's exact coordinate bits are hashed to 64 bits; the corner's index goes in
  the low bits and the hash in the high bits of one integer, so a plain value sort groups equal
  corners and carries the permutation along. Every corner is then compared bit for bit with
  the point its group stands for (a gather from the small unique table, cache-friendly), and
  a group that mixes different points (a hash collision) is split by an exact sort: two
  different points are never merged.
- edges: each directed edge becomes ``(min·V + max)·2 + (a > b)``; after one sort a closed,
  consistently oriented 2-manifold is exactly the array ``[2k, 2k+1, ...]`` pairs.
- bodies: connected components by repeated hooking of every root to its smallest neighbouring
  root (`np.minimum.at`) and pointer jumping; with the weld's pseudo-random vertex numbers the
  graph shrinks several-fold per round.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from geometry.model import GeometryError

COORD_LIMIT_MM = 1e6
_THREADS = os.environ.get("GEOMETRY_THREADS", "1") != "0"
_CHUNK = 1 << 16
_K1 = np.uint64(0x9E3779B97F4A7C15)
_K2 = np.uint64(0xC2B2AE3D27D4EB4F)
_K3 = np.uint64(0x165667B19E3779F9)


@dataclass
class MeshMetrics:
    triangles: int  # facets in the file
    degenerate: int  # facets with two equal corners (dropped from the topology)
    vertices: np.ndarray  # (V, 3) unique points, file precision
    faces: np.ndarray  # (n, 3) int32 indices into vertices, degenerate facets removed
    volume_mm3: float  # absolute value
    signed_volume_mm3: float
    area_mm2: float
    bbox_min: np.ndarray
    bbox_max: np.ndarray
    obb_mm: tuple[float, float, float]
    bodies: int  # shells that enclose material
    shells: int  # connected components
    voids: int  # shells that enclose a cavity inside a body (negative volume)
    open_edges: int
    nonmanifold_edges: int
    misoriented_edges: int
    face_areas: np.ndarray  # (n,) per kept face
    face_size: np.ndarray  # (n,) per kept face: largest axis-aligned extent
    side_result: Any = None  # what measure's side_task returned

    @property
    def watertight(self) -> bool:
        return self.open_edges == 0 and self.nonmanifold_edges == 0

    @property
    def bbox_mm(self) -> tuple[float, float, float]:
        size = self.bbox_max - self.bbox_min
        return (float(size[0]), float(size[1]), float(size[2]))

    @property
    def inverted(self) -> bool:
        return self.signed_volume_mm3 < 0


def _mix(column: np.ndarray, multiplier: np.uint64) -> np.ndarray:
    mixed = column >> np.uint64(31)
    mixed ^= column
    mixed *= multiplier
    return mixed


def weld(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge exactly equal points. Returns (unique (V, 3), inverse (N,) int32).

    `points` is (N, 3) float32 or float64 and is normalised in place (-0.0 becomes 0.0).
    """
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
    key.sort()
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


def check_coordinates(lo: np.ndarray, hi: np.ndarray) -> None:
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
        raise GeometryError(
            "bad_coordinates",
            "The model has coordinates that are not numbers (NaN or infinity): "
            "repair or export it again.",
        )
    if np.any(lo < -COORD_LIMIT_MM) or np.any(hi > COORD_LIMIT_MM):
        raise GeometryError(
            "bad_coordinates",
            f"The model has coordinates beyond ±{COORD_LIMIT_MM:,.0f} mm (1 km): check the "
            "units or the export settings.",
        )


def soup_geometry(triangles: np.ndarray, centre: np.ndarray):
    """Signed volume, per-facet areas and largest extents of an (n, 3, 3) soup, chunk by chunk.

    Products are formed in the file's precision (float32 for binary STL: each term is then
    exact to ~1e-7) about `centre`, and summed in float64.
    """
    n = len(triangles)
    areas = np.empty(n, dtype=np.float64)
    sizes = np.empty(n, dtype=np.float32)
    centre = centre.astype(triangles.dtype)
    volumes = np.empty(n, dtype=np.float32)  # six times each facet's signed tetrahedron
    with np.errstate(all="ignore"):  # NaN / inf are refused by the caller, not warned about
        return _soup_geometry(triangles, centre, areas, sizes, volumes)


def _soup_geometry(triangles, centre, areas, sizes, volumes):
    n = len(triangles)
    volume6 = 0.0
    flat = triangles.reshape(n, 9)
    for s in range(0, n, _CHUNK):
        # one transposed copy per chunk: every operation below runs on contiguous rows
        x0, y0, z0, x1, y1, z1, x2, y2, z2 = flat[s : s + _CHUNK].T.copy()
        sx = np.maximum(np.maximum(x0, x1), x2) - np.minimum(np.minimum(x0, x1), x2)
        sy = np.maximum(np.maximum(y0, y1), y2) - np.minimum(np.minimum(y0, y1), y2)
        sz = np.maximum(np.maximum(z0, z1), z2) - np.minimum(np.minimum(z0, z1), z2)
        np.maximum(sx, sy, out=sx)
        np.maximum(sx, sz, out=sx)
        sizes[s : s + _CHUNK] = sx
        x1 -= x0
        y1 -= y0
        z1 -= z0
        x2 -= x0
        y2 -= y0
        z2 -= z0
        x0 -= centre[0]
        y0 -= centre[1]
        z0 -= centre[2]
        cx = y1 * z2
        cx -= z1 * y2
        cy = z1 * x2
        cy -= x1 * z2
        cz = x1 * y2
        cz -= y1 * x2
        term = x0 * cx
        term += y0 * cy
        term += z0 * cz
        volume6 += float(term.sum(dtype=np.float64))
        volumes[s : s + _CHUNK] = term
        cx *= cx
        cy *= cy
        cz *= cz
        cx += cy
        cx += cz
        areas[s : s + _CHUNK] = cx
    np.sqrt(areas, out=areas)
    areas *= 0.5
    return volume6 / 6.0, areas, sizes, volumes


def face_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Unit normals (float64) of the given faces; zero for zero-area faces."""
    a = np.take(vertices, faces[:, 0], axis=0).astype(np.float64)
    cross = np.cross(
        np.take(vertices, faces[:, 1], axis=0) - a, np.take(vertices, faces[:, 2], axis=0) - a
    )
    length = np.sqrt(np.einsum("ij,ij->i", cross, cross))
    np.divide(cross, length[:, None], out=cross, where=length[:, None] > 0)
    return cross


def edge_counts(faces: np.ndarray, n_vertices: int) -> tuple[int, int, int]:
    """(open, non-manifold, misoriented) undirected edge counts."""
    n = len(faces)
    key = np.empty(3 * n, dtype=np.int64)
    for k in range(3):  # edge k of every face: (min·V + max)·2 + (a > b)
        a, b = faces[:, k], faces[:, (k + 1) % 3]
        part = key[k * n : (k + 1) * n]
        np.minimum(a, b, out=part, casting="unsafe")
        part *= n_vertices
        part += np.maximum(a, b)
        part <<= 1
        part += a > b
    key.sort()
    if len(key) % 2 == 0 and _paired(key):
        return 0, 0, 0
    undirected = key >> 1
    start = np.empty(len(key), dtype=bool)
    start[0] = True
    np.not_equal(undirected[1:], undirected[:-1], out=start[1:])
    first = np.nonzero(start)[0]
    counts = np.diff(np.append(first, len(key)))
    forward = np.add.reduceat(((key & 1) == 0).astype(np.int64), first)
    open_edges = int(np.count_nonzero(counts == 1))
    nonmanifold = int(np.count_nonzero(counts > 2))
    misoriented = int(np.count_nonzero((counts == 2) & (forward != 1)))
    return open_edges, nonmanifold, misoriented


def _paired(key: np.ndarray) -> bool:
    """Every edge exactly twice, once each way: the sorted keys are pairs (2k, 2k + 1)."""
    step = 1 << 20
    for s in range(0, len(key), step):
        chunk = key[s : s + step]
        first, second = chunk[0::2], chunk[1::2]
        if np.any(first & 1) or not np.array_equal(second, first + 1):
            return False
    return True


def _jump(labels: np.ndarray) -> np.ndarray:
    while True:  # pointer jumping until every vertex points at its root
        jumped = np.take(labels, labels)
        if np.array_equal(jumped, labels):
            return labels
        labels = jumped


def _hook_round(labels, r0, r1, r2):
    """Hook every root to the smallest root among its faces, jump to roots, drop the faces
    that now lie inside one component."""
    low = np.minimum(r0, r1)
    np.minimum(low, r2, out=low)
    np.minimum.at(labels, r0, low)
    np.minimum.at(labels, r1, low)
    np.minimum.at(labels, r2, low)
    labels = _jump(labels)
    r0 = np.take(labels, r0)
    r1 = np.take(labels, r1)
    r2 = np.take(labels, r2)
    keep = r0 != r1
    keep |= r1 != r2
    index = np.flatnonzero(keep)
    return labels, r0[index], r1[index], r2[index]


def body_labels(
    faces: np.ndarray, n_vertices: int, all_used: bool = False
) -> tuple[int, np.ndarray]:
    """Connected components over shared vertices. Returns (count, root label per vertex).

    Rounds of `_hook_round`; after the first, the surviving roots are renumbered 0..R-1 so
    the later rounds jump pointers over R entries, not over every vertex. `all_used`: every
    vertex is a corner of some face (no need to look for isolated ones).
    """
    identity = np.arange(n_vertices, dtype=np.int32)
    columns = np.ascontiguousarray(faces.T)
    labels, r0, r1, r2 = _hook_round(identity.copy(), columns[0], columns[1], columns[2])
    del columns
    is_root = labels == identity
    if len(r0):
        roots = np.flatnonzero(is_root).astype(np.int32)  # ascending: order is kept
        compact = np.zeros(n_vertices, dtype=np.int32)
        compact[roots] = np.arange(len(roots), dtype=np.int32)
        r0, r1, r2 = np.take(compact, r0), np.take(compact, r1), np.take(compact, r2)
        sub = np.arange(len(roots), dtype=np.int32)
        while len(r0):
            sub, r0, r1, r2 = _hook_round(sub, r0, r1, r2)
        labels = np.take(roots, np.take(sub, np.take(compact, labels)))
        is_root = labels == identity
    if not all_used:
        used = np.zeros(n_vertices, dtype=bool)
        used[faces.reshape(-1)] = True
        is_root &= used
    return int(np.count_nonzero(is_root)), labels


def _frame(up: np.ndarray) -> np.ndarray:
    up = up / np.linalg.norm(up)
    helper = np.array([1.0, 0.0, 0.0]) if abs(up[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    x = np.cross(up, helper)
    x /= np.linalg.norm(x)
    y = np.cross(up, x)
    return np.stack((x, y, up))


def _best_in_plane(points: np.ndarray, frame: np.ndarray) -> tuple[float, np.ndarray]:
    """Rotate the frame about its third axis to the smallest box of `points`."""
    local = points @ frame.T
    height = np.ptp(local[:, 2])
    best = (np.inf, frame)
    lo_angle, hi_angle, steps = 0.0, np.pi / 2, 19
    for _ in range(4):
        angles = np.linspace(lo_angle, hi_angle, steps)
        c, s = np.cos(angles), np.sin(angles)
        u = local[:, :1] * c + local[:, 1:2] * s
        v = -local[:, :1] * s + local[:, 1:2] * c
        areas = np.ptp(u, axis=0) * np.ptp(v, axis=0)
        k = int(np.argmin(areas))
        if areas[k] * height < best[0]:
            rot = np.array([[c[k], s[k], 0.0], [-s[k], c[k], 0.0], [0.0, 0.0, 1.0]])
            best = (float(areas[k] * height), rot @ frame)
        step = (hi_angle - lo_angle) / (steps - 1)
        lo_angle, hi_angle = angles[k] - step, angles[k] + step
    return best


def oriented_box(points: np.ndarray, up_hints: np.ndarray) -> tuple[float, float, float]:
    """Extents (largest first) of a small oriented box around `points`.

    The orientation is searched on a sample of the points (every k-th point plus the extremes
    along the axes): candidate "up" axes are the coordinate axes, the principal axes and
    `up_hints` (normals of the largest facets: flat faces of machined parts); for each the
    in-plane angle is minimised. The extents are then measured on every point, so the box
    always encloses the model, and it is never larger than the axis-aligned box.
    """
    cols = np.ascontiguousarray(points.T, dtype=np.float64)  # (3, V): fast reductions
    cols -= cols.mean(axis=1)[:, None]
    if cols.shape[1] > 1000:
        extreme = np.concatenate((cols.argmax(axis=1), cols.argmin(axis=1)))
        step = cols.shape[1] // 600
        sample = np.concatenate((cols[:, ::step], cols[:, extreme]), axis=1).T
    else:
        sample = cols.T
    ups = [np.eye(3)[i] for i in range(3)]
    if len(sample) > 3:
        _, vecs = np.linalg.eigh(np.cov(sample.T))
        ups += [vecs[:, i] for i in range(3)]
    chosen: list[np.ndarray] = []
    for normal in np.asarray(up_hints, dtype=np.float64).reshape(-1, 3):
        if np.linalg.norm(normal) < 0.5:
            continue
        if all(abs(float(normal @ c)) < 0.9999 for c in chosen):
            chosen.append(normal)
        if len(chosen) >= 12:
            break
    ups += chosen
    best_volume, best_frame = np.inf, np.eye(3)
    for up in ups:
        volume, frame = _best_in_plane(sample, _frame(up))
        if volume < best_volume:
            best_volume, best_frame = volume, frame
    aabb = np.ptp(cols, axis=1)
    extents = np.ptp(best_frame @ cols, axis=1)
    if np.prod(extents) >= np.prod(aabb):
        extents = aabb
    result = sorted((float(e) for e in extents), reverse=True)
    return (result[0], result[1], result[2])


_MALLOC_TUNED = False


def _return_big_blocks_to_the_os() -> None:
    """Fix glibc's mmap threshold at 32 MB (glibc only).

    By default glibc raises that threshold as big blocks are freed and then keeps them in
    per-thread arenas, where the other threads cannot reuse them: with the measuring threads
    that held ~30 MB more at the peak for a 65 MB STL. Lower thresholds cost page faults.
    """
    global _MALLOC_TUNED
    if _MALLOC_TUNED:
        return
    _MALLOC_TUNED = True
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        pass


class Background:
    """Run a numpy-heavy function on the second core (numpy releases the GIL)."""

    def __init__(self, fn, *args, **kwargs) -> None:
        self._fn, self._args, self._kwargs = fn, args, kwargs
        self._result = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        if _THREADS:
            self._thread.start()
        else:
            self._run()

    def _run(self) -> None:
        try:
            self._result = self._fn(*self._args, **self._kwargs)
        except BaseException as exc:  # re-raised in the caller's thread
            self._error = exc
        finally:
            self._args, self._kwargs = (), {}

    def wait(self) -> None:
        if _THREADS:
            self._thread.join()

    def result(self):
        if _THREADS:
            self._thread.join()
        if self._error is not None:
            raise self._error
        return self._result


def _after(first: Background, task: Callable[..., Any], **kwargs) -> Any:
    first.wait()
    return task(**kwargs)


def measure(
    triangles: np.ndarray | list[np.ndarray], side_task: Callable[..., Any] | None = None
) -> MeshMetrics:
    """Measure an (n, 3, 3) triangle soup (float32 or float64, millimetres).

    Pass ``[soup]`` to hand the soup over: it is then released as soon as it is welded.
    The soup's zeros are normalised in place (-0.0 becomes 0.0).
    `side_task(vertices=, faces=, face_areas=, face_size=, bbox_min=, bbox_max=, outward=)`
    (the thin-wall check) runs alongside the topology checks; its result is `side_result`.
    """
    held = triangles if isinstance(triangles, list) else [triangles]
    del triangles  # only `held` refers to the soup now: _measure releases it after the weld
    _return_big_blocks_to_the_os()
    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)  # hand the GIL over quickly between the measuring threads
    try:
        return _measure(held, side_task)
    finally:
        sys.setswitchinterval(interval)


def _measure(held: list[np.ndarray], side_task: Callable[..., Any] | None) -> MeshMetrics:
    triangles = held.pop()
    if not (triangles.flags.writeable and triangles.flags.c_contiguous):
        triangles = triangles.copy()
    if triangles.dtype not in (np.float32, np.float64):
        triangles = triangles.astype(np.float64)
    n = len(triangles)
    if n == 0:
        raise GeometryError("empty_model", "The file contains no triangles.")
    triangles = np.ascontiguousarray(triangles)
    sample = triangles[:: max(1, n // 1024)].reshape(-1, 3).astype(np.float64)
    centre = np.nan_to_num(sample.mean(axis=0), nan=0.0, posinf=0.0, neginf=0.0)
    geometry = Background(soup_geometry, triangles, centre)
    vertices, inverse = weld(triangles.reshape(-1, 3))
    del triangles, sample
    cols = np.ascontiguousarray(vertices.T)
    lo = cols.min(axis=1).astype(np.float64)
    hi = cols.max(axis=1).astype(np.float64)
    del cols
    check_coordinates(lo, hi)
    faces = inverse.reshape(n, 3)
    distinct = faces[:, 0] != faces[:, 1]
    distinct &= faces[:, 1] != faces[:, 2]
    distinct &= faces[:, 0] != faces[:, 2]
    kept = int(np.count_nonzero(distinct))
    if kept == 0:
        geometry.result()
        raise GeometryError(
            "degenerate_model",
            "Every triangle in the file is degenerate (its corners coincide): "
            "there is no surface to measure.",
        )
    if kept < n:
        faces = faces[distinct]
    edges = Background(edge_counts, faces, len(vertices))
    signed_volume, areas, sizes, volumes = geometry.result()
    if kept < n:
        areas = areas[distinct]
        sizes = sizes[distinct]
        volumes = volumes[distinct]
    area = float(areas.sum())
    if not area > 0.0:
        edges.result()
        raise GeometryError(
            "degenerate_model",
            "Every triangle in the file has zero area: there is no surface to measure.",
        )
    side = None
    if side_task is not None:
        # after the edge check, on the same thread: two busy threads share two CPUs best
        side = Background(
            _after,
            edges,
            side_task,
            vertices=vertices,
            faces=faces,
            face_areas=areas,
            face_size=sizes,
            bbox_min=lo,
            bbox_max=hi,
            outward=-1.0 if signed_volume < 0 else 1.0,
        )
    shells, labels = body_labels(faces, len(vertices), all_used=kept == n)
    voids = 0
    if shells > 1:  # a shell that encloses negative volume is a cavity inside a body
        per_shell = np.bincount(np.take(labels, faces[:, 0]), weights=volumes)
        per_shell = per_shell[per_shell != 0]
        voids = int(np.count_nonzero(per_shell * np.sign(signed_volume) < 0))
    del labels, volumes
    bodies = max(1, shells - voids)
    top = np.argpartition(areas, len(areas) - 64)[-64:] if len(areas) > 64 else np.arange(kept)
    top = top[np.argsort(areas[top])[::-1]]
    obb = oriented_box(vertices, face_normals(vertices, faces[top]))
    open_edges, nonmanifold, misoriented = edges.result()
    return MeshMetrics(
        triangles=n,
        degenerate=n - kept,
        vertices=vertices,
        faces=faces,
        volume_mm3=abs(signed_volume),
        signed_volume_mm3=signed_volume,
        area_mm2=area,
        bbox_min=lo,
        bbox_max=hi,
        obb_mm=obb,
        bodies=bodies,
        shells=shells,
        voids=voids,
        open_edges=open_edges,
        nonmanifold_edges=nonmanifold,
        misoriented_edges=misoriented,
        face_areas=areas,
        face_size=sizes,
        side_result=side.result() if side is not None else None,
    )
