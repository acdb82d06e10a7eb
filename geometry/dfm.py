"""Manufacturability findings with stable codes.

Codes: ``not_watertight``, ``inconsistent_normals``, ``inverted_normals``, ``multiple_bodies``,
``degenerate_facets``, ``units_suspect_small``, ``units_suspect_large``, ``exceeds_envelope``
(blocking, per process), ``thin_wall`` (warning, per process). STEP's ``no_solid`` is made by
`geometry.step`.

Thin walls are estimated by ray casting: rays start at the centres of facets sampled by area
and go inwards along the facet normal; the first facet a ray meets is the other side of the
wall. Only walls thinner than the largest process minimum matter, so a ray is at most that long,
and only facets in the grid cells those short segments touch are ever tested.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from geometry.model import Finding, ProcessLimits

SMALL_MM = 1.0
LARGE_MM = 3000.0
INCH_MM = 25.4
THIN_WALL_RAYS = 2048
_MAX_PAIRS = 20_000_000


def _mm(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _size(extents: Sequence[float]) -> str:
    return " × ".join(_mm(v) for v in extents) + " mm"


def units_findings(bbox_mm: Sequence[float]) -> list[Finding]:
    """A part under 1 mm or over 3 m along its longest side has suspicious units."""
    longest = max(float(v) for v in bbox_mm)
    if 0 < longest < SMALL_MM:
        return [
            Finding(
                "units_suspect_small",
                "warning",
                f"The part is only {longest:.3g} mm along its longest side. If the file is in "
                f"inches it would be {_mm(longest * INCH_MM)} mm; if it is in metres, "
                f"{_mm(longest * 1000)} mm. Check the units the file was exported in.",
            )
        ]
    if longest > LARGE_MM:
        return [
            Finding(
                "units_suspect_large",
                "warning",
                f"The part is {longest / 1000:.3g} m ({_mm(longest)} mm) along its longest side. "
                f"If the file is in micrometres it would be {_mm(longest / 1000)} mm. "
                "Check the units the file was exported in.",
            )
        ]
    return []


def envelope_findings(
    extents_mm: Sequence[float], limits: Sequence[ProcessLimits]
) -> list[Finding]:
    """Blocking for each process whose build envelope / machine travel the part cannot fit.

    The part may be turned any way, so its box (largest side first) is compared with the
    envelope sorted the same way.
    """
    part = sorted((float(v) for v in extents_mm), reverse=True)
    findings = []
    for limit in limits:
        room = sorted((float(v) for v in limit.envelope_mm), reverse=True)
        if any(p > r for p, r in zip(part, room, strict=True)):
            findings.append(
                Finding(
                    "exceeds_envelope",
                    "blocking",
                    f"At {_size(part)} the part does not fit the {limit.name} envelope of "
                    f"{_size(limit.envelope_mm)}: split it into pieces or choose another "
                    "process.",
                    process=limit.name,
                )
            )
    return findings


def topology_findings(metrics) -> list[Finding]:
    """Findings from a `mesh_metrics.MeshMetrics`."""
    findings = []
    if not metrics.watertight:
        parts = []
        if metrics.open_edges:
            parts.append(f"{metrics.open_edges:,} open edges")
        if metrics.nonmanifold_edges:
            parts.append(f"{metrics.nonmanifold_edges:,} edges shared by more than two facets")
        findings.append(
            Finding(
                "not_watertight",
                "warning",
                f"The mesh is not closed ({', '.join(parts)}), so its volume is an estimate. "
                "Repair the model (close the holes) for an exact price.",
            )
        )
    if metrics.misoriented_edges:
        findings.append(
            Finding(
                "inconsistent_normals",
                "warning",
                f"Some facets face the wrong way ({metrics.misoriented_edges:,} edges join "
                "facets of opposite orientation), so the volume may be wrong. Repair the "
                "model's normals.",
            )
        )
    if metrics.inverted:
        findings.append(
            Finding(
                "inverted_normals",
                "info",
                "The facets face inwards (the model is inside out); this was corrected for "
                "measuring.",
            )
        )
    if metrics.bodies > 1:
        findings.append(
            Finding(
                "multiple_bodies",
                "warning",
                f"The file holds {metrics.bodies} separate bodies: they are priced as one part. "
                "If they are separate parts, upload them as separate files.",
            )
        )
    if metrics.degenerate:
        findings.append(
            Finding(
                "degenerate_facets",
                "info",
                f"{metrics.degenerate:,} facets have coinciding corners and were ignored.",
            )
        )
    return findings


@dataclass(frozen=True)
class Wall:
    thickness_mm: float
    at_mm: tuple[float, float, float]
    rays: int  # sampled rays
    thin_rays: dict[str, int]  # per process: rays that found a thinner wall than its minimum


def _ray_hits(origins, dirs, v0, e1, e2, eps):
    """Möller–Trumbore for matching rows; returns t (inf where there is no hit)."""
    p = np.cross(dirs, e2)
    det = np.einsum("ij,ij->i", e1, p)
    ok = np.abs(det) > 1e-18
    inv = np.divide(1.0, det, out=np.zeros_like(det), where=ok)
    s = origins - v0
    u = np.einsum("ij,ij->i", s, p) * inv
    q = np.cross(s, e1)
    v = np.einsum("ij,ij->i", dirs, q) * inv
    t = np.einsum("ij,ij->i", e2, q) * inv
    ok &= (u >= -1e-9) & (v >= -1e-9) & (u + v <= 1 + 1e-9) & (t > eps)
    return np.where(ok, t, np.inf)


def thin_wall(
    vertices: np.ndarray,
    faces: np.ndarray,
    face_areas: np.ndarray,
    limits: Sequence[ProcessLimits],
    outward: float = 1.0,
    rays: int = THIN_WALL_RAYS,
) -> Wall | None:
    """The thinnest wall found below the largest process minimum, or None if none is."""
    reach = max((float(lim.min_wall_mm) for lim in limits), default=0.0)
    if reach <= 0 or len(faces) == 0:
        return None
    total = float(face_areas.sum())
    if not total > 0:
        return None
    rng = np.random.default_rng(0)  # same input, same answer
    count = min(rays, len(faces))
    cdf = np.cumsum(face_areas)
    picks = np.unique(np.searchsorted(cdf, rng.random(count) * cdf[-1], side="right"))
    picks = picks[picks < len(faces)]
    tri = vertices[faces[picks]].astype(np.float64)
    normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    length = np.linalg.norm(normal, axis=1)
    good = length > 0
    picks, tri, normal, length = picks[good], tri[good], normal[good], length[good]
    if len(picks) == 0:
        return None
    dirs = -outward * normal / length[:, None]
    origins = tri.mean(axis=1)

    # a grid with cells at least `reach` wide: a segment touches at most 2 cells per axis
    lo = vertices.min(axis=0).astype(np.float64) - reach
    hi = vertices.max(axis=0).astype(np.float64) + reach
    cell = max(reach, float(np.max(hi - lo)) / 128.0)
    dims = np.maximum(np.ceil((hi - lo) / cell).astype(np.int64), 1)

    def cell_of(points):
        return np.clip(((points - lo) / cell).astype(np.int64), 0, dims - 1)

    seg_lo = cell_of(np.minimum(origins, origins + reach * dirs))
    seg_hi = cell_of(np.maximum(origins, origins + reach * dirs))
    marked = np.zeros(tuple(dims), dtype=bool)
    for dx in (0, 1):
        for dy in (0, 1):
            for dz in (0, 1):
                c = np.minimum(seg_lo + (dx, dy, dz), seg_hi)
                marked[c[:, 0], c[:, 1], c[:, 2]] = True

    # facets whose box overlaps a marked cell (summed-volume table: any box in O(1))
    table = np.zeros(tuple(dims + 1), dtype=np.int32)
    table[1:, 1:, 1:] = marked.cumsum(0).cumsum(1).cumsum(2)
    vc = cell_of(vertices.astype(np.float64))
    f_lo = np.minimum(np.minimum(vc[faces[:, 0]], vc[faces[:, 1]]), vc[faces[:, 2]])
    f_hi = np.maximum(np.maximum(vc[faces[:, 0]], vc[faces[:, 1]]), vc[faces[:, 2]]) + 1
    x0, y0, z0 = f_lo.T
    x1, y1, z1 = f_hi.T
    inside = (
        table[x1, y1, z1] - table[x0, y1, z1] - table[x1, y0, z1] - table[x1, y1, z0]
        + table[x0, y0, z1] + table[x0, y1, z0] + table[x1, y0, z0] - table[x0, y0, z0]
    )
    near = np.nonzero(inside > 0)[0]
    if len(near) == 0:
        return None

    # pair rays and facets through the cells they share
    f_lo, f_hi = f_lo[near], f_hi[near] - 1
    span = f_hi - f_lo + 1
    per_face = span.prod(axis=1)
    if int(per_face.sum()) > _MAX_PAIRS:
        return None
    owner = np.repeat(np.arange(len(near)), per_face)
    local = np.arange(len(owner)) - np.repeat(np.cumsum(per_face) - per_face, per_face)
    sx, sy = span[owner, 0], span[owner, 1]
    cx = f_lo[owner, 0] + local % sx
    cy = f_lo[owner, 1] + (local // sx) % sy
    cz = f_lo[owner, 2] + local // (sx * sy)
    face_cell = (cx * dims[1] + cy) * dims[2] + cz
    order = np.argsort(face_cell, kind="stable")
    face_cell, owner = face_cell[order], owner[order]

    ray_cells, ray_ids = [], []
    for dx in (0, 1):
        for dy in (0, 1):
            for dz in (0, 1):
                c = seg_lo + (dx, dy, dz)
                ok = np.all(c <= seg_hi, axis=1)
                ray_cells.append(((c[:, 0] * dims[1] + c[:, 1]) * dims[2] + c[:, 2])[ok])
                ray_ids.append(np.nonzero(ok)[0])
    ray_cell = np.concatenate(ray_cells)
    ray_id = np.concatenate(ray_ids)
    start = np.searchsorted(face_cell, ray_cell, side="left")
    stop = np.searchsorted(face_cell, ray_cell, side="right")
    n_pairs = stop - start
    if int(n_pairs.sum()) > _MAX_PAIRS:
        return None
    pair_ray = np.repeat(ray_id, n_pairs)
    offsets = np.arange(int(n_pairs.sum())) - np.repeat(np.cumsum(n_pairs) - n_pairs, n_pairs)
    pair_face = near[owner[np.repeat(start, n_pairs) + offsets]]
    keep = pair_face != picks[pair_ray]
    pair_ray, pair_face = pair_ray[keep], pair_face[keep]

    best = np.full(len(picks), np.inf)
    scale = float(np.max(hi - lo))
    for s in range(0, len(pair_ray), 1 << 20):
        r = pair_ray[s : s + (1 << 20)]
        f = faces[pair_face[s : s + (1 << 20)]]
        v0 = vertices[f[:, 0]].astype(np.float64)
        t = _ray_hits(
            origins[r], dirs[r], v0, vertices[f[:, 1]] - v0, vertices[f[:, 2]] - v0,
            eps=1e-9 * scale,
        )
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


def thin_wall_findings(wall: Wall | None, limits: Sequence[ProcessLimits]) -> list[Finding]:
    if wall is None:
        return []
    x, y, z = wall.at_mm
    findings = []
    for limit in limits:
        if wall.thickness_mm < limit.min_wall_mm:
            findings.append(
                Finding(
                    "thin_wall",
                    "warning",
                    f"Walls down to {wall.thickness_mm:.2f} mm thick (near x={x:.1f}, "
                    f"y={y:.1f}, z={z:.1f} mm); {limit.name} needs at least "
                    f"{limit.min_wall_mm:g} mm. Thicken the walls or choose another process.",
                    process=limit.name,
                )
            )
    return findings


def mesh_findings(metrics, limits: Sequence[ProcessLimits]) -> list[Finding]:
    """Every finding for a measured mesh."""
    findings = topology_findings(metrics)
    findings += units_findings(metrics.bbox_mm)
    findings += envelope_findings(metrics.obb_mm, limits)
    wall = thin_wall(
        metrics.vertices,
        metrics.faces,
        metrics.face_areas,
        limits,
        outward=-1.0 if metrics.inverted else 1.0,
    )
    findings += thin_wall_findings(wall, limits)
    return findings
