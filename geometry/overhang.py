"""Overhangs and print surfaces: what a slicer must hold up, and which way up a print goes.

A slicer holds up every downward-facing surface steeper than its support threshold (45° from
the horizontal in our profiles) with support material: sparse lines from the bed up to the
surface, with a few solid interface layers at their top. What it builds grows with the
overhang's area as seen from above and with the height of that area above the bed, so two
figures per orientation describe it:

    overhang  Σ facet area × cos(facet's angle to straight down), over the overhanging facets
    column    Σ that projected area × the facet centre's height above the bed

(the height of a flat facet's centre is its mean height over its projected area, so the
column is the exact room between those facets and the bed; where part of the print lies in
between, the support stands on it and is shorter than this counts). Facets lying on the bed
need nothing. Two more figures say how the layers cover the surface, for the shell of the
estimate: the walls the outlines sweep (Σ area × sine of the facet's angle to the bed) and the
area the top and bottom skins cover (Σ area × |cosine|).

All are a few array operations over the facets, kept one row per axis (contiguous), without
BLAS calls: one orientation takes milliseconds on a 100 k-facet mesh.

`orientation_matrix` turns a part as PrusaSlicer is asked to ("flat": largest flat face down;
"fewest_supports": the candidate direction with the smallest column), and `print_overhangs`
gives the figures of each orientation the quote form offers (`Analysis.printing`), which the
instant FDM estimate reads (`geometry.pricing.fdm`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from geometry.limits import ORIENTATIONS, PRINT_FIGURES_FACETS

SUPPORT_THRESHOLD_DEG = 45  # the profiles' support_material_threshold
OVERHANG_COS = math.cos(math.radians(SUPPORT_THRESHOLD_DEG))  # facing down more steeply than this: supported
DOWN = np.array([0.0, 0.0, -1.0])


@dataclass(frozen=True)
class Overhang:
    height_mm: float  # build height in this orientation
    area_mm2: float  # overhanging facets projected on the bed
    column_mm3: float  # that area × its height above the bed
    wall_mm2: float  # the surface as the layers' outlines sweep it: Σ area × sin(angle to the bed)
    skin_mm2: float  # the surface as top and bottom skins cover it: Σ area × |cos(angle to the bed)|

    def as_dict(self) -> dict[str, float]:
        return {
            "height_mm": self.height_mm,
            "overhang_mm2": self.area_mm2,
            "column_mm3": self.column_mm3,
            "wall_mm2": self.wall_mm2,
            "skin_mm2": self.skin_mm2,
        }


@dataclass(frozen=True)
class Facets:
    """The non-degenerate facets, one row per axis: normals (3, n) unit, as wound; areas (n,);
    centres (3, n); `kept` (faces,) which faces they are; the vertices (3, m) and the largest extent."""

    points: np.ndarray
    normals: np.ndarray
    areas: np.ndarray
    centres: np.ndarray
    kept: np.ndarray
    size: float

    @classmethod
    def of(cls, vertices: np.ndarray, faces: np.ndarray) -> Facets:
        points = np.ascontiguousarray(np.asarray(vertices, dtype=np.float64).T)
        corners = [[points[axis][faces[:, k]] for axis in range(3)] for k in range(3)]
        (ax, ay, az), (ux, uy, uz), (wx, wy, wz) = corners
        for u, w, a in ((ux, wx, ax), (uy, wy, ay), (uz, wz, az)):
            u -= a
            w -= a
        cross = np.stack([uy * wz - uz * wy, uz * wx - ux * wz, ux * wy - uy * wx])
        doubled = np.sqrt(np.einsum("ij,ij->j", cross, cross))
        kept = doubled > 0
        centres = np.stack([ax + (ux + wx) / 3, ay + (uy + wy) / 3, az + (uz + wz) / 3])
        if not kept.all():
            cross, doubled, centres = cross[:, kept], doubled[kept], centres[:, kept]
        size = float((points.max(axis=1) - points.min(axis=1)).max()) if points.size else 0.0
        return cls(points, cross / doubled, doubled / 2, centres, kept, size)

    def turned_out(self, outward: np.ndarray | float | None) -> np.ndarray:
        """The normals pointing out of the material: `outward` ±1 per face, or one sign for all."""
        if outward is None:
            return self.normals
        sign = np.asarray(outward, dtype=np.float64)
        return self.normals * (sign[self.kept] if sign.ndim else sign)


def overhang(facets: Facets, down: np.ndarray = DOWN, normals: np.ndarray | None = None) -> Overhang:
    """The figures of the part resting on the bed below it in direction `down` (a unit vector);
    `normals`: the facets' outward normals, where they differ from their winding."""
    normals = facets.normals if normals is None else normals
    along = _along(facets.points, down)
    low, reach = float(along.min()), float(along.max())
    facing = _along(normals, down)
    hanging = facing > OVERHANG_COS
    height = reach - _along(facets.centres[:, hanging], down)  # of each overhanging facet above the bed
    projected = facets.areas[hanging] * facing[hanging]
    projected[height <= max(0.05, 1e-4 * facets.size)] = 0.0  # lying on the bed: nothing to hold up
    sine = np.sqrt(np.maximum(1.0 - facing * facing, 0.0))
    return Overhang(
        height_mm=reach - low,
        area_mm2=float(projected.sum()),
        column_mm3=float(np.einsum("i,i", projected, height)),
        wall_mm2=float(np.einsum("i,i", facets.areas, sine)),
        skin_mm2=float(np.einsum("i,i", facets.areas, np.abs(facing))),
    )


def print_overhangs(
    vertices: np.ndarray,
    faces: np.ndarray,
    outward: np.ndarray | float | None = None,
    most: int = PRINT_FIGURES_FACETS,
) -> dict[str, dict[str, float]]:
    """For each orientation the quote form offers: its build height, surfaces and overhang.

    The orientations are found as the slicer finds them (from the facets as wound); the
    overhangs are measured with the normals pointing out of the material. A mesh of more than
    `most` facets is measured on every k-th facet, each counting k times, and on the corners
    of those (memory stays bounded: the vertices are not copied whole)."""
    step = max(1, -(-len(faces) // most))
    if step > 1:
        used, inverse = np.unique(faces[::step], return_inverse=True)
        vertices, faces = vertices[used], inverse.reshape(-1, 3)
        if outward is not None and np.ndim(outward):
            outward = np.asarray(outward)[::step]
    facets = Facets.of(vertices, faces)
    if step > 1:
        facets = Facets(facets.points, facets.normals, facets.areas * step, facets.centres, facets.kept, facets.size)
    downs = _downs(facets)
    normals = facets.turned_out(outward)
    return {name: overhang(facets, down, normals).as_dict() for name, down in downs.items()}


def _along(points: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """(3, n) points · direction, row by row: no BLAS call, whose threads would spin for so little."""
    return points[0] * direction[0] + points[1] * direction[1] + points[2] * direction[2]


# --------------------------------------------------------------------------- orientation


def orientation_matrix(vertices: np.ndarray, faces: np.ndarray, orientation: str) -> np.ndarray:
    """The rotation that puts the part on the bed as asked (identity for "as_uploaded").

    "flat": the largest flat face on the part's outside down. "fewest_supports": of the
    candidate directions (the large flat faces and the six axis directions), the one whose
    downward-facing facets need the least support, counted as overhang area × height.
    """
    if orientation == "as_uploaded":
        return np.eye(3)
    return _rotation_to_down(_downs(Facets.of(vertices, faces), (orientation,))[orientation])


def _downs(facets: Facets, wanted=ORIENTATIONS) -> dict[str, np.ndarray]:
    """The direction of the part that goes down on the bed, for each wanted orientation."""
    found = {"as_uploaded": DOWN}
    if wanted == ("as_uploaded",):
        return found
    candidates = _candidates(facets.normals, facets.areas)
    tolerance = max(1e-3, 1e-5 * facets.size)
    contact = [_contact_area(facets, d, tolerance) for d in candidates]
    if "flat" in wanted:
        found["flat"] = candidates[int(np.argmax(contact))]
    if "fewest_supports" in wanted:
        costs = [(overhang(facets, d).column_mm3, -contact[i]) for i, d in enumerate(candidates)]
        found["fewest_supports"] = candidates[min(range(len(candidates)), key=lambda i: costs[i])]
    return {name: found[name] for name in wanted}


def _candidates(normals: np.ndarray, areas: np.ndarray, count: int = 24) -> list[np.ndarray]:
    """The six axis directions and the normals of the largest groups of parallel facets."""
    axes = [np.array(v, dtype=float) for v in np.vstack([np.eye(3), -np.eye(3)])]
    # facets grouped by their normal rounded to 0.01, as one integer key each (in the order of
    # the rounded normals, as np.unique over rows would give, and much faster)
    steps = np.rint(normals * 100).astype(np.int64) + 100
    keys, inverse = np.unique((steps[0] * 201 + steps[1]) * 201 + steps[2], return_inverse=True)
    groups = np.stack([keys // (201 * 201), keys // 201 % 201, keys % 201], axis=1).astype(np.float64) / 100 - 1
    totals = np.bincount(inverse.ravel(), weights=areas, minlength=len(groups))
    found = []
    for index in np.argsort(totals)[::-1][:count]:
        direction = groups[index] / (np.linalg.norm(groups[index]) or 1)
        if not any(np.dot(direction, seen) > 0.9999 for seen in axes + found):
            found.append(direction)
    return axes + found


def _contact_area(facets: Facets, down: np.ndarray, tolerance: float) -> float:
    """Area of the facets that face `down` and lie on the plane the part would rest on."""
    reach = float(_along(facets.points, down).max())
    facing = _along(facets.normals, down) > 0.999
    on_bed = _along(facets.centres[:, facing], down) > reach - tolerance
    return float(facets.areas[facing][on_bed].sum())


def _rotation_to_down(direction: np.ndarray) -> np.ndarray:
    """The rotation taking `direction` to −Z (Rodrigues' formula)."""
    target = np.array([0.0, 0.0, -1.0])
    d = direction / np.linalg.norm(direction)
    axis = np.cross(d, target)
    sin = np.linalg.norm(axis)
    cos = float(np.dot(d, target))
    if sin < 1e-12:
        return np.eye(3) if cos > 0 else np.diag([1.0, -1.0, -1.0])
    k = axis / sin
    skew = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + sin * skew + (1 - cos) * skew @ skew
