"""How a part is milled: setups, undercuts, inside corner radii, deep pockets and holes.

Two halves. `brep_features` reads the exact B-rep (OpenCASCADE; it runs in the sandbox child
with the shape `geometry.step` has read): per face its triangle count in the tessellation,
whether it is a stock face, and its cylinders — holes (concave cylinders around an axis: their
diameter, depth, blind or through) and inside corners (concave fillet cylinders: their radius,
axis and length). `machining` then works on the tessellation alone (numpy and Embree rays), so
it serves meshes too:

- A tessellation triangle is reachable from an approach direction d (the tool comes from +d)
  when its outward normal has no negative component along d and a ray from it along d meets
  nothing of the part. A face is covered by a set of directions when almost all its area is
  reachable from one of them. The setups are the fewest directions of the orientation (±X,
  ±Y, ±Z of the world axes, or of the part's principal axes) that cover every face some
  direction reaches; faces no direction reaches are undercuts.
- A planar face on the part's box, facing out of it, is a face of the stock (plate sawn to
  size, a face milled flat): it needs no setup of its own.
- Inside corners count where their axis runs along a setup's direction (a pocket's corners; a
  fillet along a floor does not limit a flat end mill); the smallest sets the end mill.

Meshes have no faces: each triangle stands alone, and what needs the exact geometry (radii,
holes) is `None`. `feature_map` labels each tessellation triangle with the feature behind a
finding (see `FEATURES`), for the viewer to colour like the wall-thickness map
(`write_feature_glb`, `legend`); `geometry.step.measure_step(with_mesh=True)` hands it over with
the tessellation.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from geometry.limits import HOLE_ANGLE_TOL, HOLE_MIN_SPAN
from geometry.model import Finding

# per-triangle labels of `feature_map`, in order of precedence (a later one wins)
FEATURES = ("none", "small_radius", "nonstandard_hole", "deep_hole", "deep_pocket", "undercut")
FEATURE_COLOURS = {
    "none": (120, 160, 205),  # the preview's base colour
    "small_radius": (240, 200, 40),
    "nonstandard_hole": (150, 90, 200),
    "deep_hole": (230, 120, 30),
    "deep_pocket": (240, 80, 150),
    "undercut": (214, 40, 40),
}

COVERED_SHARE = 0.97  # a face is reached when this share of its area is
MESH_NOISE_SHARE = 0.001  # on meshes, unreached triangles below this share of the area are noise
MESH_MAX_RAYS = 50_000  # triangles judged on a large mesh (an even sample)
DEEP_POCKET_RATIO = 4.0  # a pocket deeper than this many tool diameters
DEEP_HOLE_RATIO = 6.0  # a hole deeper than this many diameters
DRILL_TOL_MM = 0.01
PARALLEL = 0.999  # |cos| for an axis running along a direction
FACING_TOL = 0.01  # a facet this little (0.6°) past square still faces the tool: tessellation noise
END_MILLS_MM = (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0, 16.0, 20.0)


def _standard_drills() -> tuple[float, ...]:
    """Drills a shop keeps: 0.5 mm steps to 20 mm, whole millimetres to 50, and the ISO metric
    tap-drill and clearance-hole sizes (ISO 273) that fall between."""
    sizes = {round(0.5 * k, 2) for k in range(2, 41)} | {float(k) for k in range(21, 51)}
    sizes |= {1.6, 2.05, 2.4, 3.3, 3.4, 4.2, 4.3, 4.8, 5.3, 6.4, 6.6, 6.8, 8.4, 8.5, 10.2, 10.5,
              13.5, 14.5, 15.5, 17.5, 19.5, 20.5, 21.5, 23.5, 24.5, 26.5, 29.5, 31.5, 32.5, 37.5}
    return tuple(sorted(sizes))


STANDARD_DRILLS_MM = _standard_drills()


def standard_drill(diameter_mm: float) -> bool:
    return any(abs(diameter_mm - d) <= DRILL_TOL_MM for d in STANDARD_DRILLS_MM)


def end_mill_for(radius_mm: float) -> float:
    """The largest standard end mill that fits an inside corner of this radius."""
    fits = [d for d in END_MILLS_MM if d <= 2 * radius_mm + 1e-9]
    return fits[-1] if fits else END_MILLS_MM[0]


# --------------------------------------------------------------------------- the B-rep side


@dataclass
class Hole:
    diameter_mm: float
    depth_mm: float
    through: bool
    axis: tuple[float, float, float]
    faces: list[int]
    start: tuple[float, float, float] = (0.0, 0.0, 0.0)  # on the axis, at the end `axis` leaves

    @property
    def standard(self) -> bool:
        return standard_drill(self.diameter_mm)


@dataclass
class Corner:
    """A concave fillet cylinder that is not a hole: an inside corner of radius `radius_mm`."""

    radius_mm: float
    axis: tuple[float, float, float]
    length_mm: float
    face: int


@dataclass
class BrepFeatures:
    """Plain data from the exact geometry, per B-rep face in the tessellation's order."""

    face_triangles: np.ndarray  # (faces,) triangles of each face, in the tessellation's order
    stock_face: np.ndarray  # (faces,) bool: planar, on the part's box, facing out of it
    planar: np.ndarray | None = None  # (faces,) bool
    holes: list[Hole] = field(default_factory=list)
    corners: list[Corner] = field(default_factory=list)


def brep_features(shape, bbox: tuple[float, ...]) -> BrepFeatures:
    """Read the faces of a meshed shape (runs in the sandbox child). `bbox`: xmin, ymin, zmin,
    xmax, ymax, zmax of the part."""
    from OCP.BRep import BRep_Tool
    from OCP.BRepAdaptor import BRepAdaptor_Surface
    from OCP.GeomAbs import GeomAbs_Cylinder, GeomAbs_Plane
    from OCP.TopAbs import TopAbs_FACE, TopAbs_REVERSED
    from OCP.TopExp import TopExp_Explorer
    from OCP.TopLoc import TopLoc_Location
    from OCP.TopoDS import TopoDS

    lo, hi = np.asarray(bbox[:3]), np.asarray(bbox[3:])
    tol = 1e-4 * max(float(np.max(hi - lo)), 1.0)
    counts, stock, cylinders, planar = [], [], [], []
    explorer = TopExp_Explorer(shape, TopAbs_FACE)
    index = 0
    while explorer.More():
        face = TopoDS.Face_s(explorer.Current())
        explorer.Next()
        tri = BRep_Tool.Triangulation_s(face, TopLoc_Location())
        counts.append(tri.NbTriangles() if tri is not None else 0)
        surface = BRepAdaptor_Surface(face)
        kind = surface.GetType()
        reversed_ = face.Orientation() == TopAbs_REVERSED
        on_box = False
        if kind == GeomAbs_Plane:
            on_box = _plane_on_box(surface.Plane(), reversed_, lo, hi, tol)
        elif kind == GeomAbs_Cylinder:
            cylinder = _cylinder(surface, reversed_, index)
            if cylinder is not None:
                cylinders.append(cylinder)
        stock.append(on_box)
        planar.append(kind == GeomAbs_Plane)
        index += 1
    holes, corners = _holes_and_corners(cylinders, tol)
    return BrepFeatures(
        face_triangles=np.asarray(counts, dtype=np.int64),
        stock_face=np.asarray(stock, dtype=bool),
        holes=holes,
        corners=corners,
        planar=np.asarray(planar, dtype=bool),
    )


def _plane_on_box(plane, reversed_: bool, lo, hi, tol) -> bool:
    axis = plane.Axis()
    d, p = axis.Direction(), axis.Location()
    normal = np.array([d.X(), d.Y(), d.Z()]) * (-1.0 if reversed_ != (not plane.Direct()) else 1.0)
    k = int(np.argmax(np.abs(normal)))
    if abs(normal[k]) < PARALLEL:
        return False
    at = (p.X(), p.Y(), p.Z())[k]
    return bool(abs(at - (hi[k] if normal[k] > 0 else lo[k])) <= tol)


def _cylinder(surface, reversed_: bool, index: int):
    """(axis point, unit axis, radius, arc, v range, face) of a concave cylinder, else None."""
    from OCP.gp import gp_Pnt, gp_Vec

    axis = surface.Cylinder().Axis()
    loc, dirn = axis.Location(), axis.Direction()
    origin = np.array([loc.X(), loc.Y(), loc.Z()])
    direction = np.array([dirn.X(), dirn.Y(), dirn.Z()])
    u0, u1 = surface.FirstUParameter(), surface.LastUParameter()
    v0, v1 = surface.FirstVParameter(), surface.LastVParameter()
    point, du, dv = gp_Pnt(), gp_Vec(), gp_Vec()
    surface.D1(0.5 * (u0 + u1), 0.5 * (v0 + v1), point, du, dv)
    normal = np.array(du.Crossed(dv).Coord())
    if np.linalg.norm(normal) < 1e-12:
        return None
    normal *= -1.0 if reversed_ else 1.0
    rel = np.array([point.X(), point.Y(), point.Z()]) - origin
    towards_axis = direction * float(rel @ direction) - rel
    if float(normal @ towards_axis) <= 0:  # convex: an outer wall or a boss
        return None
    radius = surface.Cylinder().Radius()
    return origin, direction, radius, min(u1 - u0, 2 * math.pi), (v0, v1), index


def _holes_and_corners(cylinders, tol) -> tuple[list[Hole], list[Corner]]:
    """Concave cylinders of one axis and radius, in one stretch along it, whose arcs close
    (nearly) round are a hole; the others are inside corners."""
    groups: dict[tuple, list] = {}
    for cyl in cylinders:
        origin, direction, radius = cyl[0], cyl[1], cyl[2]
        if max(direction, key=abs) < 0:
            direction = -direction
        base = origin - direction * float(origin @ direction)
        key = (
            tuple(np.round(direction * 1e4).astype(int)),
            tuple(np.round(base / max(tol, 1e-3)).astype(int)),
            round(radius / max(tol, 1e-3)),
        )
        groups.setdefault(key, []).append((cyl, direction, base))
    holes, corners = [], []
    for members in groups.values():
        for stretch in _stretches(members, tol):
            span = sum(cyl[3] for cyl, _, _ in stretch)
            if span >= HOLE_MIN_SPAN - HOLE_ANGLE_TOL:
                holes.append(_hole(stretch))
                continue
            for cyl, direction, _ in stretch:
                v0, v1 = cyl[4]
                corners.append(Corner(float(cyl[2]), tuple(float(c) for c in direction), float(v1 - v0), cyl[5]))
    return holes, corners


def _interval(cyl, direction) -> tuple[float, float]:
    """Where a cylinder face lies along `direction` (its own axis may point the other way)."""
    origin, own, (v0, v1) = cyl[0], cyl[1], cyl[4]
    ends = [float((origin + own * v) @ direction) for v in (v0, v1)]
    return min(ends), max(ends)


def _stretches(members, tol) -> list[list]:
    """Faces of one axis split where they leave a gap along it (two holes drilled from
    opposite sides on one line are two holes)."""
    ordered = sorted(members, key=lambda m: _interval(m[0], m[1])[0])
    out, end = [], -math.inf
    for member in ordered:
        lo, hi = _interval(member[0], member[1])
        if not out or lo > end + tol:
            out.append([])
        out[-1].append(member)
        end = max(end, hi)
    return out


def _hole(stretch) -> Hole:
    direction, base = stretch[0][1], stretch[0][2]
    spans = [_interval(cyl, direction) for cyl, _, _ in stretch]
    lo, hi = min(a for a, _ in spans), max(b for _, b in spans)
    return Hole(
        diameter_mm=2 * float(stretch[0][0][2]),
        depth_mm=hi - lo,
        through=True,  # decided on the tessellation (`_through`)
        axis=tuple(float(c) for c in direction),
        faces=sorted(cyl[5] for cyl, _, _ in stretch),
        start=tuple(float(c) for c in base + direction * lo),
    )


def _perpendicular(direction: np.ndarray) -> np.ndarray:
    other = np.array([1.0, 0.0, 0.0]) if abs(direction[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    out = np.cross(direction, other)
    return out / np.linalg.norm(out)


def _through(scene, hole: Hole, middle: np.ndarray) -> bool:
    """Open at both ends: rays along the axis, from mid-depth just inside the wall, meet nothing
    at the ends (a blind hole's bottom, a counterbore's step stops them there)."""
    axis = np.asarray(hole.axis)
    radius = hole.diameter_mm / 2
    half = hole.depth_mm / 2
    centre = np.asarray(hole.start) + axis * half + _perpendicular(axis) * 0.9 * radius - middle
    starts = np.array([centre, centre], dtype=np.float32)
    dirs = np.array([axis, -axis], dtype=np.float32)
    found = scene.run(starts, dirs, output=1)
    distance = np.where(found["primID"] >= 0, found["tfar"], np.inf)
    return bool(np.all(distance > half + 0.25 * radius + 1e-3))


# --------------------------------------------------------------------------- the tessellation side


AXES = ("X", "Y", "Z")


@dataclass
class Machining:
    setups: int
    directions: list[str]  # e.g. ["+Z", "-Z"], of `frame`
    frame: np.ndarray  # (3, 3) rows: the X, Y, Z axes of the orientation chosen
    extents_mm: tuple[float, float, float]  # the part along the frame's X, Y, Z
    undercut_faces: int
    surfaces_mm2: dict[str, float]  # floors, walls, freeform (and its shadow), hole walls, stock
    feature_map: np.ndarray  # (triangles,) uint8 index into FEATURES
    min_inside_radius_mm: float | None = None
    sharp_inside_corners: int | None = None  # sharp concave edges along a setup's direction
    inside_corners: list[dict] | None = None  # rounded ones: one entry per radius and depth
    deep_pockets: list[dict] | None = None
    holes: list[dict] | None = None
    undercut_triangles: list[tuple[int, int]] = field(default_factory=list)

    def as_dict(self) -> dict:
        """The JSON `analyze` gives (no per-triangle arrays)."""
        return {
            "setups": self.setups,
            "directions": list(self.directions),
            "frame": [[round(float(c), 6) for c in row] for row in self.frame],
            "extents_mm": [round(float(e), 4) for e in self.extents_mm],
            "undercut_faces": self.undercut_faces,
            "min_inside_radius_mm": self.min_inside_radius_mm,
            "sharp_inside_corners": self.sharp_inside_corners,
            "inside_corners": self.inside_corners,
            "deep_pockets": self.deep_pockets,
            "holes": self.holes,
            "surfaces_mm2": {k: round(v, 3) for k, v in self.surfaces_mm2.items()},
        }

    def findings(self) -> list[Finding]:
        found = []
        if self.undercut_faces:
            found.append(Finding.of(
                "undercut", count=self.undercut_faces, triangles=_ranges(self.feature_map == FEATURES.index("undercut"))
            ))
        if self.deep_pockets:
            worst = max(self.deep_pockets, key=lambda p: p["depth_mm"] / p["tool_mm"])
            found.append(Finding.of(
                "deep_pocket",
                depth_mm=worst["depth_mm"],
                radius_mm=worst["radius_mm"],
                tool_mm=worst["tool_mm"],
                reach_mm=DEEP_POCKET_RATIO * worst["tool_mm"],
                triangles=_ranges(self.feature_map == FEATURES.index("deep_pocket")),
            ))
        if self.sharp_inside_corners:
            found.append(Finding.of(
                "sharp_inside_corner",
                count=self.sharp_inside_corners,
                triangles=_ranges(self.feature_map == FEATURES.index("small_radius")),
            ))
        deep = [h for h in self.holes or () if h["depth_mm"] > DEEP_HOLE_RATIO * h["diameter_mm"]]
        if deep:
            worst = max(deep, key=lambda h: h["depth_mm"] / h["diameter_mm"])
            found.append(Finding.of(
                "deep_hole",
                count=len(deep),
                diameter_mm=worst["diameter_mm"],
                depth_mm=worst["depth_mm"],
                triangles=_ranges(self.feature_map == FEATURES.index("deep_hole")),
            ))
        odd = [h for h in self.holes or () if not h["standard"]]
        if odd:
            found.append(Finding.of(
                "nonstandard_hole",
                count=len(odd),
                diameter_mm=odd[0]["diameter_mm"],
                triangles=_ranges(self.feature_map == FEATURES.index("nonstandard_hole")),
            ))
        return found


def _ranges(mask: np.ndarray, limit: int = 500) -> list[list[int]]:
    """[start, end) runs of True in a per-triangle mask (at most `limit` of them)."""
    if not mask.any():
        return []
    padded = np.concatenate(([False], mask, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    runs = edges.reshape(-1, 2)[:limit]
    return [[int(a), int(b)] for a, b in runs]


def _unit_normals(vertices: np.ndarray, faces: np.ndarray, outward) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    tri = np.take(vertices, faces, axis=0).astype(np.float64)
    cross = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    double = np.linalg.norm(cross, axis=1)
    normals = np.divide(cross, double[:, None], out=np.zeros_like(cross), where=double[:, None] > 0)
    sign = np.asarray(outward, dtype=np.float64)
    normals *= sign[:, None] if sign.ndim else sign
    return normals, 0.5 * double, tri.mean(axis=1)


def _frames(vertices: np.ndarray, normals: np.ndarray, areas: np.ndarray) -> list[np.ndarray]:
    """The world axes, and the part's own axes when it lies skewed: the directions the largest
    flat areas face (area-weighted normals' second moment), made orthonormal."""
    frames = [np.eye(3)]
    moment = (normals * areas[:, None]).T @ normals
    _, vectors = np.linalg.eigh(moment)
    frame = vectors.T[::-1].copy()
    if np.linalg.det(frame) < 0:
        frame[2] *= -1
    if np.min(np.max(np.abs(frame), axis=1)) < PARALLEL:  # not the world axes again
        frames.append(frame)
    return frames


def _reachable(scene, centres, normals, direction, lift) -> np.ndarray:
    facing = _project(normals, direction) >= -FACING_TOL
    picks = np.flatnonzero(facing)
    reach = np.zeros(len(normals), dtype=bool)
    if not len(picks):
        return reach
    start = centres[picks] + lift * (normals[picks] + direction)
    dirs = np.broadcast_to(direction, start.shape)
    hit = scene.run(start.astype(np.float32), np.ascontiguousarray(dirs, dtype=np.float32))
    reach[picks[hit < 0]] = True
    return reach


@dataclass
class _Plan:
    frame: np.ndarray
    chosen: tuple[int, ...]  # direction indices (0..5: +X -X +Y -Y +Z -Z)
    unreached: np.ndarray  # bool per group
    reach: np.ndarray  # (6, triangles) bool
    extents: np.ndarray


def machining(
    vertices: np.ndarray,
    faces: np.ndarray,
    outward=1.0,
    brep: BrepFeatures | None = None,
    max_rays: int = MESH_MAX_RAYS,
) -> Machining:
    """The machining features of a tessellated part (see the module docstring).

    A mesh of more than `max_rays` triangles is judged on an even sample of them (every
    triangle still blocks the rays); the others take the label of the sampled one before them.
    (`geometry.analyze` gives meshes above `MACHINING_MESH_MAX_FACETS` no figures at all.)
    """
    from embreex import mesh_construction, rtcore_scene

    vertices = np.asarray(vertices, dtype=np.float64)
    faces = np.asarray(faces, dtype=np.int64)
    n = len(faces)
    picks = None
    if brep is not None and int(brep.face_triangles.sum()) == n:
        normals, areas, centres = _unit_normals(vertices, faces, outward)
        group = np.repeat(np.arange(len(brep.face_triangles)), brep.face_triangles)
        groups = len(brep.face_triangles)
        stock = brep.stock_face
        noise = 0.0
    else:  # a mesh (or a tessellation that does not match its faces): triangles alone
        brep = None
        if n > max_rays:
            picks = np.linspace(0, n - 1, max_rays).astype(np.int64)
        sign = np.asarray(outward, dtype=np.float64)
        chosen = faces if picks is None else faces[picks]
        normals, areas, centres = _unit_normals(
            vertices, chosen, sign if sign.ndim == 0 or picks is None else sign[picks]
        )
        group, groups = np.arange(len(chosen)), len(chosen)
        stock = None
        noise = MESH_NOISE_SHARE * float(areas.sum())
    group_area = np.bincount(group, weights=areas, minlength=groups)

    # rays in float32 about the part's middle: far from the origin float32 steps would
    # reach the lift off each facet
    middle = 0.5 * (vertices.min(axis=0) + vertices.max(axis=0))
    scene = rtcore_scene.EmbreeScene()
    mesh_construction.TriangleMesh(
        scene=scene,
        vertices=np.ascontiguousarray(vertices - middle, dtype=np.float32),
        indices=np.ascontiguousarray(faces, dtype=np.int32),
    )
    extent = float(np.max(np.ptp(vertices, axis=0)))
    lift = 1e-4 * max(extent, 1e-3)
    plans = [
        _plan(frame, scene, vertices, centres, normals, areas, group, groups, group_area, stock, noise, lift, middle)
        for frame in _frames(vertices, normals, areas)
    ]
    # faces left unreached first (an undercut in one frame may be plain in another), then setups
    plan = min(plans, key=lambda p: (float(group_area[p.unreached].sum()), len(p.chosen), float(np.prod(p.extents))))

    labels = np.zeros(len(group), dtype=np.uint8)
    names = [("+" if k % 2 == 0 else "-") + AXES[k // 2] for k in plan.chosen]
    up = _up_axis(plan)
    order = [a for a in range(3) if a != up] + [up]  # the frame re-ordered: Z along the main setup
    frame = plan.frame[order]
    if np.linalg.det(frame) < 0:
        frame[0] *= -1
    renamed = {AXES[a]: AXES[i] for i, a in enumerate(order)}
    names = [name[0] + renamed[name[1]] for name in names]
    undercut = int(np.count_nonzero(plan.unreached & (group_area > 0)))
    if picks is not None:  # a sample: the count scaled to the whole mesh
        undercut = round(undercut * n / len(picks))
    result = Machining(
        setups=max(len(plan.chosen), 1),
        directions=names,
        frame=frame,
        extents_mm=tuple(float(plan.extents[a]) for a in order),
        undercut_faces=undercut,
        surfaces_mm2=_surfaces(plan, normals, areas, _hole_triangles(brep, group)),
        feature_map=labels,
    )
    labels[plan.unreached[group]] = FEATURES.index("undercut")
    if brep is not None:
        for hole in brep.holes:
            hole.through = _through(scene, hole, middle)
        _brep_figures(result, brep, plan, group, labels)
        result.sharp_inside_corners = _sharp_corners(
            vertices, faces, normals, areas, centres, group, brep, plan, labels
        )
    if picks is not None:
        scale = n / len(picks)
        result.surfaces_mm2 = {k: v * scale for k, v in result.surfaces_mm2.items()}
        owner = np.searchsorted(picks, np.arange(n), side="right") - 1
        result.feature_map = labels[np.maximum(owner, 0)]
    return result


def _plan(frame, scene, vertices, centres, normals, areas, group, groups, group_area, stock, noise, lift, middle):
    directions = [sign * frame[a] for a in range(3) for sign in (1.0, -1.0)]
    reach = np.stack([_reachable(scene, centres - middle, normals, d, lift) for d in directions])
    total = np.where(group_area > 0, group_area, 1.0)
    anywhere = np.bincount(group, weights=areas * reach.any(axis=0), minlength=groups) / total
    lo, hi = _bounds(vertices, frame)
    exempt = stock if stock is not None else _mesh_stock(lo, hi, normals, centres, frame, lift)[group]
    reached = anywhere >= COVERED_SHARE
    if noise:  # a mesh: unreached slivers along edges are ray noise
        reached |= _small(~reached, group_area, noise)
    needed = reached & ~exempt & (group_area > 0)
    extents = hi - lo
    chosen: tuple[int, ...] = ()
    best = None
    for size in range(0, 7):
        for subset in itertools.combinations(range(6), size):
            if subset:
                covered = np.bincount(
                    group, weights=areas * reach[list(subset)].any(axis=0), minlength=groups
                ) / total >= COVERED_SHARE
            else:
                covered = np.zeros(groups, dtype=bool)
            missing = needed & ~covered
            if noise and group_area[missing].sum() <= noise:
                missing[:] = False
            if missing.any():
                continue
            # among equal counts: setups along the thinnest axes (a tall part is laid flat)
            key = sum(float(extents[k // 2]) for k in subset)
            if best is None or key < best:
                best, chosen = key, subset
        if best is not None:
            break
    return _Plan(frame, chosen, ~reached & ~exempt & (group_area > 0), reach, extents)


def _small(mask: np.ndarray, group_area: np.ndarray, noise: float) -> np.ndarray:
    return mask if float(group_area[mask].sum()) <= noise else np.zeros_like(mask)


def _project(points: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """Coordinates along one axis (plain products: no BLAS threads for a 3-column product)."""
    return points[:, 0] * axis[0] + points[:, 1] * axis[1] + points[:, 2] * axis[2]


def _bounds(vertices: np.ndarray, frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if np.array_equal(frame, np.eye(3)):
        return vertices.min(axis=0), vertices.max(axis=0)
    along = [_project(vertices, axis) for axis in frame]
    return np.array([a.min() for a in along]), np.array([a.max() for a in along])


def _mesh_stock(lo, hi, normals, centres, frame, lift) -> np.ndarray:
    """Triangles of a mesh on the part's box in the frame, facing out of it."""
    projected = np.stack([_project(centres, axis) for axis in frame], axis=1)
    along = np.stack([_project(normals, axis) for axis in frame], axis=1)
    tol = 10 * lift
    out = np.zeros(len(normals), dtype=bool)
    for a in range(3):
        out |= (along[:, a] >= PARALLEL) & (projected[:, a] >= hi[a] - tol)
        out |= (along[:, a] <= -PARALLEL) & (projected[:, a] <= lo[a] + tol)
    return out


def _up_axis(plan: _Plan) -> int:
    """The frame axis of the main setup: the one reaching the most area (ties: the thinnest)."""
    if not plan.chosen:
        return int(np.argmin(plan.extents))
    axes = {k // 2 for k in plan.chosen}
    return min(axes, key=lambda a: (-int(plan.reach[2 * a].sum() + plan.reach[2 * a + 1].sum()), plan.extents[a]))


def _hole_triangles(brep: BrepFeatures | None, group: np.ndarray) -> np.ndarray:
    if brep is None or not brep.holes:
        return np.zeros(len(group), dtype=bool)
    return np.isin(group, [f for hole in brep.holes for f in hole.faces])


def _surfaces(plan: _Plan, normals, areas, drilled) -> dict[str, float]:
    """Area to finish by kind, each triangle in the setup it faces most: floors (facing the
    tool), walls (along it), freeform (between); `holes`: hole walls, drilled rather than
    finished; `stock`: faces left as the stock came, which no chosen setup reaches (a plate's
    underside)."""
    out = {"floor": 0.0, "wall": 0.0, "freeform": 0.0, "freeform_projected": 0.0, "holes": float(areas[drilled].sum())}
    out["stock"] = 0.0
    if not plan.chosen:
        out["stock"] = float(areas[~drilled].sum())
        return out
    dirs = np.array([(1.0 if k % 2 == 0 else -1.0) * plan.frame[k // 2] for k in plan.chosen])
    cosines = normals @ dirs.T  # (triangles, setups)
    best = np.max(np.where(plan.reach[list(plan.chosen)].T, cosines, -2.0), axis=1)
    reached = best > -2.0
    best = np.where(drilled, -2.0, best)
    reached &= ~drilled
    floor = reached & (best >= PARALLEL)
    wall = reached & ~floor & (np.abs(best) <= 1 - PARALLEL)
    out["floor"] = float(areas[floor].sum())
    out["wall"] = float(areas[wall].sum())
    freeform = reached & ~floor & ~wall
    out["freeform"] = float(areas[freeform].sum())
    # a raster finishes a freeform face over its shadow in the setup's direction
    out["freeform_projected"] = float((areas[freeform] * np.clip(best[freeform], 0.0, 1.0)).sum())
    out["stock"] = float(areas[~reached & ~drilled].sum())
    return out


def _brep_figures(result: Machining, brep: BrepFeatures, plan: _Plan, group, labels) -> None:
    directions = [plan.frame[k // 2] for k in plan.chosen] or [plan.frame[2]]
    along = [c for c in brep.corners if max(abs(float(np.dot(c.axis, d))) for d in directions) >= PARALLEL]
    holes = []
    for hole in brep.holes:
        holes.append({
            "diameter_mm": round(hole.diameter_mm, 4),
            "depth_mm": round(hole.depth_mm, 4),
            "through": hole.through,
            "standard": hole.standard,
        })
        deep = hole.depth_mm > DEEP_HOLE_RATIO * hole.diameter_mm
        label = "deep_hole" if deep else ("nonstandard_hole" if not hole.standard else None)
        if label:
            _label_faces(labels, group, hole.faces, label)
    result.holes = holes
    result.inside_corners = []
    pockets = []
    if along:
        smallest = min(c.radius_mm for c in along)
        result.min_inside_radius_mm = round(smallest, 4)
        _label_faces(labels, group, [c.face for c in along if c.radius_mm <= smallest + 1e-6], "small_radius")
        corners = []
        for corner in along:
            tool = end_mill_for(corner.radius_mm)
            entry = {"depth_mm": round(corner.length_mm, 4), "radius_mm": round(corner.radius_mm, 4), "tool_mm": tool}
            corners.append(entry)
            if corner.length_mm > DEEP_POCKET_RATIO * tool:
                pockets.append(entry)
                _label_faces(labels, group, [corner.face], "deep_pocket")
        result.inside_corners = _distinct(corners)
    result.deep_pockets = _distinct(pockets)
    labels[plan.unreached[group]] = FEATURES.index("undercut")


def _sharp_corners(vertices, faces, normals, areas, centres, group, brep: BrepFeatures, plan: _Plan, labels) -> int:
    """Sharp concave edges between two planar faces that run along a setup's direction (a
    pocket's unrounded corners: a rotating tool cannot cut them), counted per pair of faces.

    Found on the tessellation: two triangles of different faces sharing an edge, each lying on
    the outer side of the other's plane, their normals more than 30° apart.
    """
    if brep.planar is None or not plan.chosen:
        return 0
    n = len(faces)
    edges = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    owner = np.tile(np.arange(n), 3)
    edges.sort(axis=1)
    key = edges[:, 0] * (int(edges.max()) + 1) + edges[:, 1]
    order = np.argsort(key, kind="stable")
    key, owner, edges = key[order], owner[order], edges[order]
    pair = np.flatnonzero(key[1:] == key[:-1])
    a, b = owner[pair], owner[pair + 1]
    keep = (group[a] != group[b]) & brep.planar[group[a]] & brep.planar[group[b]]
    keep &= np.einsum("ij,ij->i", normals[a], normals[b]) < math.cos(math.radians(30))
    # concave: each triangle's centre lies outside the other's plane
    keep &= np.einsum("ij,ij->i", normals[a], centres[b] - centres[a]) > 0
    a, b, ends = a[keep], b[keep], edges[pair[keep]]
    if not len(a):
        return 0
    along = vertices[ends[:, 1]] - vertices[ends[:, 0]]
    along /= np.maximum(np.linalg.norm(along, axis=1, keepdims=True), 1e-12)
    # a face is cut in a setup that reaches (most of) it; an edge whose two faces one setup
    # cuts as floor and wall is fine, one whose faces a setup cuts only as two walls is a corner
    groups = len(brep.face_triangles)
    total = np.maximum(np.bincount(group, weights=areas, minlength=groups), 1e-300)
    corner = np.zeros(len(a), dtype=bool)
    fine = np.zeros(len(a), dtype=bool)
    for k in plan.chosen:
        cut = np.bincount(group, weights=areas * plan.reach[k], minlength=groups) / total >= COVERED_SHARE
        both = cut[group[a]] & cut[group[b]]
        cosine = np.abs(along @ plan.frame[k // 2])
        corner |= both & (cosine >= PARALLEL)
        fine |= both & (cosine <= 1 - PARALLEL)
    vertical = corner & ~fine
    pairs = {(int(min(x, y)), int(max(x, y))) for x, y in zip(group[a[vertical]], group[b[vertical]], strict=True)}
    _label_faces(labels, group, sorted({f for p in pairs for f in p}), "small_radius")
    return len(pairs)


def _distinct(pockets: list[dict]) -> list[dict]:
    """One entry per depth and radius (a pocket's four corners are one pocket)."""
    seen, out = set(), []
    for p in pockets:
        key = (p["depth_mm"], p["radius_mm"])
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def _label_faces(labels, group, face_ids, name: str) -> None:
    value = FEATURES.index(name)
    mask = np.isin(group, np.asarray(face_ids, dtype=np.int64))
    labels[mask] = np.maximum(labels[mask], value)


def feature_colours(labels: np.ndarray) -> np.ndarray:
    """RGBA uint8 per label (per triangle or per vertex)."""
    table = np.array([(*FEATURE_COLOURS[name], 255) for name in FEATURES], dtype=np.uint8)
    return table[np.asarray(labels, dtype=np.int64)]


def write_feature_glb(mesh, labels: np.ndarray, path, max_faces: int, small=None):
    """A GLB of `mesh` (decimated to `max_faces`, or `small` if the caller has decimated it
    already) coloured by feature: each point takes the strongest label of the facets around it
    (on a decimated mesh, that of the nearest full-mesh point). Returns the mesh written."""
    import trimesh

    from geometry.preview import decimate

    faces = np.asarray(mesh.faces)
    per_vertex = np.zeros(len(mesh.vertices), dtype=np.uint8)
    for k in range(3):
        np.maximum.at(per_vertex, faces[:, k], np.asarray(labels, dtype=np.uint8))
    if small is None:
        small = decimate(mesh, max_faces)
    if len(small.faces) != len(faces) or len(small.vertices) != len(mesh.vertices):
        from scipy.spatial import cKDTree

        _, nearest = cKDTree(np.asarray(mesh.vertices, dtype=np.float64)).query(small.vertices, k=1)
        per_vertex = per_vertex[nearest]
    tm = trimesh.Trimesh(
        vertices=np.asarray(small.vertices, dtype=np.float64),
        faces=np.asarray(small.faces, dtype=np.int64),
        vertex_colors=feature_colours(per_vertex),
        process=False,
        validate=False,
    )
    with open(path, "wb") as fh:
        fh.write(tm.export(file_type="glb"))
    return small


def legend() -> list[dict]:
    """The colours of the feature map, for a page's legend (codes; the page words them)."""
    return [{"feature": name, "rgb": list(FEATURE_COLOURS[name])} for name in FEATURES]


def machining_of_shape(shape, vertices: np.ndarray, faces: np.ndarray) -> Machining:
    """The features of a meshed B-rep shape, on its tessellation `(vertices, faces)` (whose
    triangles run face by face in the shape's order, outward). Runs in the sandbox child."""
    bbox = (*np.min(vertices, axis=0), *np.max(vertices, axis=0))
    return machining(vertices, faces, 1.0, brep_features(shape, bbox))
