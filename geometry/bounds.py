"""Where a mesh is: the coordinate check and the oriented box."""

from __future__ import annotations

import numpy as np

from geometry.limits import COORD_LIMIT_MM
from geometry.model import GeometryError

_BLOCK = 1 << 16  # points turned into the box's frame at a time


def check_coordinates(lo: np.ndarray, hi: np.ndarray) -> None:
    """Refuse NaN or infinite coordinates, and coordinates beyond ±COORD_LIMIT_MM."""
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
        raise GeometryError("invalid_coordinates")
    if np.any(lo < -COORD_LIMIT_MM) or np.any(hi > COORD_LIMIT_MM):
        raise GeometryError("coordinates_out_of_range", limit_mm=COORD_LIMIT_MM)


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
    # one axis at a time in float64 (never a float64 copy of every point at once): the
    # centre, the axis-aligned extents, the extremes and every k-th point of the sample
    n = len(points)
    mean, aabb, extreme = np.empty(3), np.empty(3), np.empty(6, dtype=np.int64)
    for axis in range(3):
        column = points[:, axis].astype(np.float64)
        mean[axis] = column.mean()
        column -= mean[axis]
        aabb[axis] = np.ptp(column)
        extreme[axis], extreme[3 + axis] = column.argmax(), column.argmin()
        del column

    def centred(rows) -> np.ndarray:  # (3, k) float64 of the points at `rows`, about the centre
        cols = np.ascontiguousarray(points[rows].T, dtype=np.float64)
        cols -= mean[:, None]
        return cols

    if n > 1000:
        sample = np.concatenate((centred(slice(None, None, n // 600)), centred(extreme)), axis=1).T
    else:
        sample = centred(slice(None)).T
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
    # the extents in the chosen frame over every point, a block of points at a time
    lo, hi = np.full(3, np.inf), np.full(3, -np.inf)
    for start in range(0, n, _BLOCK):
        turned = best_frame @ centred(slice(start, start + _BLOCK))
        np.minimum(lo, turned.min(axis=1), out=lo)
        np.maximum(hi, turned.max(axis=1), out=hi)
    extents = hi - lo
    if np.prod(extents) >= np.prod(aabb):
        extents = aabb
    result = sorted((float(e) for e in extents), reverse=True)
    return (result[0], result[1], result[2])


def face_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Unit normals (float64) of the given faces; zero for zero-area faces."""
    a = np.take(vertices, faces[:, 0], axis=0).astype(np.float64)
    cross = np.cross(
        np.take(vertices, faces[:, 1], axis=0) - a, np.take(vertices, faces[:, 2], axis=0) - a
    )
    length = np.sqrt(np.einsum("ij,ij->i", cross, cross))
    np.divide(cross, length[:, None], out=cross, where=length[:, None] > 0)
    return cross
