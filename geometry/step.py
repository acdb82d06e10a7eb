"""STEP/STP: exact measures from OpenCASCADE, read inside the sandbox.

`analyze_step(path)` and `load_step_mesh(path)` check the header here (cheap, in the caller),
then run the parse in a child of the warm sandbox parent (`geometry.sandbox`): OpenCASCADE may
segfault or hang on a hostile file, and only small plain results cross the pipe.

This module imports OCP only inside the functions that run in the sandbox (and in `warm_up`,
which the warm parent calls once), so importing it costs the caller nothing.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from geometry.limits import (
    COORD_LIMIT_MM,
    HOLE_ANGLE_TOL,
    HOLE_AXIS_TOL_MM,
    HOLE_MIN_SPAN,
    STEP_ANGULAR_DEFLECTION,
    STEP_DEFLECTION_MAX_MM,
    STEP_DEFLECTION_MIN_MM,
    STEP_DEFLECTION_REL,
)
from geometry.model import Analysis, Finding, GeometryError, Mesh, ProcessLimits

STEP_MAGIC = b"ISO-10303-21"

# The OCP modules the readers use; the warm parent imports them once.
OCP_MODULES = (
    "OCP.STEPControl",
    "OCP.IFSelect",
    "OCP.Interface",
    "OCP.GProp",
    "OCP.BRepGProp",
    "OCP.Bnd",
    "OCP.BRepBndLib",
    "OCP.BRepMesh",
    "OCP.BRep",
    "OCP.BRepAdaptor",
    "OCP.BRepPrimAPI",
    "OCP.BRepBuilderAPI",
    "OCP.StlAPI",
    "OCP.TopExp",
    "OCP.TopAbs",
    "OCP.TopoDS",
    "OCP.TopLoc",
    "OCP.GeomAbs",
    "OCP.gp",
    # the product structure (`geometry.assembly`)
    "OCP.STEPCAFControl",
    "OCP.TDocStd",
    "OCP.TDF",
    "OCP.TDataStd",
    "OCP.TCollection",
    "OCP.XCAFDoc",
)


# --------------------------------------------------------------------------- caller side


def check_step_header(path: str | os.PathLike) -> None:
    """A STEP file must start with ISO-10303-21 (after an optional BOM and blank space)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(256)
    except OSError as exc:
        raise GeometryError("unreadable", exc.strerror or "") from None
    head = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not head.startswith(STEP_MAGIC):
        raise GeometryError("unknown_format", "not STEP: no ISO-10303-21 header")


def analyze_step(path: str | os.PathLike, sandbox=None, limits: Sequence[ProcessLimits] = ()) -> Analysis:
    """Measure a STEP file exactly (volume, area, bbox, solids, faces, holes) in the sandbox.

    With process `limits`, the build-envelope and thin-wall checks run as well (the thin-wall
    rays are cast on the tessellation, which then crosses the pipe too).
    """
    check_step_header(path)
    sandbox = _sandbox(sandbox)
    limits = tuple(limits)
    measured: StepMeasures = sandbox.run(measure_step, os.fspath(path), with_mesh=bool(limits))
    return step_analysis(measured, limits)


def load_step_mesh(path: str | os.PathLike, sandbox=None) -> Mesh:
    """Tessellate a STEP file in the sandbox (for previews)."""
    check_step_header(path)
    sandbox = _sandbox(sandbox)
    vertices, faces = sandbox.run(tessellate_step, os.fspath(path))
    return Mesh(vertices=vertices, faces=faces)


def _sandbox(sandbox):
    if sandbox is not None:
        return sandbox
    from geometry.sandbox import default_sandbox

    return default_sandbox()


@dataclass
class StepMeasures:
    """What the child sends back: plain numbers (and the tessellation when asked for)."""

    solids: int  # including those made from closed shells
    solids_from_shells: int
    shells: int
    closed_shells: int
    faces: int
    volume_mm3: float
    area_mm2: float
    bbox_mm: tuple[float, float, float]
    obb_mm: tuple[float, float, float]
    triangles: int
    holes: int
    solid_volumes: list[float] = field(default_factory=list)
    parts: list[dict] = field(default_factory=list)  # Analysis.parts (`geometry.assembly`)
    part_findings: list[Finding] = field(default_factory=list)
    mesh_vertices: np.ndarray | None = None  # the tessellation, when asked for
    mesh_faces: np.ndarray | None = None
    machining: dict | None = None  # `geometry.machining`: setups, undercuts, corners, holes
    machining_findings: list[Finding] = field(default_factory=list)
    feature_map: np.ndarray | None = None  # per tessellation triangle (`geometry.machining.FEATURES`)
    printing: dict | None = None  # Analysis.printing (`geometry.overhang.print_overhangs`)


def step_analysis(m: StepMeasures, limits: Sequence[ProcessLimits] = ()) -> Analysis:
    from geometry import dfm
    from geometry.rays import thin_wall
    from geometry.units import read_units

    findings: list[Finding] = []
    if m.solids == 0:
        findings.append(Finding.of("no_solid"))
    elif m.solids > 1:
        findings.append(Finding.of("multiple_bodies", count=m.solids))
    if m.solids_from_shells:
        findings.append(Finding.of("closed_shell"))
    findings += m.part_findings
    findings += dfm.units_findings(m.bbox_mm)
    findings += m.machining_findings
    if limits:
        findings += dfm.envelope_findings(m.obb_mm, limits)
        if m.solids and m.mesh_vertices is not None and m.mesh_faces is not None:
            tri = m.mesh_vertices[m.mesh_faces]
            areas = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
            signed = np.einsum("ij,ij->i", tri[:, 0], np.cross(tri[:, 1], tri[:, 2])).sum()
            outward = -1.0 if signed < 0 else 1.0
            wall = thin_wall(
                vertices=m.mesh_vertices,
                faces=m.mesh_faces,
                face_areas=areas,
                face_size=np.ptp(tri, axis=1).max(axis=1),
                bbox_min=m.mesh_vertices.min(axis=0),
                bbox_max=m.mesh_vertices.max(axis=0),
                limits=limits,
                outward=outward,
                face_shell=face_shells(m.mesh_vertices, m.mesh_faces) if m.solids > 1 else None,
            )
            findings += dfm.thin_wall_findings(wall, limits)
    return Analysis(
        format="step",
        triangles=m.triangles,
        bodies=m.solids if m.solids else m.shells,
        volume_mm3=m.volume_mm3,
        area_mm2=m.area_mm2,
        bbox_mm=m.bbox_mm,
        obb_mm=m.obb_mm,
        watertight=m.solids > 0,
        faces=m.faces,
        holes=m.holes,
        findings=findings,
        parts=list(m.parts),
        units=read_units(m.bbox_mm, declared="mm"),
        machining=m.machining,
        printing=m.printing,
    )


def face_shells(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """The connected shell of each facet of a tessellation (rays stay within their solid)."""
    from geometry.topology import components, edges

    found = edges(np.ascontiguousarray(faces, dtype=np.int32), len(vertices))
    return components(len(faces), found.pair_a, found.pair_b)[1]


# --------------------------------------------------------------------------- sandbox side


def warm_up() -> None:
    """Run once in the warm parent: import OCP and initialise the STEP reader's statics, so
    that forked children start warm. Single-threaded on purpose (no thread pools before fork)."""
    import importlib
    import tempfile

    for name in OCP_MODULES:
        importlib.import_module(name)
    from OCP.BRepPrimAPI import BRepPrimAPI_MakeBox
    from OCP.STEPControl import STEPControl_AsIs, STEPControl_Writer

    box = BRepPrimAPI_MakeBox(10.0, 10.0, 10.0).Shape()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "warm.step")
        writer = STEPControl_Writer()
        writer.Transfer(box, STEPControl_AsIs)
        writer.Write(path)
        from geometry.assembly import read_step

        _measure_shape(read_step(path).shape, parallel=False)


def _read_shape(path: str):
    from OCP.IFSelect import IFSelect_RetDone
    from OCP.STEPControl import STEPControl_Reader

    reader = STEPControl_Reader()
    status = reader.ReadFile(path)
    if status != IFSelect_RetDone:
        raise GeometryError("invalid_step", f"reader status {status}")
    if reader.TransferRoots() == 0:
        raise GeometryError("empty_model", "no STEP roots transferred")
    shape = reader.OneShape()
    if shape is None or shape.IsNull():
        raise GeometryError("empty_model", "a null STEP shape")
    return shape


def _subshapes(shape, kind) -> list:
    """Sub-shapes of one kind, cast to their own type (TopoDS_Face, TopoDS_Solid, ...)."""
    from OCP.TopAbs import TopAbs_FACE, TopAbs_SHELL, TopAbs_SOLID
    from OCP.TopExp import TopExp_Explorer
    from OCP.TopoDS import TopoDS

    cast = {TopAbs_FACE: TopoDS.Face_s, TopAbs_SHELL: TopoDS.Shell_s, TopAbs_SOLID: TopoDS.Solid_s}
    to_type = cast.get(kind, lambda s: s)
    out = []
    explorer = TopExp_Explorer(shape, kind)
    while explorer.More():
        out.append(to_type(explorer.Current()))
        explorer.Next()
    return out


def _deflection(diag: float) -> float:
    return float(min(max(diag * STEP_DEFLECTION_REL, STEP_DEFLECTION_MIN_MM), STEP_DEFLECTION_MAX_MM))


def _mesh_shape(shape, diag: float, parallel: bool) -> None:
    """Tessellate in place. Single-threaded by default: a thread pool's stacks and malloc
    arenas would count against the child's address-space limit (and grow with the cores)."""
    from OCP.BRepMesh import BRepMesh_IncrementalMesh

    BRepMesh_IncrementalMesh(shape, _deflection(diag), False, STEP_ANGULAR_DEFLECTION, parallel)


def _measure_shape(shape, parallel: bool = False) -> StepMeasures:
    from OCP.Bnd import Bnd_Box
    from OCP.BRep import BRep_Tool
    from OCP.BRepBndLib import BRepBndLib
    from OCP.BRepGProp import BRepGProp
    from OCP.GProp import GProp_GProps
    from OCP.TopAbs import TopAbs_FACE, TopAbs_SHELL, TopAbs_SOLID
    from OCP.TopLoc import TopLoc_Location

    solids = _subshapes(shape, TopAbs_SOLID)
    shells = _subshapes(shape, TopAbs_SHELL)
    faces = _subshapes(shape, TopAbs_FACE)
    if not faces:
        raise GeometryError("empty_model", "no STEP faces")
    closed_shells = sum(1 for s in shells if BRep_Tool.IsClosed_s(s))

    from_shells = 0
    if not solids and closed_shells:
        # A surface model whose shells are closed (some exporters write solids this way):
        # each closed shell bounds a volume, so measure it as a solid.
        from OCP.BRepBuilderAPI import BRepBuilderAPI_MakeSolid

        for shell in shells:
            if BRep_Tool.IsClosed_s(shell):
                maker = BRepBuilderAPI_MakeSolid(shell)
                if maker.IsDone():
                    solids.append(maker.Solid())
                    from_shells += 1
    volumes = []
    for solid in solids:
        props = GProp_GProps()
        BRepGProp.VolumeProperties_s(solid, props)
        volumes.append(abs(props.Mass()))
    props = GProp_GProps()
    BRepGProp.SurfaceProperties_s(shape, props)
    area = props.Mass()

    # The diagonal for the deflection comes from the quick box (poles and tolerances), as in
    # `tessellate_step`: the exact bounds are taken after meshing, from `_bounds`.
    quick = Bnd_Box()
    BRepBndLib.Add_s(shape, quick, False)
    if quick.IsVoid():
        raise GeometryError("empty_model", "an empty STEP bounding box")
    xmin, ymin, zmin, xmax, ymax, zmax = quick.Get()
    _check_box((xmin, ymin, zmin, xmax, ymax, zmax), area, volumes)
    diag = math.dist((xmin, ymin, zmin), (xmax, ymax, zmax))
    deflection = _deflection(diag)

    _mesh_shape(shape, diag, parallel)
    triangles = 0
    for face in faces:
        tri = BRep_Tool.Triangulation_s(face, TopLoc_Location())
        if tri is not None:
            triangles += tri.NbTriangles()

    lo, hi = _bounds(faces, deflection)
    _check_box((*lo, *hi), area, volumes)
    extents = tuple(h - low for low, h in zip(lo, hi, strict=True))
    obb_mm = _oriented_extents(shape, extents, deflection)

    return StepMeasures(
        solids=len(solids),
        solids_from_shells=from_shells,
        shells=len(shells),
        closed_shells=closed_shells,
        faces=len(faces),
        volume_mm3=float(sum(volumes)),
        area_mm2=float(area),
        bbox_mm=tuple(float(e) for e in extents),
        obb_mm=tuple(float(e) for e in obb_mm),
        triangles=int(triangles),
        holes=_count_holes(faces),
        solid_volumes=[float(v) for v in volumes],
    )


def _check_box(box: Sequence[float], area: float, volumes: Sequence[float]) -> None:
    if not all(math.isfinite(v) for v in (*box, area, *volumes)):
        raise GeometryError("invalid_coordinates")
    if min(box[:3]) < -COORD_LIMIT_MM or max(box[3:]) > COORD_LIMIT_MM:
        raise GeometryError("coordinates_out_of_range", limit_mm=COORD_LIMIT_MM)


def _bounds(faces, deflection: float) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The corners of a box around the meshed faces: exact where that is cheap, else within
    the tessellation's deflection.

    OpenCASCADE finds the exact bounds of planes, cylinders, cones, spheres and tori quickly;
    on a B-spline (or any other) surface its search costs about a millisecond per face, most
    of a freeform part's measuring time. Such a face is bounded by its tessellation's nodes
    (points on the surface) widened by the deflection (how far the surface may stray from its
    triangles), and no wider than its poles' box (a B-spline lies in its poles' hull): never
    smaller than the face, at most one deflection larger, which is ample for a stock block.
    """
    from OCP.Bnd import Bnd_Box
    from OCP.BRep import BRep_Tool
    from OCP.BRepAdaptor import BRepAdaptor_Surface
    from OCP.BRepBndLib import BRepBndLib
    from OCP.GeomAbs import (
        GeomAbs_BezierSurface,
        GeomAbs_BSplineSurface,
        GeomAbs_Cone,
        GeomAbs_Cylinder,
        GeomAbs_Plane,
        GeomAbs_Sphere,
        GeomAbs_Torus,
    )
    from OCP.TopLoc import TopLoc_Location

    quick_exact = {GeomAbs_Plane, GeomAbs_Cylinder, GeomAbs_Cone, GeomAbs_Sphere, GeomAbs_Torus}
    with_poles = {GeomAbs_BSplineSurface, GeomAbs_BezierSurface}
    exact = Bnd_Box()
    lo, hi = [math.inf] * 3, [-math.inf] * 3
    for face in faces:
        kind = BRepAdaptor_Surface(face, False).GetType()
        nodes = Bnd_Box()
        if kind not in quick_exact and BRep_Tool.Triangulation_s(face, TopLoc_Location()) is not None:
            BRepBndLib.Add_s(face, nodes, True)
        if nodes.IsVoid():  # a quick exact surface, or a face the mesher left out
            BRepBndLib.AddOptimal_s(face, exact, False, False)
            continue
        nodes.SetGap(0.0)  # Add widens by the face's tolerance; the nodes alone are wanted
        a = nodes.Get()
        b = (-math.inf,) * 3 + (math.inf,) * 3
        if kind in with_poles:  # (other surfaces' quick boxes are sampled: no bound)
            poles = Bnd_Box()
            BRepBndLib.Add_s(face, poles, False)
            poles.SetGap(0.0)
            b = poles.Get()
        for i in range(3):
            lo[i] = min(lo[i], max(a[i] - deflection, b[i]))
            hi[i] = max(hi[i], min(a[i + 3] + deflection, b[i + 3]))
    if not exact.IsVoid():
        e = exact.Get()
        lo = [min(lo[i], e[i]) for i in range(3)]
        hi = [max(hi[i], e[i + 3]) for i in range(3)]
    if not all(math.isfinite(v) for v in (*lo, *hi)):
        raise GeometryError("empty_model", "an empty STEP bounding box")
    return tuple(lo), tuple(hi)


def _oriented_extents(shape, extents: tuple[float, float, float], deflection: float) -> tuple[float, ...]:
    """Minimal oriented box, largest side first.

    OpenCASCADE's optimal OBB on the tessellation picks the orientation; the extents along
    that orientation are then measured as `_bounds` measures the axis-aligned box (a
    tessellation lies inside curved faces). The axis-aligned box is kept when it is no larger.
    """
    from OCP.Bnd import Bnd_OBB
    from OCP.BRepBndLib import BRepBndLib
    from OCP.gp import gp_Ax3, gp_Dir, gp_Pnt, gp_Trsf
    from OCP.TopAbs import TopAbs_FACE
    from OCP.TopLoc import TopLoc_Location

    aabb = tuple(sorted(extents, reverse=True))
    obb = Bnd_OBB()
    BRepBndLib.AddOBB_s(shape, obb, True, True, False)
    if obb.IsVoid():
        return aabb
    frame = gp_Ax3(gp_Pnt(0.0, 0.0, 0.0), gp_Dir(obb.ZDirection()), gp_Dir(obb.XDirection()))
    trsf = gp_Trsf()
    trsf.SetTransformation(frame)  # world -> OBB frame
    moved = shape.Moved(TopLoc_Location(trsf))
    lo, hi = _bounds(_subshapes(moved, TopAbs_FACE), deflection)
    oriented = tuple(sorted((h - low for low, h in zip(lo, hi, strict=True)), reverse=True))
    return oriented if math.prod(oriented) < math.prod(aabb) * (1 - 1e-9) else aabb


def _count_holes(faces) -> int:
    """Cylindrical holes: concave cylinder faces (normal towards the axis), grouped by axis.

    Faces on one axis (a hole split at its seam, a counterbore) are one hole; a group counts
    when its arcs add up to at least HOLE_MIN_SPAN, so fillets and slot ends are not holes.
    Axes are grouped through a dictionary of rounded axes (the neighbouring cells too), so the
    search stays linear in the number of faces.
    """
    from OCP.BRepAdaptor import BRepAdaptor_Surface
    from OCP.GeomAbs import GeomAbs_Cylinder
    from OCP.gp import gp_Pnt, gp_Vec
    from OCP.TopAbs import TopAbs_REVERSED

    spans: dict[tuple, float] = {}  # rounded (direction, base point) → summed arc
    for face in faces:
        surface = BRepAdaptor_Surface(face)
        if surface.GetType() != GeomAbs_Cylinder:
            continue
        axis = surface.Cylinder().Axis()
        loc, dirn = axis.Location(), axis.Direction()
        ox, oy, oz = loc.X(), loc.Y(), loc.Z()
        dx, dy, dz = dirn.X(), dirn.Y(), dirn.Z()
        u0, u1 = surface.FirstUParameter(), surface.LastUParameter()
        v0, v1 = surface.FirstVParameter(), surface.LastVParameter()
        point, du, dv = gp_Pnt(), gp_Vec(), gp_Vec()
        surface.D1(0.5 * (u0 + u1), 0.5 * (v0 + v1), point, du, dv)
        normal = du.Crossed(dv)
        if normal.Magnitude() < 1e-12:
            continue
        sign = -1.0 if face.Orientation() == TopAbs_REVERSED else 1.0
        nx, ny, nz = sign * normal.X(), sign * normal.Y(), sign * normal.Z()
        px, py, pz = point.X() - ox, point.Y() - oy, point.Z() - oz
        along = px * dx + py * dy + pz * dz
        # from the surface point towards the axis; a convex face (a boss, an outer wall) is no hole
        if nx * (dx * along - px) + ny * (dy * along - py) + nz * (dz * along - pz) <= 0:
            continue
        # canonical axis: unit direction with a fixed sign, the point nearest the origin
        if max((dx, dy, dz), key=abs) < 0:
            dx, dy, dz = -dx, -dy, -dz
        t = ox * dx + oy * dy + oz * dz
        base = (ox - t * dx, oy - t * dy, oz - t * dz)
        direction = tuple(round(c * 1e6) for c in (dx, dy, dz))
        cell = tuple(math.floor(c / HOLE_AXIS_TOL_MM) for c in base)
        key = next(
            (
                k
                for k in _neighbours(direction, cell)
                if k in spans
            ),
            (direction, cell),
        )
        spans[key] = spans.get(key, 0.0) + min(u1 - u0, 2 * math.pi)
    return sum(1 for span in spans.values() if span >= HOLE_MIN_SPAN - HOLE_ANGLE_TOL)


def _neighbours(direction: tuple, cell: tuple):
    yield (direction, cell)
    x, y, z = cell
    for i in (-1, 0, 1):
        for j in (-1, 0, 1):
            for k in (-1, 0, 1):
                if i or j or k:
                    yield (direction, (x + i, y + j, z + k))


def measure_step(path: str, with_mesh: bool = False) -> StepMeasures:
    """Read and measure one STEP file (runs in the sandbox child): read once, through XCAF, for
    the shape and the product structure (`geometry.assembly`), then its machining features
    (`geometry.machining`) on the same shape and tessellation."""
    from geometry.assembly import read_step, step_parts
    from geometry.machining import machining_of_shape
    from geometry.overhang import print_overhangs

    document = read_step(path)
    shape = document.shape
    measures = _measure_shape(shape)
    vertices, faces = _triangulation_arrays(shape)
    if measures.solids:
        features = machining_of_shape(shape, vertices, faces)
        measures.machining, measures.machining_findings = features.as_dict(), features.findings()
    if len(faces):
        measures.printing = print_overhangs(vertices, faces, _outward(vertices, faces))
    if with_mesh:
        measures.mesh_vertices, measures.mesh_faces = vertices, faces
        if measures.solids:
            measures.feature_map = features.feature_map
    found = step_parts(document, measures.solids, measures.volume_mm3, measures.bbox_mm)
    measures.parts, measures.part_findings = found.entries, found.findings
    return measures


def _outward(vertices: np.ndarray, faces: np.ndarray) -> float:
    """+1 when the tessellation's facets face out of the material (its signed volume is positive)."""
    tri = vertices[faces]
    signed = np.einsum("ij,ij->i", tri[:, 0], np.cross(tri[:, 1], tri[:, 2])).sum()
    return -1.0 if signed < 0 else 1.0


def tessellate_step(path: str) -> tuple[np.ndarray, np.ndarray]:
    """Read and tessellate one STEP file (runs in the sandbox child): (vertices, faces)."""
    from OCP.Bnd import Bnd_Box
    from OCP.BRepBndLib import BRepBndLib

    shape = _read_shape(path)
    box = Bnd_Box()
    BRepBndLib.Add_s(shape, box)
    if box.IsVoid():
        raise GeometryError("empty_model", "an empty STEP bounding box")
    xmin, ymin, zmin, xmax, ymax, zmax = box.Get()
    diag = math.dist((xmin, ymin, zmin), (xmax, ymax, zmax))
    _mesh_shape(shape, diag, parallel=False)
    return _triangulation_arrays(shape)


_STL_RECORD = np.dtype([("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")])


def _triangulation_arrays(shape) -> tuple[np.ndarray, np.ndarray]:
    """The meshed shape's triangles as (vertices, faces), outward-facing, nodes merged.

    OpenCASCADE's own STL writer walks the triangulation in C++ (some 50 times faster than
    reading node by node from Python); its float32 precision is ample for a preview or a
    wall-thickness estimate. Node by node is the fallback.
    """
    import tempfile

    from OCP.StlAPI import StlAPI_Writer

    with tempfile.TemporaryDirectory(prefix="step-mesh-") as tmp:
        path = os.path.join(tmp, "mesh.stl")
        writer = StlAPI_Writer()
        writer.ASCIIMode = False
        if writer.Write(shape, path) and os.path.getsize(path) >= 84:
            records = np.fromfile(path, dtype=_STL_RECORD, offset=84)
            if len(records):
                from geometry.weld import weld

                vertices, inverse = weld(np.ascontiguousarray(records["v"]).reshape(-1, 3))
                return vertices.astype(np.float64), inverse.reshape(-1, 3).astype(np.int64)
    return _triangulation_arrays_slow(shape)


def _triangulation_arrays_slow(shape) -> tuple[np.ndarray, np.ndarray]:
    from OCP.BRep import BRep_Tool
    from OCP.TopAbs import TopAbs_FACE, TopAbs_REVERSED
    from OCP.TopLoc import TopLoc_Location

    points: list[np.ndarray] = []
    triangles: list[np.ndarray] = []
    offset = 0
    for face in _subshapes(shape, TopAbs_FACE):
        loc = TopLoc_Location()
        tri = BRep_Tool.Triangulation_s(face, loc)
        if tri is None or tri.NbTriangles() == 0:
            continue
        trsf = loc.Transformation()
        n = tri.NbNodes()
        pts = np.empty((n, 3))
        for i in range(1, n + 1):
            p = tri.Node(i).Transformed(trsf)
            pts[i - 1] = (p.X(), p.Y(), p.Z())
        idx = np.array([tri.Triangle(i).Get() for i in range(1, tri.NbTriangles() + 1)])
        idx = idx - 1 + offset
        if face.Orientation() == TopAbs_REVERSED:
            idx = idx[:, [0, 2, 1]]
        points.append(pts)
        triangles.append(idx)
        offset += n
    if not triangles:
        raise GeometryError("empty_model", "no STEP triangulation")
    vertices = np.concatenate(points)
    faces = np.concatenate(triangles)
    # Faces share their edge nodes exactly: merge them so the mesh is connected.
    vertices, inverse = np.unique(vertices, axis=0, return_inverse=True)
    faces = inverse.reshape(-1)[faces].astype(np.int64)
    return vertices, faces
