"""Plain data shared by the readers, the checks, pricing and the command line."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from geometry.codes import Audience, Severity, lookup, render


class GeometryError(Exception):
    """An input we cannot measure or price.

    `code` is stable and listed in `geometry.codes`; `params` fill its message template;
    `message` is the English text; `detail` (optional) is English for logs and staff.
    """

    def __init__(self, code: str, detail: str = "", **params: Any) -> None:
        self.code = code
        self.params = params
        self.message = render(code, params)
        self.detail = detail
        super().__init__(self.message)

    def __reduce__(self):  # picklable across the sandbox pipe
        return (_rebuild_error, (self.code, self.detail, self.params))

    def as_dict(self) -> dict:
        error = {"code": self.code, "message": self.message, "params": dict(self.params)}
        if self.detail:
            error["detail"] = self.detail
        return {"error": error}


def _rebuild_error(code: str, detail: str, params: dict) -> GeometryError:
    return GeometryError(code, detail, **params)


@dataclass(frozen=True)
class Finding:
    """One manufacturability finding. `process` is set when it applies to one process only.

    Build one with `Finding.of(code, process=..., **params)`: severity, message and audience
    come from the catalogue in `geometry.codes` (``audience="staff"``: a note about our own
    processing, for staff pages and logs, never for customers).
    """

    code: str
    severity: Severity
    message: str
    process: str | None = None
    params: dict = field(default_factory=dict, hash=False)
    audience: Audience = "customer"

    @classmethod
    def of(cls, code: str, process: str | None = None, **params: Any) -> Finding:
        if process is not None:
            params["process"] = process
        entry = lookup(code)
        return cls(code, entry.severity, render(code, params), process, params, entry.audience)


@dataclass
class Mesh:
    """An indexed triangle mesh in millimetres: vertices (m, 3) float64, faces (n, 3) int.

    `outward` (optional, (n,) ±1): +1 where a face's normal points out of the material, -1
    where its shell is inside out; None when not known (the mesh's overall sign is used).
    `shell` (optional, (n,) int): each face's shell, where there are several (bodies of an
    assembly): a wall is measured within one shell only.
    """

    vertices: np.ndarray
    faces: np.ndarray
    outward: np.ndarray | None = None
    shell: np.ndarray | None = None


@dataclass(frozen=True)
class ProcessLimits:
    """What the manufacturability checks need to know of one process."""

    name: str
    envelope_mm: tuple[float, float, float]
    min_wall_mm: float


@dataclass
class Analysis:
    """A measured model: what the portal stores and the pricing engine reads."""

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
    machining: dict | None = None  # `geometry.machining.Machining.as_dict()`: setups, undercuts...
    findings: list[Finding] = field(default_factory=list)
    # the distinct parts: {"name", "count", "volume_mm3", "bbox_mm"} each (`geometry.parts`)
    parts: list[dict] = field(default_factory=list)
    # {"declared": None | "mm" | "in", "suggested": "mm" | "in", "sizes": {"mm": [...], "in": [...]}}
    units: dict | None = None
    # per print orientation ("as_uploaded", "flat", "fewest_supports"): {"height_mm", "wall_mm2",
    # "skin_mm2", "overhang_mm2", "column_mm3"} (`geometry.overhang.print_overhangs`), for the FDM estimate
    printing: dict | None = None

    def as_dict(self) -> dict:
        data = asdict(self)
        data["bbox_mm"] = list(self.bbox_mm)
        data["obb_mm"] = list(self.obb_mm)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Analysis:
        """The analysis `as_dict` gave (after a trip through JSON, too)."""
        data = dict(data)
        data["bbox_mm"] = tuple(data["bbox_mm"])
        data["obb_mm"] = tuple(data["obb_mm"])
        data["findings"] = [Finding(**finding) for finding in data.get("findings", [])]
        return cls(**data)
