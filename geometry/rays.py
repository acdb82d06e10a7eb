"""The quick thin-wall check: rays from a sample of facets, inwards, to the other side.

Rays start at the centres of 1,024 facets sampled by area (deterministically: the same mesh
gives the same rays and the same figure in every process) and go inwards along the facet
normal; the first facet of the ray's own shell that it meets is the other side of the wall
(another body touching this one is not a wall). Only walls
thinner than the largest process minimum matter, so a ray is at most that long. Small facets
are found through a grid of cells at least half that long (the cells around each short
segment); facets larger than a cell (CAD slivers, big flat faces) through a two-level box
hierarchy in Morton order. The work is bounded: beyond a few million candidate pairs the check
gives up (``complete=False``) rather than run long.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from geometry.limits import THIN_WALL_BOX_PAIRS, THIN_WALL_MAX_PAIRS, THIN_WALL_RAYS
from geometry.model import ProcessLimits

_BLOCK = 1 << 14  # vertices, or (ray, facet) pairs, worked on at a time


@dataclass(frozen=True)
class Wall:
    thickness_mm: float
    at_mm: tuple[float, float, float]
    rays: int  # sampled rays
    thin_rays: dict[str, int]  # per process: rays that found a thinner wall than its minimum
    complete: bool = True  # False: the mesh needed too much work and was not checked


def _gave_up(rays: int) -> Wall:
    return Wall(float("inf"), (0.0, 0.0, 0.0), rays, {}, complete=False)


def _ray_hits(origins, dirs, v0, e1, e2, eps):
    """Möller–Trumbore for matching rows of (k, 3) arrays; t, or inf where there is no hit."""
    dx, dy, dz = dirs.T
    ax, ay, az = e1.T
    bx, by, bz = e2.T
    px = dy * bz - dz * by
    py = dz * bx - dx * bz
    pz = dx * by - dy * bx
    det = ax * px + ay * py + az * pz
    ok = np.abs(det) > 1e-18
    inv = np.divide(1.0, det, out=np.zeros_like(det), where=ok)
    sx, sy, sz = (origins - v0).T
    u = (sx * px + sy * py + sz * pz) * inv
    qx = sy * az - sz * ay
    qy = sz * ax - sx * az
    qz = sx * ay - sy * ax
    v = (dx * qx + dy * qy + dz * qz) * inv
    t = (bx * qx + by * qy + bz * qz) * inv
    ok &= (u >= -1e-9) & (v >= -1e-9) & (u + v <= 1 + 1e-9) & (t > eps)
    return np.where(ok, t, np.inf)


def _flat(cells: np.ndarray, dims: np.ndarray) -> np.ndarray:
    return (cells[..., 0] * dims[1] + cells[..., 1]) * dims[2] + cells[..., 2]


def _expand_boxes(lo: np.ndarray, hi: np.ndarray):
    """Every cell of every box [lo, hi]: (box index, cell (k, 3)) rows."""
    span = hi - lo + 1
    per_box = span.prod(axis=1)
    owner = np.repeat(np.arange(len(lo)), per_box)
    local = np.arange(len(owner)) - np.repeat(np.cumsum(per_box) - per_box, per_box)
    sx, sy = span[owner, 0], span[owner, 1]
    cells = np.stack(
        (
            lo[owner, 0] + local % sx,
            lo[owner, 1] + (local // sx) % sy,
            lo[owner, 2] + local // (sx * sy),
        ),
        axis=1,
    )
    return owner, cells


def _morton(points: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """30-bit Morton codes of points in the box [lo, hi]."""
    q = ((points - lo) / np.maximum(hi - lo, 1e-12) * 1023).clip(0, 1023).astype(np.uint32)
    code = np.zeros(len(points), dtype=np.uint32)
    for axis in range(3):
        x = q[:, axis]
        x = (x | (x << 16)) & 0x030000FF
        x = (x | (x << 8)) & 0x0300F00F
        x = (x | (x << 4)) & 0x030C30C3
        x = (x | (x << 2)) & 0x09249249
        code |= x << axis
    return code


def _overlap(a_lo, a_hi, a, b_lo, b_hi, b) -> np.ndarray:
    """Boxes a[i] and b[i] overlap; boxes are (3, k) column arrays indexed by a and b."""
    hit = np.ones(len(a), dtype=bool)
    for axis in range(3):
        hit &= np.take(a_lo[axis], a) <= np.take(b_hi[axis], b)
        hit &= np.take(b_lo[axis], b) <= np.take(a_hi[axis], a)
    return hit


def _box_pairs(q_lo, q_hi, f_lo, f_hi, lo, hi, fan: int = 16):
    """All (query, box) index pairs whose boxes overlap, through leaves and tops of `fan`.

    Boxes ((k, 3) arrays) are sorted by the Morton code of their centres, grouped `fan` to a
    leaf and `fan` leaves to a top node; queries descend top → leaf → box, testing boxes only
    where the parent overlapped. Returns None when the work would be unbounded.
    """
    order = np.argsort(_morton((f_lo + f_hi) / 2, lo, hi))
    f_lo, f_hi = f_lo[order], f_hi[order]
    n = len(order)
    leaf_start = np.arange(0, n, fan)
    leaf_lo = np.minimum.reduceat(f_lo, leaf_start)
    leaf_hi = np.maximum.reduceat(f_hi, leaf_start)
    top_start = np.arange(0, len(leaf_start), fan)
    top_lo = np.minimum.reduceat(leaf_lo, top_start).T.copy()
    top_hi = np.maximum.reduceat(leaf_hi, top_start).T.copy()
    q_lo, q_hi = q_lo.T.copy(), q_hi.T.copy()
    if q_lo.shape[1] * top_lo.shape[1] > THIN_WALL_MAX_PAIRS:
        return None
    grid = np.ones((q_lo.shape[1], top_lo.shape[1]), dtype=bool)
    for axis in range(3):
        grid &= q_lo[axis][:, None] <= top_hi[axis][None, :]
        grid &= top_lo[axis][None, :] <= q_hi[axis][:, None]
    q, t = np.nonzero(grid)
    del grid
    levels = ((leaf_lo.T.copy(), leaf_hi.T.copy(), len(leaf_lo)), (f_lo.T.copy(), f_hi.T.copy(), n))
    span = np.arange(fan)
    for level_lo, level_hi, size in levels:
        if len(q) * fan > THIN_WALL_BOX_PAIRS:
            return None
        t = (t[:, None] * fan + span).reshape(-1)
        q = np.repeat(q, fan)
        valid = t < size
        q, t = q[valid], t[valid]
        hit = _overlap(q_lo, q_hi, q, level_lo, level_hi, t)
        q, t = q[hit], t[hit]
    return q, order[t]


def thin_wall(
    vertices: np.ndarray,
    faces: np.ndarray,
    face_areas: np.ndarray,
    face_size: np.ndarray,
    bbox_min: np.ndarray,
    bbox_max: np.ndarray,
    limits: Sequence[ProcessLimits],
    outward: float = 1.0,
    rays: int = THIN_WALL_RAYS,
    face_shell: np.ndarray | Callable[[], np.ndarray | None] | None = None,
) -> Wall | None:
    """The thinnest wall found below the largest process minimum, or None if none is.

    `face_size` is each face's largest axis-aligned extent. Faces no larger than a grid cell
    are found through the cell of their first vertex (the ray's cells grown by one); larger
    faces through their whole box. Only faces near a sampled ray are ever looked at twice.
    `face_shell` (each face's shell, or a function that returns it once known): a ray only
    meets faces of its own shell, so where two bodies touch the contact is not a wall.
    """
    reach = max((float(lim.min_wall_mm) for lim in limits), default=0.0)
    if reach <= 0 or len(faces) == 0:
        return None
    total = float(face_areas.sum())
    if not total > 0:
        return None
    # stratified by area with a golden-ratio sequence: same input, same answer
    count = min(rays, len(faces))
    spots = (np.arange(count) + (np.arange(count) * 0.6180339887498949) % 1.0) / count
    cdf = np.cumsum(face_areas)
    picks = np.searchsorted(cdf, spots * cdf[-1], side="right")  # sorted already
    picks = picks[np.concatenate(([True], picks[1:] != picks[:-1]))]
    picks = picks[picks < len(faces)]
    del cdf, spots
    corners = np.take(vertices, faces[picks], axis=0).astype(np.float64)
    normal = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    length = np.linalg.norm(normal, axis=1)
    good = length > 0
    picks, corners, normal, length = picks[good], corners[good], normal[good], length[good]
    if len(picks) == 0:
        return None
    dirs = -outward * normal / length[:, None]
    origins = corners.mean(axis=1)

    lo = np.asarray(bbox_min, dtype=np.float64) - reach
    hi = np.asarray(bbox_max, dtype=np.float64) + reach
    cell = max(reach / 2, float(np.max(hi - lo)) / 200.0)
    dims = np.maximum(np.ceil((hi - lo) / cell).astype(np.int64), 1)

    def cell_of(points):
        return np.clip(((points - lo) / cell).astype(np.int64), 0, dims - 1)

    ends = origins + reach * dirs
    seg_lo = cell_of(np.minimum(origins, ends))
    seg_hi = cell_of(np.maximum(origins, ends))
    # the cells each segment touches, grown by one cell: a small facet lies within one cell
    # of its first corner's cell
    grown_of, grown_cells = _expand_boxes(
        np.maximum(seg_lo - 1, 0), np.minimum(seg_hi + 1, dims - 1)
    )
    grown = np.zeros(int(dims.prod()), dtype=bool)
    grown[_flat(grown_cells, dims)] = True

    small = face_size <= cell
    vertex_cell = np.empty(len(vertices), dtype=np.int32)
    origin, scale, top = lo.astype(vertices.dtype), vertices.dtype.type(1.0 / cell), (dims - 1).astype(np.int32)
    for s in range(0, len(vertices), _BLOCK):  # a block at a time: no copy of every vertex
        scaled = vertices[s : s + _BLOCK] - origin
        scaled *= scale
        cells = scaled.astype(np.int32)
        np.clip(cells, 0, top, out=cells)
        block = vertex_cell[s : s + _BLOCK]
        np.multiply(cells[:, 0], np.int32(dims[1]), out=block)
        block += cells[:, 1]
        block *= np.int32(dims[2])
        block += cells[:, 2]
    del scaled, cells, block
    near_vertex = np.empty(len(vertices), dtype=bool)
    for s in range(0, len(vertices), _BLOCK):
        np.take(grown, vertex_cell[s : s + _BLOCK], out=near_vertex[s : s + _BLOCK])
    del grown
    near = small.copy()  # small faces whose first corner is near a ray, a block at a time
    for s in range(0, len(faces), _BLOCK):
        near[s : s + _BLOCK] &= np.take(near_vertex, faces[s : s + _BLOCK, 0])
    near_small = np.nonzero(near)[0]
    del near_vertex, near
    # (cell, face) packed in one integer: a plain value sort groups the faces by cell
    packed = np.take(vertex_cell, np.take(faces[:, 0], near_small)).astype(np.int64)
    del vertex_cell
    packed <<= 32
    packed |= near_small
    del near_small
    packed.sort()
    face_of = packed & 0xFFFFFFFF
    cell_key = packed >> 32
    del packed

    # pairs (ray, small face) through the grown cells of each ray
    query = _flat(grown_cells, dims)
    start = np.searchsorted(cell_key, query, side="left")
    count = np.searchsorted(cell_key, query, side="right") - start
    n_pairs = int(count.sum())
    if n_pairs > THIN_WALL_MAX_PAIRS:
        return _gave_up(len(picks))
    pair_ray = np.repeat(grown_of, count)
    offsets = np.arange(n_pairs) - np.repeat(np.cumsum(count) - count, count)
    offsets += np.repeat(start, count)
    pair_face = face_of[offsets]
    del offsets, face_of, cell_key, start, count, query

    # pairs (ray, large face) through a two-level box hierarchy in Morton order
    big = np.nonzero(~small)[0]
    del small
    if len(big):
        c0, c1, c2 = (np.take(vertices, faces[big, k], axis=0) for k in range(3))
        b_lo = np.minimum(np.minimum(c0, c1), c2).astype(np.float64)
        b_hi = np.maximum(np.maximum(c0, c1), c2).astype(np.float64)
        del c0, c1, c2
        ray_lo = np.minimum(origins, ends)
        ray_hi = np.maximum(origins, ends)
        found = _box_pairs(ray_lo, ray_hi, b_lo, b_hi, lo, hi)
        if found is None:
            return _gave_up(len(picks))
        pair_ray = np.concatenate((pair_ray, found[0]))
        pair_face = np.concatenate((pair_face, big[found[1]]))
        del b_lo, b_hi
    keep = pair_face != picks[pair_ray]
    shell = face_shell() if callable(face_shell) else face_shell
    if shell is not None:
        keep &= np.take(shell, pair_face) == np.take(shell, np.take(picks, pair_ray))
    pair_ray, pair_face = pair_ray[keep], pair_face[keep]
    if len(pair_ray) == 0:
        return None

    best = np.full(len(picks), np.inf)
    eps = 1e-9 * float(np.max(hi - lo))
    step = _BLOCK
    for s in range(0, len(pair_ray), step):
        r = pair_ray[s : s + step]
        f = np.take(faces, pair_face[s : s + step], axis=0)
        v0 = np.take(vertices, f[:, 0], axis=0).astype(np.float64)
        e1 = np.take(vertices, f[:, 1], axis=0) - v0
        e2 = np.take(vertices, f[:, 2], axis=0) - v0
        o = np.take(origins, r, axis=0)
        t = _ray_hits(o, np.take(dirs, r, axis=0), v0, e1, e2, eps=eps)
        np.minimum.at(best, r, t)
    best[best > reach] = np.inf
    if not np.isfinite(best).any():
        return None
    k = int(np.argmin(best))
    at = origins[k] + 0.5 * best[k] * dirs[k]
    thin = {lim.name: int(np.count_nonzero(best < lim.min_wall_mm)) for lim in limits}
    return Wall(
        thickness_mm=float(best[k]),
        at_mm=(float(at[0]), float(at[1]), float(at[2])),
        rays=len(picks),
        thin_rays=thin,
    )
