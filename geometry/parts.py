"""The distinct parts of a file: bodies grouped by shape, each with a count.

A file may hold several bodies: an assembly exported as one mesh, or several solids in one
STEP. Bodies that are the same shape up to position and rotation are one part with a count.
Two bodies are taken as the same shape when

1. their volume, surface area and principal moments of inertia agree within
   `PARTS_REL_TOL` (moments relative to the largest), and then
2. a check on their points agrees: the sorted distances of their points from the centroid
   (sampled at fixed quantiles, within five times that tolerance of the body's size, as two
   tessellations of one shape differ a little), and their handedness (a part and
   its mirror image are different parts, where the shape shows it).

For meshes the bodies are the shells that bound material, each with the sealed cavities it
encloses (`geometry.topology`); for STEP the solids (`geometry.assembly` reads the product
structure first, then groups the solids of each product, then the products).

`mesh_parts(metrics)` gives the part entries for `Analysis.parts` together with the bodies
behind each; `extract_mesh_part(metrics, index)` the triangles of one part (its first body).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from geometry.limits import BODIES_MAX_GROUPED, PARTS_MAX, PARTS_REL_TOL
from geometry.model import GeometryError

_QUANTILES = np.linspace(0.0, 1.0, 33)
# handedness is only read where the shape shows it clearly: principal spreads at least this far
# apart (relative), and a skew at least this large along each axis; a near-symmetric body (a
# ball, a washer) is then "either hand" rather than a coin toss on tessellation noise
_DISTINCT = 1e-2
_SKEWED = 5e-3
# the point check allows for two tessellations of one shape (each instance exported on its own)
_PROFILE_TOL = 5.0  # times PARTS_REL_TOL, of the body's size


@dataclass
class Body:
    """What grouping needs to know of one body."""

    volume: float
    area: float
    moments: np.ndarray  # (3,) principal moments, ascending
    profile: np.ndarray  # distances of the points from the centroid at fixed quantiles
    hand: int  # +1 / -1: handedness where the shape shows it, 0 where it does not
    size: float  # the largest extent (for the tolerance of the profile)


@dataclass
class Group:
    bodies: list[int] = field(default_factory=list)  # indices of the bodies, first = the sample


def point_signature(points: np.ndarray) -> tuple[np.ndarray, int]:
    """(quantile profile of distances from the centroid, handedness) of a point cloud.

    Handedness: the cloud's principal axes, each signed by the skew of the points along it;
    +1 if they form a right-handed frame, -1 if left-handed, 0 if a skew is too small to sign
    an axis (a symmetric shape: a part and its mirror image are then the same).
    """
    points = np.asarray(points, dtype=np.float64)
    centre = points.mean(axis=0)
    offsets = points - centre
    distance = np.linalg.norm(offsets, axis=1)
    profile = np.quantile(distance, _QUANTILES) if len(distance) else np.zeros(len(_QUANTILES))
    scale = float(distance.max()) if len(distance) else 0.0
    if len(points) < 4 or scale <= 0:
        return profile, 0
    values, axes = np.linalg.eigh(offsets.T @ offsets / len(points))
    spread = np.sqrt(np.maximum(values, 0.0))
    if spread[0] <= 1e-6 * scale or np.min(np.diff(values)) <= _DISTINCT * values[-1]:
        return profile, 0  # flat or with two equal axes: no frame to sign
    along = offsets @ axes
    skew = np.mean(along**3, axis=0) / np.maximum(spread, 1e-300) ** 3
    if np.min(np.abs(skew)) < _SKEWED:
        return profile, 0
    frame = axes * np.sign(skew)
    return profile, 1 if np.linalg.det(frame) > 0 else -1


def same_shape(a: Body, b: Body, tol: float = PARTS_REL_TOL) -> bool:
    def close(x: float, y: float, scale: float) -> bool:
        return abs(x - y) <= tol * max(scale, 1e-300)

    if not close(a.volume, b.volume, max(abs(a.volume), abs(b.volume))):
        return False
    if not close(a.area, b.area, max(a.area, b.area)):
        return False
    top = float(max(a.moments[-1], b.moments[-1]))
    if not all(close(x, y, top) for x, y in zip(a.moments, b.moments, strict=True)):
        return False
    size = max(a.size, b.size)
    if np.max(np.abs(a.profile - b.profile)) > _PROFILE_TOL * tol * size:
        return False
    return a.hand == b.hand or 0 in (a.hand, b.hand)


def group_bodies(bodies: list[Body], tol: float = PARTS_REL_TOL) -> list[Group]:
    """Bodies grouped by shape, groups in the order of their first body."""
    order = sorted(range(len(bodies)), key=lambda i: bodies[i].volume)
    groups: list[Group] = []
    by_volume: list[tuple[float, Group]] = []  # (volume of the group's first body, group)
    for i in order:
        body = bodies[i]
        home = None
        for volume, group in reversed(by_volume):
            if volume < body.volume * (1 - tol) - 1e-300:
                break
            if same_shape(bodies[group.bodies[0]], body, tol):
                home = group
                break
        if home is None:
            home = Group()
            groups.append(home)
            by_volume.append((body.volume, home))
        home.bodies.append(i)
    for group in groups:
        group.bodies.sort()
    groups.sort(key=lambda g: g.bodies[0])
    return groups


# --------------------------------------------------------------------------- meshes


def _body_shells(metrics) -> list[np.ndarray]:
    """For each body: the shells that make it (its outer shell, then the voids it encloses)."""
    outer = np.asarray(metrics.shell_outer, dtype=bool)
    shell_of = np.asarray(metrics.face_shell)
    count = len(outer)
    tri_lo = np.full((count, 3), np.inf)
    tri_hi = np.full((count, 3), -np.inf)
    corners = np.take(metrics.vertices, metrics.faces, axis=0)
    np.minimum.at(tri_lo, shell_of, corners.min(axis=1))
    np.maximum.at(tri_hi, shell_of, corners.max(axis=1))
    del corners
    bodies = [[int(s)] for s in np.flatnonzero(outer)]
    index = {b[0]: k for k, b in enumerate(bodies)}
    extent = np.prod(np.maximum(tri_hi - tri_lo, 0.0), axis=1)
    for void in np.flatnonzero(~outer):
        holds = np.flatnonzero(
            outer & np.all(tri_lo <= tri_lo[void], axis=1) & np.all(tri_hi >= tri_hi[void], axis=1)
        )
        if len(holds):  # the smallest body whose box holds the void's box
            bodies[index[int(holds[np.argmin(extent[holds])])]].append(int(void))
    return [np.asarray(b) for b in bodies]


def _mesh_bodies(metrics, body_shells: list[np.ndarray]) -> tuple[list[Body], list[np.ndarray], np.ndarray]:
    """Each body's figures, its faces, and the body of every face (-1: none).

    Vectorised over the bodies (a file of thousands of screws): volume, centroid and second
    moments from the facets' signed tetrahedra, summed per body; the point check on the
    facets' corners (a rigid copy has the same corners).
    """
    vertices = np.asarray(metrics.vertices, dtype=np.float64)
    faces = np.asarray(metrics.faces)
    count = len(body_shells)
    body_of_shell = np.full(len(metrics.shell_outer), -1, dtype=np.int64)
    for k, shells in enumerate(body_shells):
        body_of_shell[shells] = k
    body_of_face = body_of_shell[np.asarray(metrics.face_shell)]
    order = np.argsort(body_of_face, kind="stable")
    sizes = np.bincount(body_of_face[body_of_face >= 0], minlength=count)
    starts = np.searchsorted(body_of_face[order], np.arange(count))
    face_lists = [order[starts[k] : starts[k] + sizes[k]] for k in range(count)]

    keep = body_of_face >= 0
    body = body_of_face[keep]
    corners = np.take(vertices, faces[keep], axis=0)  # (k, 3, 3)
    lo = np.full((count, 3), np.inf)
    hi = np.full((count, 3), -np.inf)
    np.minimum.at(lo, body, corners.min(axis=1))
    np.maximum.at(hi, body, corners.max(axis=1))
    corners -= ((lo + hi) / 2)[body][:, None, :]  # about each body's own centre
    a, b, c = corners[:, 0], corners[:, 1], corners[:, 2]
    det = np.einsum("ij,ij->i", a, np.cross(b, c))
    if metrics.face_outward is not None:  # shells taken the right way round
        det *= np.asarray(metrics.face_outward)[keep]
    s = a + b + c

    def per_body(weights: np.ndarray) -> np.ndarray:
        return np.bincount(body, weights=weights, minlength=count)

    volume = per_body(det) / 6.0
    first = np.stack([per_body(det * s[:, i]) for i in range(3)], axis=1) / 24.0
    second = np.empty((count, 3, 3))
    for i in range(3):
        for j in range(i, 3):
            term = s[:, i] * s[:, j] + a[:, i] * a[:, j] + b[:, i] * b[:, j] + c[:, i] * c[:, j]
            second[:, i, j] = second[:, j, i] = per_body(det * term) / 120.0
    safe = np.where(volume != 0, volume, 1.0)
    centroid = first / safe[:, None]
    cov = second - volume[:, None, None] * np.einsum("bi,bj->bij", centroid, centroid)
    inertia = np.trace(cov, axis1=1, axis2=2)[:, None, None] * np.eye(3) - cov
    moments = np.sort(np.abs(np.linalg.eigvalsh(inertia)), axis=1)
    area = per_body(np.linalg.norm(np.cross(b - a, c - a), axis=1) / 2.0)
    profiles, hands = _corner_signatures(corners.reshape(-1, 3), np.repeat(body, 3), count)
    extent = np.max(hi - lo, axis=1)
    bodies = [
        Body(abs(float(volume[k])), float(area[k]), moments[k], profiles[k], int(hands[k]), float(extent[k]))
        for k in range(count)
    ]
    return bodies, face_lists, body_of_face


def _corner_signatures(points: np.ndarray, owner: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """`point_signature` of every body at once, on its facets' corners: (profiles, hands)."""
    counts = np.bincount(owner, minlength=count).astype(np.float64)
    per = np.maximum(counts, 1.0)
    centre = np.stack([np.bincount(owner, weights=points[:, i], minlength=count) for i in range(3)], axis=1)
    centre /= per[:, None]
    offsets = points - centre[owner]
    distance = np.linalg.norm(offsets, axis=1)
    order = np.lexsort((distance, owner))
    starts = np.searchsorted(owner[order], np.arange(count))
    ranks = np.rint(_QUANTILES[None, :] * np.maximum(counts - 1, 0)[:, None]).astype(np.int64)
    profiles = distance[order][np.minimum(starts[:, None] + ranks, len(order) - 1)]
    spread = np.empty((count, 3, 3))
    for i in range(3):
        for j in range(i, 3):
            weights = offsets[:, i] * offsets[:, j]
            spread[:, i, j] = spread[:, j, i] = np.bincount(owner, weights=weights, minlength=count) / per
    values, axes = np.linalg.eigh(spread)
    along = np.einsum("pi,pij->pj", offsets, axes[owner])
    skew = np.stack([np.bincount(owner, weights=along[:, i] ** 3, minlength=count) for i in range(3)], axis=1)
    sigma = np.sqrt(np.maximum(values, 0.0))
    skew /= per[:, None] * np.maximum(sigma, 1e-300) ** 3
    scale = profiles[:, -1]
    frame = axes * np.sign(skew)[:, None, :]
    hands = np.where(np.linalg.det(frame) > 0, 1, -1)
    unsigned = (counts < 4) | (scale <= 0) | (sigma[:, 0] <= 1e-6 * scale)
    unsigned |= np.min(np.diff(values, axis=1), axis=1) <= _DISTINCT * values[:, -1]
    unsigned |= np.min(np.abs(skew), axis=1) < _SKEWED
    return profiles, np.where(unsigned, 0, hands)


@dataclass
class MeshParts:
    entries: list[dict]  # for Analysis.parts
    groups: list[Group]  # the bodies of each entry
    faces: list[np.ndarray]  # the faces of each body
    truncated: bool = False


def mesh_parts(metrics) -> MeshParts:
    """The distinct parts of a measured mesh (`geometry.measure.MeshMetrics`)."""
    whole = {
        "name": None,
        "count": 1,
        "volume_mm3": float(metrics.volume_mm3),
        "bbox_mm": list(metrics.bbox_mm),
    }
    if metrics.face_shell is None or metrics.shell_outer is None or metrics.bodies <= 1:
        return MeshParts([whole], [Group([0])], [np.arange(len(metrics.faces))])
    body_shells = _body_shells(metrics)
    if len(body_shells) <= 1 or len(body_shells) > BODIES_MAX_GROUPED:
        return MeshParts([whole], [Group([0])], [np.arange(len(metrics.faces))])
    bodies, face_lists, _ = _mesh_bodies(metrics, body_shells)
    groups = group_bodies(bodies)
    truncated = len(groups) > PARTS_MAX
    groups = groups[:PARTS_MAX]
    entries = []
    for group in groups:
        sample = face_lists[group.bodies[0]]
        points = np.take(metrics.vertices, metrics.faces[sample], axis=0).reshape(-1, 3)
        entries.append(
            {
                "name": None,
                "count": len(group.bodies),
                "volume_mm3": bodies[group.bodies[0]].volume,
                "bbox_mm": [float(v) for v in np.ptp(points, axis=0)],
            }
        )
    return MeshParts(entries, groups, face_lists, truncated)


def extract_mesh_part(metrics, index: int) -> np.ndarray:
    """The (k, 3, 3) triangles of part `index` (its first body, where it lies in the file)."""
    found = mesh_parts(metrics)
    if not 0 <= index < len(found.entries):
        raise GeometryError("bad_part_index", parts=len(found.entries), index=index)
    faces = metrics.faces[found.faces[found.groups[index].bodies[0]]]
    if metrics.face_outward is not None:  # every shell outward, as a part file should be
        flip = metrics.face_outward[found.faces[found.groups[index].bodies[0]]] < 0
        faces = faces.copy()
        faces[flip] = faces[flip][:, ::-1]
    return np.take(np.asarray(metrics.vertices, dtype=np.float64), faces, axis=0)
