"""Detect → read → measure → check. The entry points the command line and the portal use."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from geometry import dfm
from geometry.formats import detect_format
from geometry.model import Analysis, GeometryError, Mesh, ProcessLimits


def default_limits() -> list[ProcessLimits]:
    try:
        from geometry.pricing import default_process_limits
    except ImportError:
        return []
    return list(default_process_limits())


def read_triangles(path: str | os.PathLike, kind: str) -> np.ndarray:
    """The (n, 3, 3) triangle soup in millimetres of a mesh file of a detected kind."""
    if kind in ("stl_binary", "stl_ascii"):
        from geometry.stl import read_stl

        return read_stl(path, kind)
    if kind == "obj":
        from geometry.obj import read_obj

        return read_obj(path)
    if kind == "3mf":
        from geometry.threemf import read_3mf

        return read_3mf(path)
    raise GeometryError("unknown_format", f"{kind} is not a mesh format")


def read_soup(path: str | os.PathLike, kind: str):
    """As `read_triangles`, except that a binary STL comes as a `geometry.stl.BinaryStl`, which
    `measure` reads a slice at a time as it welds it (the whole soup is never in memory)."""
    if kind == "stl_binary":
        from geometry.stl import BinaryStl

        return BinaryStl(path)
    return read_triangles(path, kind)


def _format_name(kind: str) -> str:
    return "stl" if kind.startswith("stl") else kind


# formats whose files say their units (the readers convert them to millimetres)
DECLARE_UNITS = ("3mf", "step")


def analyze_triangles(
    triangles: np.ndarray | list[np.ndarray],
    fmt: str,
    process_limits: Sequence[ProcessLimits] | None = None,
    units: str | None = None,
) -> Analysis:
    """Measure and check a triangle soup (pass ``[soup]`` to let it be freed early)."""
    return measure_and_check(triangles, fmt, process_limits, units)[0]


def measure_and_check(
    triangles: np.ndarray | list[np.ndarray],
    fmt: str,
    process_limits: Sequence[ProcessLimits] | None = None,
    units: str | None = None,
) -> tuple[Analysis, Mesh, list[ProcessLimits]]:
    """The analysis of a soup, the welded mesh it was measured on, and the limits used.

    `units`: how to read the file's numbers, "mm" or "in" (`geometry.units`); None reads them
    as the file declares, or as millimetres. The analysis' ``units`` says which reading is
    more plausible either way.
    """
    from geometry.measure import measure
    from geometry.overhang import print_overhangs
    from geometry.parts import mesh_parts
    from geometry.rays import thin_wall
    from geometry.threads import Background
    from geometry.units import read_units, scale_of

    held = triangles if isinstance(triangles, list) else [triangles]
    del triangles
    factor = scale_of(units)
    if factor != 1.0:
        soup = held.pop()
        held.append(soup.scaled(factor) if hasattr(soup, "scaled") else soup * soup.dtype.type(factor))
        del soup

    # the default rate card is read on the side while the mesh is welded
    pending = Background(default_limits) if process_limits is None else None

    def walls(**mesh):  # runs in measure's side thread, next to the topology checks
        limits = pending.result() if pending is not None else list(process_limits)
        return limits, thin_wall(limits=limits, **mesh)

    metrics = measure(held, side_task=walls)
    limits, wall = metrics.side_result
    declared = "mm" if fmt in DECLARE_UNITS else None
    coordinates = None if declared else metrics.vertices if factor == 1.0 else metrics.vertices / factor
    reading = read_units([v / factor for v in metrics.bbox_mm], coordinates, declared)
    if units is not None:
        reading["read_as"] = units
    found = mesh_parts(metrics)
    features = mesh_machining(metrics)
    outward = _outward(metrics)
    analysis = Analysis(
        format=fmt,
        triangles=metrics.triangles,
        bodies=metrics.bodies,
        volume_mm3=metrics.volume_mm3,
        area_mm2=metrics.area_mm2,
        bbox_mm=metrics.bbox_mm,
        obb_mm=metrics.obb_mm,
        watertight=metrics.watertight,
        findings=dfm.mesh_findings(metrics, limits, wall, reading if units is None else None)
        + dfm.parts_findings(found.truncated) + (features.findings() if features else []),
        parts=found.entries,
        units=reading,
        machining=features.as_dict() if features else None,
        printing=print_overhangs(metrics.vertices, metrics.faces, outward),
    )
    return analysis, Mesh(metrics.vertices, metrics.faces, metrics.face_outward, metrics.face_shell), limits


def _outward(metrics) -> np.ndarray | float:
    """±1 per facet (several shells) or one sign for all: which way the facets face out."""
    if metrics.face_outward is not None:
        return metrics.face_outward
    return -1.0 if metrics.signed_volume_mm3 < 0 else 1.0


def mesh_machining(metrics):
    """Setups and undercuts of a measured mesh: one closed body (rays would leak out of an open
    one) of at most MACHINING_MESH_MAX_FACETS facets; else None."""
    from geometry.limits import MACHINING_MESH_MAX_FACETS
    from geometry.machining import machining

    if metrics.bodies != 1 or not metrics.watertight or len(metrics.faces) > MACHINING_MESH_MAX_FACETS:
        return None
    return machining(metrics.vertices, metrics.faces, _outward(metrics))


def analyze_file(
    path: str | os.PathLike, process_limits: Sequence[ProcessLimits] | None = None, units: str | None = None
) -> Analysis:
    """Measure and check a model file (STL, STEP, 3MF or OBJ), by its content.

    `units` ("mm" or "in"): read a mesh's numbers in these units (STEP: as the file declares).
    """
    kind = detect_format(path)
    if kind == "step":
        from geometry.step import analyze_step

        limits = default_limits() if process_limits is None else list(process_limits)
        return analyze_step(path, limits=limits)  # envelope and thin walls included
    return analyze_triangles([read_soup(path, kind)], _format_name(kind), process_limits, units)


def load_mesh(path: str | os.PathLike) -> Mesh:
    """An indexed mesh (welded, degenerate facets dropped) for previews, from any format."""
    kind = detect_format(path)
    if kind == "step":
        from geometry.step import load_step_mesh

        return load_step_mesh(path)
    return mesh_of(read_triangles(path, kind))


def mesh_of(triangles: np.ndarray) -> Mesh:
    """Weld a soup into an indexed mesh (degenerate facets dropped), checking coordinates."""
    from geometry.bounds import check_coordinates
    from geometry.weld import weld

    triangles = np.ascontiguousarray(triangles)
    if not triangles.flags.writeable:  # the weld normalises zeros in place
        triangles = triangles.copy()
    if len(triangles) == 0:
        raise GeometryError("empty_model", "no facets")
    vertices, inverse = weld(triangles.reshape(-1, 3))
    check_coordinates(vertices.min(axis=0), vertices.max(axis=0))
    faces = inverse.reshape(-1, 3)
    keep = faces[:, 0] != faces[:, 1]
    keep &= faces[:, 1] != faces[:, 2]
    keep &= faces[:, 0] != faces[:, 2]
    if not keep.any():
        raise GeometryError("degenerate_model", "every facet has coinciding corners")
    return Mesh(vertices=vertices.astype(np.float64), faces=faces[keep])


def describe(analysis: Analysis) -> str:
    """A short human-readable report."""
    x, y, z = analysis.bbox_mm
    lines = [
        f"format      {analysis.format}",
        f"triangles   {analysis.triangles:,}",
        f"bodies      {analysis.bodies}",
        f"volume      {analysis.volume_mm3:,.3f} mm³",
        f"area        {analysis.area_mm2:,.3f} mm²",
        f"bbox        {x:.3f} × {y:.3f} × {z:.3f} mm",
        "oriented    " + " × ".join(f"{v:.3f}" for v in analysis.obb_mm) + " mm",
        f"watertight  {'yes' if analysis.watertight else 'no'}",
    ]
    if analysis.faces is not None:
        lines.append(f"faces       {analysis.faces}")
    if analysis.holes is not None:
        lines.append(f"holes       {analysis.holes}")
    if analysis.findings:
        lines.append("findings")
        for f in analysis.findings:
            scope = f" [{f.process}]" if f.process else ""
            lines.append(f"  {f.severity:<8} {f.code}{scope}: {f.message}")
    else:
        lines.append("findings    none")
    return "\n".join(lines)
