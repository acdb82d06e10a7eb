"""One call for the portal's worker: read, measure, check and draw a model, in the sandbox.

    from geometry.pipeline import process_model
    from geometry.sandbox import default_sandbox

    default_sandbox(start=True)          # once, at worker boot (imports OpenCASCADE once)
    report = process_model("/tmp/upload.bin", "/srv/previews/42")   # any format, by content
    report.analysis                      # geometry.model.Analysis (figures and findings)
    report.png, report.glb               # file paths written under out_dir
    report.thickness_glb                 # the same model coloured by wall thickness
    report.thickness                     # its legend: scale, sampled or not, thinnest wall
    report.features_glb                  # STEP: coloured by machining feature, when there is one
    report.features                      # its legend: the feature kinds the model shows
    report.as_dict()                     # JSON-ready

Everything that touches the file runs in a child of the warm sandbox process (memory, CPU and
wall-clock limits; a crash or a hang is a clean `GeometryError`): format detection, the reader
(STL, OBJ, 3MF or STEP), the measures, the manufacturability checks, and the previews — a PNG
thumbnail, a GLB for the viewer, and a second GLB coloured by wall thickness
(`geometry.thickness`: red below the process minimum, yellow at it, neutral from twice it),
and for a STEP file whose machining features mark any face (undercuts, small inside radii, deep
pockets and holes: `geometry.machining.feature_map`) a third GLB coloured by feature.
The thin-wall findings come from the quick check (`geometry.rays`) whether or not the map is
drawn, so the figure a customer sees is the same with and without previews, on every run.
Only plain data comes back. Errors are `GeometryError` with a stable `code` from
`geometry.codes` (``as_dict()`` gives code, English message and params for a translated one).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from geometry.analyze import default_limits
from geometry.limits import THUMBNAIL_PX
from geometry.model import Analysis, Mesh, ProcessLimits

if TYPE_CHECKING:
    import numpy as np

PNG_NAME = "thumbnail.png"
GLB_NAME = "model.glb"
THICKNESS_GLB_NAME = "thickness.glb"
FEATURES_GLB_NAME = "features.glb"


@dataclass
class ModelReport:
    """What `process_model` returns: the analysis and where the previews were written."""

    analysis: Analysis
    png: str | None  # the thumbnail's path, or None if it was not asked for
    glb: str | None  # the viewer's GLB
    thickness_glb: str | None = None  # the GLB coloured by wall thickness
    thickness: dict | None = None  # `geometry.thickness.legend`: scale, sampled, thinnest
    features_glb: str | None = None  # the GLB coloured by machining feature (STEP only)
    features: dict | None = None  # {"legend": [{"feature", "rgb"}, …]}: the kinds it shows

    def as_dict(self) -> dict:
        return {
            "analysis": self.analysis.as_dict(),
            "png": self.png,
            "glb": self.glb,
            "thickness_glb": self.thickness_glb,
            "thickness": self.thickness,
            "features_glb": self.features_glb,
            "features": self.features,
        }


def process_model(
    path: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    limits: Sequence[ProcessLimits] | None = None,
    png: bool = True,
    glb: bool = True,
    thickness_glb: bool = True,
    features_glb: bool = True,
    min_wall_mm: float | None = None,
    thumbnail_px: int = THUMBNAIL_PX,
    sandbox=None,
    units: str | None = None,
) -> ModelReport:
    """Analyse the model at `path` and write its previews into `out_dir`, in the sandbox.

    `limits`: the processes to check against (build envelope, minimum wall); by default those of
    the default rate card. `min_wall_mm`: where the thickness map turns red; by default the
    largest minimum wall among `limits` (no map without either). `out_dir` must exist; files in
    it are named ``thumbnail.png``, ``model.glb``, ``thickness.glb`` and ``features.glb``. `units`: "in" reads an
    STL/OBJ's numbers as inches (everything is then scaled by 25.4). Raises `GeometryError`.
    """
    from geometry.sandbox import default_sandbox

    sandbox = sandbox if sandbox is not None else default_sandbox()
    return sandbox.run(
        run_in_child,
        os.fspath(path),
        os.fspath(out_dir),
        limits=None if limits is None else tuple(limits),
        png=png,
        glb=glb,
        thickness_glb=thickness_glb,
        features_glb=features_glb,
        min_wall_mm=min_wall_mm,
        thumbnail_px=thumbnail_px,
        units=units,
    )


def run_in_child(
    path: str,
    out_dir: str,
    limits: Sequence[ProcessLimits] | None = None,
    png: bool = True,
    glb: bool = True,
    thickness_glb: bool = True,
    features_glb: bool = True,
    min_wall_mm: float | None = None,
    thumbnail_px: int = THUMBNAIL_PX,
    units: str | None = None,
    measured: str | None = None,
) -> ModelReport:
    """The work itself (runs in the sandbox child; callable directly in tests).

    `units` ("mm" or "in"): how to read a mesh's numbers (the customer's answer to
    ``analysis.units``); None reads them as millimetres. Everything, from the measures to the
    thickness map, is then in millimetres of that reading.

    `measured`: a file beside the model where a run that only measures (no previews, for the
    price) leaves what it measured (the analysis, the mesh, the machining feature map), and
    where the run that draws the previews next picks them up instead of reading and measuring
    the file a second time (for a STEP file: the read, the exact volume and area, the
    tessellation and the feature recognition, seconds of CPU). Without it, or when it is not
    there, a run measures for itself.
    """
    from geometry.preview import write_previews

    draws = png or glb or thickness_glb or features_glb
    kept = read_measured(measured, units) if measured and draws else None
    if kept is not None:
        analysis, mesh, feature_map = kept
        limits = default_limits() if limits is None else list(limits)
    else:
        analysis, mesh, limits, feature_map = analyze_with_mesh(path, limits, units)
        if measured and not draws:
            write_measured(measured, units, analysis, mesh, feature_map)
    png_path = os.path.join(out_dir, PNG_NAME) if png else None
    glb_path = os.path.join(out_dir, GLB_NAME) if glb else None
    small = None  # the decimated mesh both GLBs show
    if png_path or glb_path:
        small = write_previews(mesh, png_path=png_path, glb_path=glb_path, size=thumbnail_px)
    report = ModelReport(analysis=analysis, png=png_path, glb=glb_path)
    if min_wall_mm is None and limits:
        min_wall_mm = max(lim.min_wall_mm for lim in limits)
    if thickness_glb and min_wall_mm:
        report.thickness_glb = os.path.join(out_dir, THICKNESS_GLB_NAME)
        report.thickness = thickness_preview(analysis, mesh, limits, min_wall_mm, report.thickness_glb, small)
    if features_glb and feature_map is not None and feature_map.any():
        report.features_glb = os.path.join(out_dir, FEATURES_GLB_NAME)
        report.features = features_preview(mesh, feature_map, report.features_glb, small)
    return report


def write_measured(
    path: str, units: str | None, analysis: Analysis, mesh: Mesh, feature_map: np.ndarray | None
) -> None:
    """Keep a measuring run's results for the drawing run (`run_in_child`'s `measured`): plain
    arrays and the analysis as JSON, read back without pickle; written whole or not at all."""
    import json

    import numpy as np

    arrays = {"vertices": mesh.vertices, "faces": mesh.faces}
    for name, value in (("outward", mesh.outward), ("shell", mesh.shell), ("feature_map", feature_map)):
        if value is not None:
            arrays[name] = np.asarray(value)
    about = json.dumps({"units": units, "analysis": analysis.as_dict()})
    partial = f"{path}.{os.getpid()}.part"
    with open(partial, "wb") as fh:
        np.savez(fh, about=np.array(about), **arrays)
    os.replace(partial, path)


def read_measured(path: str, units: str | None) -> tuple[Analysis, Mesh, np.ndarray | None] | None:
    """What `write_measured` kept at `path` for the same reading of the units, or None."""
    import json

    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as kept:
            about = json.loads(str(kept["about"]))
            if about["units"] != units:
                return None
            arrays = {name: kept[name] for name in kept.files if name != "about"}
    except (OSError, ValueError, KeyError):
        return None
    mesh = Mesh(arrays["vertices"], arrays["faces"], arrays.get("outward"), arrays.get("shell"))
    return Analysis.from_dict(about["analysis"]), mesh, arrays.get("feature_map")


def features_preview(mesh: Mesh, feature_map, glb_path: str, small: Mesh | None = None) -> dict:
    """Write the GLB coloured by machining feature; returns its legend: the plain colour, then
    each feature kind the model shows."""
    import numpy as np

    from geometry.limits import GLB_MAX_FACES
    from geometry.machining import legend, write_feature_glb

    write_feature_glb(mesh, feature_map, glb_path, GLB_MAX_FACES, small)
    present = set(np.unique(feature_map).tolist()) | {0}
    return {"legend": [entry for index, entry in enumerate(legend()) if index in present]}


def thickness_preview(
    analysis: Analysis,
    mesh: Mesh,
    limits: Sequence[ProcessLimits],
    min_wall_mm: float,
    glb_path: str,
    small: Mesh | None = None,
) -> dict:
    """Measure the thickness map and write its GLB; returns its legend.

    The findings are left as the analysis made them: the quick check's figure is the one every
    pass reports (a map drawn or not must not change the wall a customer is told about).
    """
    from geometry.limits import GLB_MAX_FACES
    from geometry.thickness import legend, reach_for, thickness_map, write_thickness_glb

    reach = reach_for(max([min_wall_mm, *(lim.min_wall_mm for lim in limits)]))
    measured = thickness_map(mesh, reach)
    write_thickness_glb(mesh, measured.facet_mm, min_wall_mm, glb_path, GLB_MAX_FACES, small)
    return legend(min_wall_mm, measured)


def analyze_with_mesh(
    path: str, limits: Sequence[ProcessLimits] | None, units: str | None = None
) -> tuple[Analysis, Mesh, list[ProcessLimits], np.ndarray | None]:
    """Read and measure any format in this process: the analysis, the mesh measured (STEP: its
    tessellation), the process limits checked and, for STEP, the machining feature of each of
    the tessellation's triangles (`geometry.machining.feature_map`; None for meshes)."""
    from geometry.analyze import measure_and_check, read_soup
    from geometry.formats import detect_format

    kind = detect_format(path)
    if kind == "step":
        from geometry.step import face_shells, measure_step, step_analysis

        chosen = default_limits() if limits is None else list(limits)
        measured = measure_step(path, with_mesh=True)
        analysis = step_analysis(measured, chosen)
        vertices, faces = measured.mesh_vertices, measured.mesh_faces
        shell = face_shells(vertices, faces) if measured.solids > 1 else None  # touching solids
        return analysis, Mesh(vertices, faces, shell=shell), chosen, measured.feature_map
    fmt = "stl" if kind.startswith("stl") else kind
    return (*measure_and_check([read_soup(path, kind)], fmt, limits, units), None)


def write_part(path: str, index: int, out_path: str, units: str | None = None) -> str:
    """Write part `index` of the model at `path` to `out_path` as a file of its own (runs in
    the sandbox child: ``sandbox.run("geometry.pipeline:write_part", ...)``); returns its
    format, "step" or "stl" (`geometry.extract`)."""
    from geometry.formats import detect_format

    if detect_format(path) == "step":
        from geometry.assembly import extract_step_part

        kind, data = "step", extract_step_part(path, int(index))
    else:
        from geometry.extract import mesh_part, stl_bytes

        kind, data = "stl", stl_bytes(mesh_part(path, int(index), units))
    with open(out_path, "wb") as fh:
        fh.write(data)
    return kind


def warm_up() -> None:
    """Run once in the sandbox's warm parent: import what the previews need, so forked
    children start warm."""
    import fast_simplification  # noqa: F401
    import PIL.Image  # noqa: F401
    import scipy.sparse.csgraph  # noqa: F401
    import scipy.spatial  # noqa: F401
    import trimesh  # noqa: F401
    import trimesh.exchange.gltf  # noqa: F401
    from embreex import mesh_construction, rtcore_scene  # noqa: F401
