"""One call for the portal's worker: read, measure, check and draw a model, in the sandbox.

    from geometry.pipeline import process_model
    from geometry.sandbox import default_sandbox

    default_sandbox(start=True)          # once, at worker boot (imports OpenCASCADE once)
    report = process_model("/tmp/upload.bin", "/srv/previews/42")   # any format, by content
    report.analysis                      # geometry.model.Analysis (figures and findings)
    report.png, report.glb               # file paths written under out_dir
    report.as_dict()                     # JSON-ready

Everything that touches the file runs in a child of the warm sandbox process (memory, CPU and
wall-clock limits; a crash or a hang is a clean `GeometryError`): format detection, the reader
(STL, OBJ, 3MF or STEP), the measures, the manufacturability checks, and the previews — a PNG
thumbnail and a GLB for the viewer. Only plain data comes back. Errors are `GeometryError`
with a stable `code` from `geometry.codes` (``as_dict()`` gives code, English message and
params for a translated one).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from geometry.limits import THUMBNAIL_PX
from geometry.model import Analysis, Mesh, ProcessLimits

PNG_NAME = "thumbnail.png"
GLB_NAME = "model.glb"


@dataclass
class ModelReport:
    """What `process_model` returns: the analysis and where the previews were written."""

    analysis: Analysis
    png: str | None  # the thumbnail's path, or None if it was not asked for
    glb: str | None  # the viewer's GLB

    def as_dict(self) -> dict:
        return {"analysis": self.analysis.as_dict(), "png": self.png, "glb": self.glb}


def process_model(
    path: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    limits: Sequence[ProcessLimits] | None = None,
    png: bool = True,
    glb: bool = True,
    thumbnail_px: int = THUMBNAIL_PX,
    sandbox=None,
) -> ModelReport:
    """Analyse the model at `path` and write its previews into `out_dir`, in the sandbox.

    `limits`: the processes to check against (build envelope, minimum wall); by default those of
    the default rate card. `out_dir` must exist; files in it are named ``thumbnail.png`` and
    ``model.glb``. Raises `GeometryError`.
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
        thumbnail_px=thumbnail_px,
    )


def run_in_child(
    path: str,
    out_dir: str,
    limits: Sequence[ProcessLimits] | None = None,
    png: bool = True,
    glb: bool = True,
    thumbnail_px: int = THUMBNAIL_PX,
) -> ModelReport:
    """The work itself (runs in the sandbox child; callable directly in tests)."""
    from geometry.preview import write_previews

    analysis, mesh = analyze_with_mesh(path, limits)
    png_path = os.path.join(out_dir, PNG_NAME) if png else None
    glb_path = os.path.join(out_dir, GLB_NAME) if glb else None
    if png_path or glb_path:
        write_previews(mesh, png_path=png_path, glb_path=glb_path, size=thumbnail_px)
    return ModelReport(analysis=analysis, png=png_path, glb=glb_path)


def analyze_with_mesh(path: str, limits: Sequence[ProcessLimits] | None) -> tuple[Analysis, Mesh]:
    """Read and measure any format in this process; the mesh is the one measured (or STEP's
    tessellation)."""
    from geometry.analyze import default_limits, measure_and_check, read_triangles
    from geometry.formats import detect_format

    kind = detect_format(path)
    if kind == "step":
        from geometry.step import measure_step, step_analysis

        chosen = default_limits() if limits is None else list(limits)
        measured = measure_step(path, with_mesh=True)
        analysis = step_analysis(measured, chosen)
        return analysis, Mesh(measured.mesh_vertices, measured.mesh_faces)
    fmt = "stl" if kind.startswith("stl") else kind
    analysis, mesh, _ = measure_and_check([read_triangles(path, kind)], fmt, limits)
    return analysis, mesh


def warm_up() -> None:
    """Run once in the sandbox's warm parent: import what the previews need, so forked
    children start warm."""
    import fast_simplification  # noqa: F401
    import PIL.Image  # noqa: F401
    import scipy.sparse.csgraph  # noqa: F401
    import scipy.spatial  # noqa: F401
    import trimesh  # noqa: F401
    import trimesh.exchange.gltf  # noqa: F401
