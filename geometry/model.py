"""Plain data shared by the readers, the checks, pricing and the command line."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

import numpy as np

Severity = Literal["info", "warning", "blocking"]


class GeometryError(Exception):
    """An input we cannot measure. `code` is stable; `message` is for a person."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def as_dict(self) -> dict:
        return {"error": {"code": self.code, "message": self.message}}


@dataclass(frozen=True)
class Finding:
    """One manufacturability finding. `process` is set when it applies to one process only."""

    code: str
    severity: Severity
    message: str
    process: str | None = None


@dataclass
class Mesh:
    """An indexed triangle mesh in millimetres: vertices (m, 3) float64, faces (n, 3) int."""

    vertices: np.ndarray
    faces: np.ndarray


@dataclass(frozen=True)
class ProcessLimits:
    """What the manufacturability checks need to know of one process."""

    name: str
    envelope_mm: tuple[float, float, float]
    min_wall_mm: float


@dataclass
class Analysis:
    format: str  # "stl", "step", "3mf", "obj"
    triangles: int
    bodies: int
    volume_mm3: float
    area_mm2: float
    bbox_mm: tuple[float, float, float]  # axis-aligned extents
    obb_mm: tuple[float, float, float]  # minimal oriented box extents, largest first
    watertight: bool
    faces: int | None = None  # B-rep faces (STEP only)
    holes: int | None = None  # cylindrical holes (STEP only)
    findings: list[Finding] = field(default_factory=list)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["bbox_mm"] = list(self.bbox_mm)
        data["obb_mm"] = list(self.obb_mm)
        return data
