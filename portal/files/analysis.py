"""The one place the portal calls `geometry` to read a model: measure, check, draw previews.

Every format is read in the sandbox's child process (memory, CPU and wall-clock limits), never
in the web process or the worker itself:

    worker ──ModelAnalyzer.analyze()──▶ warm sandbox ──fork──▶ child: geometry.pipeline
                                                                  detect, read, measure, DFM,
                                                                  PNG thumbnail, GLB
           ◀── AnalysisResult (plain data and the preview bytes) or AnalysisFailed ──

The sandboxes are started once per worker (`start()` at boot) and kept warm. Errors and findings
keep geometry's stable codes and params (`geometry.codes`); the portal words them by code.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio

from geometry.model import GeometryError, ProcessLimits

# Errors that say nothing about the file: the same file may well work later.
TRANSIENT_CODES = frozenset({"sandbox_unavailable", "internal"})
CHILD_FUNCTION = "geometry.pipeline:run_in_child"
MEASURED_SUFFIX = ".measured.npz"  # beside the model in the job's working folder
PART_FUNCTION = "geometry.pipeline:write_part"
# The pictures run at a lower CPU priority than the measuring: while one file's pictures are
# drawn, the next file's price (a STEP read takes seconds) gets the CPU first.
DRAWING_NICENESS = 10


@dataclass
class AnalysisResult:
    format: str
    metrics: dict[str, Any]
    findings: list[dict[str, Any]]  # code, severity, message (English), process, params
    png: bytes | None
    glb: bytes | None
    thickness_glb: bytes | None = None  # the model coloured by wall thickness
    thickness: dict[str, Any] | None = None  # its legend (geometry.thickness.legend)
    features_glb: bytes | None = None  # STEP: the model coloured by machining feature
    features: dict[str, Any] | None = None  # its legend: the feature kinds it shows


@dataclass
class AnalysisFailed(Exception):
    code: str
    message: str  # English, from geometry's catalogue
    params: dict[str, Any] = field(default_factory=dict)
    transient: bool = False
    detail: str = field(default="", repr=False)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    @classmethod
    def of(cls, error: GeometryError) -> AnalysisFailed:
        return cls(error.code, error.message, dict(error.params), error.code in TRANSIENT_CODES, error.detail)


class ModelAnalyzer:
    """Two warm sandboxes and the limits each model is read under: one measures (the price waits
    for it), the other draws the previews (at a lower priority), so that drawing one file's
    pictures never holds up the next file's price.

    `function` is what the child runs (geometry's pipeline); tests put a misbehaving reader
    in its place to show that a crash or a hang ends as a clean failure.
    """

    def __init__(
        self, memory_mb: int, cpu_seconds: float, wall_seconds: float, function: str = CHILD_FUNCTION
    ) -> None:
        from geometry.sandbox import DEFAULT_PRELOAD, Sandbox

        self.function = function
        module = function.partition(":")[0]
        preload = DEFAULT_PRELOAD + ((module,) if module not in DEFAULT_PRELOAD else ())
        self._measuring, self._drawing = (
            Sandbox(
                memory_mb=memory_mb, cpu_seconds=cpu_seconds, wall_seconds=wall_seconds, preload=preload, niceness=nice
            )
            for nice in (0, DRAWING_NICENESS)
        )
        self._measuring_slot = anyio.Lock()  # one job at a time; the sandbox itself runs one child

    def measuring_slot(self) -> anyio.Lock:
        """Held by a job from before it takes its file until the measuring is done: a job that
        waits here for the sandbox has taken nothing yet, so no lease runs out while it waits
        and it holds no database connection (`async with analyzer.measuring_slot(): …`)."""
        return self._measuring_slot

    @classmethod
    def from_settings(cls, settings) -> ModelAnalyzer:
        return cls(settings.memory_mb, settings.cpu_seconds, settings.wall_seconds)

    def start(self) -> None:
        """Start the warm parents (a second or two each: they import OpenCASCADE once)."""
        self._measuring.start()
        self._drawing.start()

    def close(self) -> None:
        self._measuring.close()
        self._drawing.close()

    def analyze(self, path: Path, limits: Sequence[ProcessLimits], previews: bool = True) -> AnalysisResult:
        """Blocking: call it from a worker thread. Raises AnalysisFailed.

        `previews=False` measures and checks only (no thumbnail, GLBs, thickness or feature map): the
        price can be shown while the pictures are still being drawn. The pictures of the same `path`
        are then drawn from what that measuring left beside it (no second read and measure).
        """
        with tempfile.TemporaryDirectory(prefix="previews-", dir=path.parent) as out_dir:
            options = {} if previews else {"png": False, "glb": False, "thickness_glb": False, "features_glb": False}
            # the measuring run leaves its mesh beside the model; the drawing run draws from it
            options["measured"] = os.fspath(path.with_name(path.name + MEASURED_SUFFIX))
            try:
                sandbox = self._drawing if previews else self._measuring
                report = sandbox.run(self.function, os.fspath(path), out_dir, limits=tuple(limits), **options)
            except GeometryError as error:
                raise AnalysisFailed.of(error) from None
            except OSError as exc:  # the pipes to the warm parent: the machine, not the file
                raise AnalysisFailed("sandbox_unavailable", str(exc), transient=True) from None
            metrics = report.analysis.as_dict()
            findings = metrics.pop("findings")
            return AnalysisResult(
                format=metrics.pop("format"),
                metrics=metrics,
                findings=findings,
                png=Path(report.png).read_bytes() if report.png else None,
                glb=Path(report.glb).read_bytes() if report.glb else None,
                thickness_glb=Path(report.thickness_glb).read_bytes() if report.thickness_glb else None,
                thickness=report.thickness,
                features_glb=Path(report.features_glb).read_bytes() if report.features_glb else None,
                features=report.features,
            )


    def extract_part(self, path: Path, index: int, out_path: Path) -> str:
        """Blocking: write part `index` of the model at `path` to `out_path` as a model of its own
        (in the sandbox, like every read of a model); its format, "step" or "stl". Raises
        AnalysisFailed."""
        try:
            return self._measuring.run(PART_FUNCTION, os.fspath(path), int(index), os.fspath(out_path))
        except GeometryError as error:
            raise AnalysisFailed.of(error) from None
        except OSError as exc:
            raise AnalysisFailed("sandbox_unavailable", str(exc), transient=True) from None


def check_type(path: Path) -> AnalysisFailed | None:
    """The upload gate: is this a model format we read, by its content? (Only the first few
    kilobytes and the size are looked at; the model itself is read by the sandbox.)"""
    from geometry.formats import detect_format

    try:
        detect_format(path)
    except GeometryError as error:
        return AnalysisFailed.of(error)
    return None
