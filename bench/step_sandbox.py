"""STEP through the warm sandbox vs OpenCASCADE's own read + mass properties + tessellation.

    .venv/bin/python bench/step_sandbox.py [--runs 9] [--step FILE]

O: OpenCASCADE alone in this (warm) process: read the file (STEPControl_Reader), exact volume
   and surface properties (BRepGProp), and the tessellation `geometry.step` uses
   (BRepMesh_IncrementalMesh, same deflections, one thread). Nothing else.
S: `geometry.step.analyze_step` through a warm `geometry.sandbox.Sandbox` with the default
   process limits, as the portal runs it: the same read, properties and tessellation, plus the
   bounding box, oriented box, hole search, the tessellation's arrays, the envelope and the
   thin-wall rays, the fork, limits and the pickled result.
P: `geometry.pipeline.process_model` (S plus the PNG thumbnail and the GLB), for information.
Target: S ≤ 1.3 × O. O, S and P are interleaved so that all see the same load; medians.
Without --step, the bench part of `bench/step_part.py` is built into a temporary directory.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
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


def occ_alone(path: str) -> float:
    """Read, volume and area, tessellate: what OpenCASCADE itself does, and nothing else."""
    from OCP.Bnd import Bnd_Box
    from OCP.BRepBndLib import BRepBndLib
    from OCP.BRepGProp import BRepGProp
    from OCP.BRepMesh import BRepMesh_IncrementalMesh
    from OCP.GProp import GProp_GProps

    from geometry.limits import STEP_ANGULAR_DEFLECTION

    shape = _read_shape(path)
    volume = GProp_GProps()
    BRepGProp.VolumeProperties_s(shape, volume)
    area = GProp_GProps()
    BRepGProp.SurfaceProperties_s(shape, area)
    box = Bnd_Box()  # the diagonal for the deflection, from the cheap box
    BRepBndLib.Add_s(shape, box)
    x0, y0, z0, x1, y1, z1 = box.Get()
    diagonal = math.dist((x0, y0, z0), (x1, y1, z1))
    BRepMesh_IncrementalMesh(shape, _deflection(diagonal), False, STEP_ANGULAR_DEFLECTION, False)
    return volume.Mass()


def timed(func) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--step", help="a STEP file to use instead of the bench part")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        if args.step:
            path = Path(args.step)
        else:
            from step_part import build

            path = Path(tmp) / "housing.step"
            build(path)
        size_mb = os.path.getsize(path) / 1e6
        out = Path(tmp) / "previews"
        out.mkdir()
        limits = default_process_limits()

        start = time.perf_counter()
        sandbox = Sandbox(wall_seconds=300, cpu_seconds=300).start()
        startup = time.perf_counter() - start
        devnull = os.open(os.devnull, os.O_WRONLY)  # OpenCASCADE's console chatter
        saved = os.dup(1)
        os.dup2(devnull, 1)
        try:
            warm_up()  # this process as warm as the sandbox's warm parent
            occ_alone(str(path))
            analysis = analyze_step(path, sandbox=sandbox, limits=limits)
            o_times, s_times, p_times = [], [], []
            for _ in range(args.runs):
                o_times.append(timed(lambda: occ_alone(str(path))))
                s_times.append(timed(lambda: analyze_step(path, sandbox=sandbox, limits=limits)))
                p_times.append(timed(lambda: process_model(path, out, sandbox=sandbox)))
            round_trip = statistics.median(timed(lambda: sandbox.run("os:getpid")) for _ in range(21))
        finally:
            os.dup2(saved, 1)
            sandbox.close()

    o, s, p = (statistics.median(t) for t in (o_times, s_times, p_times))
    ratio = s / o
    print(
        f"part: {path.name}, {size_mb:.2f} MB, {analysis.faces} B-rep faces, {analysis.holes} holes, "
        f"{analysis.triangles:,} triangles, volume {analysis.volume_mm3:,.1f} mm3"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (2 CPUs)")
    print(f"warm parent start-up (once per process): {startup:.2f} s; empty job {round_trip * 1000:.1f} ms")
    print(f"O  OpenCASCADE read + mass properties + tessellation: {o:.3f} s  (min {min(o_times):.3f})")
    print(f"S  analyze_step through the warm sandbox, default limits: {s:.3f} s  (min {min(s_times):.3f})")
    print(f"P  process_model (S + thumbnail + GLB): {p:.3f} s  (min {min(p_times):.3f})")
    print(f"S / O = {ratio:.2f}  (target <= 1.3): {'PASS' if ratio <= 1.3 else 'FAIL'}  (medians of {args.runs})")
    return 0 if ratio <= 1.3 else 1


if __name__ == "__main__":
    sys.exit(main())
