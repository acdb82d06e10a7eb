"""STEP through the warm sandbox vs OpenCASCADE's own read + mass properties + tessellation.

    .venv/bin/python bench/step_sandbox.py [--runs 7] [--cold] [--previews] [FILE_OR_GLOB ...]

Parts: the planar/cylindrical bench part of `bench/step_part.py` (target S/O <= 1.2), the
freeform ring of `bench/freeform_part.py` (1,024 B-spline faces; target <= 1.3), and any STEP
files given (globs are expanded; a pattern that matches nothing is skipped): real freeform
exports are held to 1.3 as well. `--no-bench-parts` measures the given files only.

Per part, interleaved so that all see the same load, medians of --runs:
O: OpenCASCADE alone in this (warm) process: read the file (STEPControl_Reader), exact volume
   and surface properties (BRepGProp), and the tessellation `geometry.step` uses
   (BRepMesh_IncrementalMesh, same deflections, one thread). Nothing else. O' is O without
   the area (read + volume + tessellation), for comparison.
S: `geometry.step.analyze_step` through a warm `geometry.sandbox.Sandbox` with the default
   process limits, as the portal runs it: the same read, properties and tessellation, plus the
   bounding box, oriented box, hole search, the tessellation's arrays, the envelope and the
   thin-wall rays, the fork, limits and the pickled result.
P: (--previews) `geometry.pipeline.process_model` (S plus the PNG thumbnail and the GLB).
--cold: whole processes as well, alternated: `python -m geometry analyze --json FILE` against
   a fresh Python that imports OCP and does O's work (Cw / Ow).
"""

from __future__ import annotations

import argparse
import glob
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from geometry.pipeline import process_model  # noqa: E402
from geometry.pricing import default_process_limits  # noqa: E402
from geometry.sandbox import Sandbox  # noqa: E402
from geometry.step import _deflection, _read_shape, analyze_step, warm_up  # noqa: E402

PLANAR_TARGET = 1.2
FREEFORM_TARGET = 1.3

# O as a whole process: a fresh interpreter, the OCP modules O needs, then O's work.
OCC_ALONE_PROCESS = """
import math, sys
from OCP.Bnd import Bnd_Box
from OCP.BRepBndLib import BRepBndLib
from OCP.BRepGProp import BRepGProp
from OCP.BRepMesh import BRepMesh_IncrementalMesh
from OCP.GProp import GProp_GProps
from OCP.STEPControl import STEPControl_Reader
reader = STEPControl_Reader()
reader.ReadFile(sys.argv[1])
reader.TransferRoots()
shape = reader.OneShape()
volume, area = GProp_GProps(), GProp_GProps()
BRepGProp.VolumeProperties_s(shape, volume)
BRepGProp.SurfaceProperties_s(shape, area)
box = Bnd_Box()
BRepBndLib.Add_s(shape, box)
x0, y0, z0, x1, y1, z1 = box.Get()
diagonal = math.dist((x0, y0, z0), (x1, y1, z1))
BRepMesh_IncrementalMesh(shape, min(max(diagonal * {rel}, {lo}), {hi}), False, {angle}, False)
print(volume.Mass())
"""


def occ_alone(path: str) -> tuple[float, float]:
    """Read, volume and area, tessellate: what OpenCASCADE itself does, and nothing else.
    Returns (whole time, time spent on the area)."""
    from OCP.Bnd import Bnd_Box
    from OCP.BRepBndLib import BRepBndLib
    from OCP.BRepGProp import BRepGProp
    from OCP.BRepMesh import BRepMesh_IncrementalMesh
    from OCP.GProp import GProp_GProps

    from geometry.limits import STEP_ANGULAR_DEFLECTION

    start = time.perf_counter()
    shape = _read_shape(path)
    volume = GProp_GProps()
    BRepGProp.VolumeProperties_s(shape, volume)
    area_start = time.perf_counter()
    area = GProp_GProps()
    BRepGProp.SurfaceProperties_s(shape, area)
    area_time = time.perf_counter() - area_start
    box = Bnd_Box()  # the diagonal for the deflection, from the cheap box
    BRepBndLib.Add_s(shape, box)
    x0, y0, z0, x1, y1, z1 = box.Get()
    diagonal = math.dist((x0, y0, z0), (x1, y1, z1))
    BRepMesh_IncrementalMesh(shape, _deflection(diagonal), False, STEP_ANGULAR_DEFLECTION, False)
    return time.perf_counter() - start, area_time


def timed(func) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def whole_process(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    return time.perf_counter() - start


def measure(path: Path, target: float, args, sandbox: Sandbox, out: Path) -> tuple[bool, list[str]]:
    from geometry.limits import (
        STEP_ANGULAR_DEFLECTION,
        STEP_DEFLECTION_MAX_MM,
        STEP_DEFLECTION_MIN_MM,
        STEP_DEFLECTION_REL,
    )

    report: list[str] = []
    limits = default_process_limits()
    occ_alone(str(path))
    analysis = analyze_step(path, sandbox=sandbox, limits=limits)
    o_times, o_areas, s_times, p_times, cw_times, ow_times = [], [], [], [], [], []
    occ_code = OCC_ALONE_PROCESS.format(
        rel=STEP_DEFLECTION_REL, lo=STEP_DEFLECTION_MIN_MM, hi=STEP_DEFLECTION_MAX_MM, angle=STEP_ANGULAR_DEFLECTION
    )
    for _ in range(args.runs):
        whole, area = occ_alone(str(path))
        o_times.append(whole)
        o_areas.append(area)
        s_times.append(timed(lambda: analyze_step(path, sandbox=sandbox, limits=limits)))
        if args.previews:
            p_times.append(timed(lambda: process_model(path, out, sandbox=sandbox)))
        if args.cold:
            ow_times.append(whole_process([sys.executable, "-c", occ_code, str(path)]))
            cw_times.append(whole_process([sys.executable, "-m", "geometry", "analyze", "--json", str(path)]))
    o, s = statistics.median(o_times), statistics.median(s_times)
    o_no_area = statistics.median(w - a for w, a in zip(o_times, o_areas, strict=True))
    ratio = s / o
    ok = ratio <= target
    size_mb = os.path.getsize(path) / 1e6
    report.append(f"\n{path.name}: {size_mb:.2f} MB, {analysis.faces} B-rep faces, {analysis.holes} holes, "
          f"{analysis.triangles:,} triangles, volume {analysis.volume_mm3:,.1f} mm3, "
          f"bbox {' x '.join(f'{e:.2f}' for e in analysis.bbox_mm)} mm")
    report.append(f"  O  OpenCASCADE read + volume + area + tessellation: {o:.3f} s  (min {min(o_times):.3f})")
    report.append(f"  O' the same without the area: {o_no_area:.3f} s")
    report.append(f"  S  analyze_step through the warm sandbox, default limits: {s:.3f} s  (min {min(s_times):.3f})")
    if p_times:
        report.append(f"  P  process_model (S + thumbnail + GLB): {statistics.median(p_times):.3f} s")
    report.append(f"  S / O = {ratio:.2f}, S / O' = {s / o_no_area:.2f}  (target S / O <= {target}): "
          f"{'PASS' if ok else 'FAIL'}  (medians of {args.runs})")
    if args.cold:
        cw, ow = statistics.median(cw_times), statistics.median(ow_times)
        report.append(f"  whole processes: `python -m geometry analyze --json` {cw:.2f} s (min {min(cw_times):.2f}), "
              f"OpenCASCADE alone {ow:.2f} s (min {min(ow_times):.2f}): {cw / ow:.2f}x")
    return ok, report


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("files", nargs="*", help="more STEP files or globs (real-world exports)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--cold", action="store_true", help="whole processes too (the command line)")
    parser.add_argument("--previews", action="store_true", help="process_model too")
    parser.add_argument("--no-bench-parts", action="store_true", help="only the files given")
    args = parser.parse_args()

    extra = [Path(p) for pattern in args.files for p in sorted(glob.glob(pattern)) if os.path.isfile(p)]
    with tempfile.TemporaryDirectory() as tmp:
        parts: list[tuple[Path, float]] = []
        if not args.no_bench_parts:
            from freeform_part import build as build_freeform
            from step_part import build as build_planar

            parts.append((Path(tmp) / "housing.step", PLANAR_TARGET))
            build_planar(parts[-1][0])
            parts.append((Path(tmp) / "freeform_ring.step", FREEFORM_TARGET))
            build_freeform(parts[-1][0], 32, 32, 2)
        parts += [(p, FREEFORM_TARGET) for p in extra]
        out = Path(tmp) / "previews"
        out.mkdir()

        print(f"load average at the start: {os.getloadavg()[0]:.1f} (2 CPUs)")
        start = time.perf_counter()
        sandbox = Sandbox(wall_seconds=300, cpu_seconds=300).start()
        startup = time.perf_counter() - start
        devnull = os.open(os.devnull, os.O_WRONLY)  # OpenCASCADE's console chatter
        saved = os.dup(1)
        results = []
        try:
            os.dup2(devnull, 1)
            warm_up()  # this process as warm as the sandbox's warm parent
            round_trip = statistics.median(timed(lambda: sandbox.run("os:getpid")) for _ in range(21))
            os.dup2(saved, 1)
            print(f"warm parent start-up (once per process): {startup:.2f} s; empty job {round_trip * 1000:.1f} ms")
            for path, target in parts:
                os.dup2(devnull, 1)
                try:
                    ok, report = measure(path, target, args, sandbox, out)
                finally:
                    os.dup2(saved, 1)
                print("\n".join(report), flush=True)
                results.append(ok)
        finally:
            os.dup2(saved, 1)
            sandbox.close()
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f} (2 CPUs)")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
