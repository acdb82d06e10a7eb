"""Slice a model with PrusaSlicer's command line: print time, filament and layers as a shop quotes them.

A print shop prices a print from its slice, not from the part's volume: a part printed with two
perimeters and 20 % infill uses less than half the plastic of the solid part. PrusaSlicer is
a well-kept engine for exactly this; we drive its command line with profiles of our own
(``geometry/slicer_profiles/``: the printer and print settings, one file per material) and read
the summary comments it writes at the end of the G-code.

    caller ──slice_model()──▶ sandbox child (limits, own process group)
                                  read the model (any format we read), turn it as asked,
                                  write a binary STL into a private folder
                                  └─▶ prusa-slicer --export-gcode  (same limits, same group)
                                  read the G-code summary ──▶ SliceResult

The slicer only ever sees our own STL copy, written in a temporary folder that is removed with
the child; its settings folder is that temporary folder too, so nothing of the machine's user
profiles is read. A slicer that fails, runs out of time or is not installed gives a clean
`GeometryError` (`slice_failed`, `slice_timeout`, `slicer_missing`): the caller keeps its
estimate.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from geometry.limits import INFILLS, LAYERS, ORIENTATIONS
from geometry.model import GeometryError
from geometry.overhang import orientation_matrix

PROFILES = Path(__file__).with_name("slicer_profiles")
PRINTER_PROFILE = PROFILES / "printer.ini"
FALLBACK_MATERIAL = "pla"  # a material without a profile of its own prints with PLA's settings

_SUMMARY_BYTES = 256 * 1024  # the summary comments sit in the G-code's last few kilobytes
_LAYER_MARK = b"\n;LAYER_CHANGE\n"


@dataclass(frozen=True)
class SliceOptions:
    """One slice: the material (a rate-card id), its density, and the print settings."""

    material: str
    density_g_cm3: float = 1.24
    layer_mm: float = 0.2
    infill_percent: int = 20
    orientation: str = "as_uploaded"
    scale: float = 1.0  # the customer's units: 25.4 for a file in inches

    def check(self) -> SliceOptions:
        """The options themselves, or `GeometryError("bad_slice_option")` naming the bad one."""
        if self.infill_percent not in INFILLS:
            raise _bad_option("infill", self.infill_percent, INFILLS)
        if not any(abs(self.layer_mm - layer) < 1e-9 for layer in LAYERS):
            raise _bad_option("layer", self.layer_mm, LAYERS)
        if self.orientation not in ORIENTATIONS:
            raise _bad_option("orientation", self.orientation, ORIENTATIONS)
        if not re.fullmatch(r"[a-z0-9_]+", self.material):
            raise _bad_option("material", self.material, ())
        if not (0 < self.density_g_cm3 < 100 and 0 < self.scale <= 1e4):
            raise _bad_option("density or scale", f"{self.density_g_cm3}, {self.scale}", ())
        return self

    def key(self) -> str:
        """A name for this slice of one file, safe in a file name: `pla-l0.2-i20-flat-s1`."""
        return (
            f"{self.material}-l{self.layer_mm:g}-i{self.infill_percent}-{self.orientation}"
            f"-d{self.density_g_cm3:g}-s{self.scale:g}"
        )


def _bad_option(option: str, value: Any, choices: tuple) -> GeometryError:
    return GeometryError(
        "bad_slice_option", option=option, value=value, choices=", ".join(str(c) for c in choices) or "none"
    )


@dataclass(frozen=True)
class SliceResult:
    """What the slicer's G-code summary says, and what slicing took."""

    material: str
    layer_mm: float
    infill_percent: int
    orientation: str
    print_seconds: float  # PrusaSlicer's estimate (normal mode)
    filament_mm: float
    filament_cm3: float
    mass_g: float  # filament volume × the material's density
    layers: int
    height_mm: float  # build height as oriented
    slice_seconds: float  # wall-clock time of the slicer run

    @property
    def print_hours(self) -> float:
        return self.print_seconds / 3600

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SliceResult:
        return cls(**{name: data[name] for name in cls.__dataclass_fields__})


# --------------------------------------------------------------------------- the caller side


def find_slicer(slicer: str = "prusa-slicer") -> str | None:
    """The slicer's full path, or None when it is not installed (or `slicer` names nothing)."""
    return shutil.which(slicer)


def slice_model(
    path: str | os.PathLike,
    options: SliceOptions,
    slicer: str = "prusa-slicer",
    sandbox: Any = None,
    wall_seconds: float | None = None,
) -> SliceResult:
    """Slice `path` in a sandbox child (the process-wide one unless `sandbox` is given).

    Raises GeometryError: `slicer_missing`, `bad_slice_option`, `slice_failed`, `slice_timeout`,
    or the reader's own error for a model that cannot be read.
    """
    options.check()
    binary = find_slicer(slicer)
    if binary is None:
        raise GeometryError("slicer_missing", f"{slicer!r} is not installed")
    if sandbox is None:
        from geometry.sandbox import default_sandbox

        sandbox = default_sandbox()
    wall = sandbox.wall_seconds if wall_seconds is None else wall_seconds
    try:
        # the slicer's own timeout comes first, so that it says "slicing"; the sandbox's is the backstop
        return sandbox.run(slice_file, os.fspath(path), options, binary, timeout=max(1.0, wall - 2), wall_seconds=wall)
    except GeometryError as error:
        if error.code in ("timeout", "slice_timeout"):  # the slicer's or the sandbox's deadline
            raise GeometryError("slice_timeout", error.detail, seconds=wall) from None
        if error.code in ("crashed", "out_of_memory", "unreadable"):
            raise GeometryError("slice_failed", f"{error.code}: {error.detail}"[-2000:]) from None
        raise


# --------------------------------------------------------------------------- the child side


def slice_file(path: str, options: SliceOptions, slicer: str, timeout: float | None = None) -> SliceResult:
    """Read, turn and slice one model. Runs in a sandbox child (or directly, in tests and benches)."""
    from geometry.analyze import load_mesh

    options.check()
    mesh = load_mesh(path)
    vertices = mesh.vertices * options.scale
    vertices = vertices @ orientation_matrix(vertices, mesh.faces, options.orientation).T
    height = float(vertices[:, 2].max() - vertices[:, 2].min())
    with tempfile.TemporaryDirectory(prefix="slice-") as folder:
        model = Path(folder, "model.stl")
        gcode = Path(folder, "model.gcode")
        write_stl(model, vertices, mesh.faces)
        del vertices, mesh
        command = slicer_command(slicer, options, model, gcode, Path(folder, "config"))
        started = time.monotonic()
        try:
            run = subprocess.run(
                command,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout,
                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": folder, "LC_ALL": "C"},
                cwd=folder,
            )
        except subprocess.TimeoutExpired:
            raise GeometryError("slice_timeout", "prusa-slicer ran too long", seconds=timeout) from None
        took = time.monotonic() - started
        if run.returncode != 0 or not gcode.exists():
            raise GeometryError("slice_failed", _said(run.stderr + run.stdout))
        summary = read_summary(gcode)
    filament_cm3 = summary["filament_cm3"]
    return SliceResult(
        material=options.material,
        layer_mm=options.layer_mm,
        infill_percent=options.infill_percent,
        orientation=options.orientation,
        print_seconds=summary["print_seconds"],
        filament_mm=summary["filament_mm"],
        filament_cm3=filament_cm3,
        mass_g=filament_cm3 * options.density_g_cm3,
        layers=summary["layers"],
        height_mm=height,
        slice_seconds=took,
    )


def profile_for(material: str) -> Path:
    own = PROFILES / f"{material}.ini"
    return own if own.is_file() else PROFILES / f"{FALLBACK_MATERIAL}.ini"


def slicer_command(slicer: str, options: SliceOptions, model: Path, gcode: Path, config: Path) -> list[str]:
    command = [
        slicer,
        "--loglevel", "1",
        "--datadir", os.fspath(config),
        "--load", os.fspath(PRINTER_PROFILE),
        "--load", os.fspath(profile_for(options.material)),
        "--layer-height", f"{options.layer_mm:g}",
        "--fill-density", f"{options.infill_percent}%",
        "--filament-density", f"{options.density_g_cm3:g}",
    ]  # fmt: skip
    if options.infill_percent >= 100:  # gyroid cannot fill solid; solid layers are rectilinear
        command += ["--fill-pattern", "rectilinear"]
    return command + ["--export-gcode", "--output", os.fspath(gcode), os.fspath(model)]


def _said(output: bytes) -> str:
    """The slicer's own words, without its trace lines, for the logs."""
    lines = [line for line in output.decode("utf-8", "replace").splitlines() if "[trace]" not in line]
    return "\n".join(lines)[-2000:] or "no output"


_DURATION = re.compile(r"(\d+)([dhms])")
_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(text: str) -> float:
    """PrusaSlicer's "1d 2h 44m 3s" in seconds."""
    parts = _DURATION.findall(text)
    if not parts:
        raise ValueError(f"not a duration: {text!r}")
    return float(sum(int(n) * _SECONDS[unit] for n, unit in parts))


def read_summary(gcode: Path) -> dict[str, float]:
    """Filament length and volume, the estimated time and the layer count of a G-code file."""
    size = gcode.stat().st_size
    layers = 0
    with open(gcode, "rb") as handle:
        carry = b""
        while chunk := handle.read(1 << 22):
            block = carry + chunk
            layers += block.count(_LAYER_MARK)
            carry = block[-(len(_LAYER_MARK) - 1) :]
        handle.seek(max(0, size - _SUMMARY_BYTES))
        tail = handle.read().decode("ascii", "replace")
    found = {}
    for key, pattern in (
        ("filament_mm", r"^; filament used \[mm\] = ([\d.]+)"),
        ("filament_cm3", r"^; filament used \[cm3\] = ([\d.]+)"),
        ("print_time", r"^; estimated printing time \(normal mode\) = (.+)$"),
    ):
        match = re.search(pattern, tail, re.MULTILINE)
        if match is None:
            raise GeometryError("slice_failed", f"the G-code has no {key} summary")
        found[key] = match.group(1).strip()
    return {
        "filament_mm": float(found["filament_mm"]),
        "filament_cm3": float(found["filament_cm3"]),
        "print_seconds": parse_duration(found["print_time"]),
        "layers": layers,
    }


# --------------------------------------------------------------------------- STL out


def write_stl(path: Path, vertices: np.ndarray, faces: np.ndarray) -> None:
    """A binary STL of an indexed mesh (float32, as the format has it)."""
    record = np.dtype([("normal", "<f4", 3), ("corners", "<f4", (3, 3)), ("attribute", "<u2")])
    data = np.zeros(len(faces), dtype=record)
    corners = vertices[faces]
    cross = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    length = np.linalg.norm(cross, axis=1, keepdims=True)
    data["normal"] = np.divide(cross, length, out=np.zeros_like(cross), where=length > 0)
    data["corners"] = corners
    with open(path, "wb") as handle:
        handle.write(b"binary STL written for slicing".ljust(80, b" "))
        handle.write(np.uint32(len(faces)).tobytes())
        data.tofile(handle)
