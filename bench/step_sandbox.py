"""STEP through the warm sandbox vs OpenCASCADE alone, in a warm process.

    .venv/bin/python bench/step_sandbox.py [--runs 15] [--step FILE]

T: `geometry.step.measure_step` (read + exact volume/area/bbox + tessellation + OBB + holes)
called directly in this process, after a warm-up read: OpenCASCADE alone, nothing in between.
S: `geometry.step.analyze_step` through a warm `geometry.sandbox.Sandbox` (fork, limits,
pickled result over a pipe), the same work. Target: S < T + 0.15 s. Medians of --runs, T and S
interleaved so that both see the same load.
Without --step, a machined part is built with cadquery into a temporary directory.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geometry.pricing import default_process_limits  # noqa: E402
from geometry.sandbox import Sandbox  # noqa: E402
from geometry.step import analyze_step, measure_step  # noqa: E402


def build_part(path: Path) -> None:
    """A machined housing: pocketed block, 48 drilled holes, counterbores, filleted edges."""
    import cadquery as cq

    part = (
        cq.Workplane("XY")
        .box(240, 160, 40)
        .edges("|Z")
        .fillet(12)
        .faces(">Z")
        .workplane()
        .rect(180, 100)
        .cutBlind(-25)
        .faces(">Z")
        .workplane()
        .rarray(20, 20, 11, 2)
        .hole(6)
        .faces("<Z")
        .workplane()
        .rarray(30, 140, 7, 2)
        .cboreHole(8, 14, 5)
        .faces("<X")
        .workplane(centerOption="CenterOfBoundBox")
        .rarray(30, 20, 4, 1)
        .hole(10, 30)
        .edges(">Z")
        .chamfer(1.5)
    )
    cq.exporters.export(part, str(path))


def median_time(func, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--step", help="a STEP file to use instead of the built part")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        if args.step:
            path = Path(args.step)
        else:
            path = Path(tmp) / "housing.step"
            build_part(path)
        size_kb = os.path.getsize(path) / 1024

        start = time.perf_counter()
        sandbox = Sandbox().start()
        startup = time.perf_counter() - start
        # Silence OpenCASCADE's console chatter in this process (the sandbox child does too).
        devnull = os.open(os.devnull, os.O_WRONLY)
        saved = os.dup(1)
        os.dup2(devnull, 1)
        try:
            measured = measure_step(str(path))  # warm-up: the reader's statics, like the warm parent
            analysis = analyze_step(path, sandbox=sandbox)  # and the first job after start
            # Interleaved, so that both see the same load on a shared machine.
            direct_times, sandboxed_times = [], []
            for _ in range(args.runs):
                direct_times.append(median_time(lambda: measure_step(str(path)), 1))
                sandboxed_times.append(median_time(lambda: analyze_step(path, sandbox=sandbox), 1))
            round_trip = median_time(lambda: sandbox.run("os:getpid"), 21)  # fork + pipes only
            # For information: the whole analysis as `python -m geometry analyze` runs it, with
            # the default process limits (envelope, and thin walls cast on the tessellation).
            limits = default_process_limits()
            with_dfm = median_time(lambda: analyze_step(path, sandbox=sandbox, limits=limits), 5)
        finally:
            os.dup2(saved, 1)
            sandbox.close()
        direct = statistics.median(direct_times)
        sandboxed = statistics.median(sandboxed_times)

    assert abs(analysis.volume_mm3 - measured.volume_mm3) < 1e-6 * measured.volume_mm3
    overhead = sandboxed - direct
    ok = sandboxed < direct + 0.15
    print(
        f"part: {path.name}, {size_kb:.0f} KB, {analysis.faces} B-rep faces, "
        f"{analysis.holes} holes, {analysis.triangles} triangles, "
        f"volume {analysis.volume_mm3:.1f} mm3"
    )
    print(f"warm parent start-up (once per process): {startup:.3f} s")
    print(f"empty job through the warm sandbox (fork + pipes): {round_trip * 1000:.1f} ms")
    print(f"T  OCP alone, warm process:   {direct:.3f} s (median of {args.runs})")
    print(f"S  through the warm sandbox:  {sandboxed:.3f} s (median of {args.runs})")
    print(f"S with the default process limits' DFM checks (info): {with_dfm:.3f} s (median of 5)")
    print(f"overhead S - T: {overhead * 1000:.0f} ms  (target < 150 ms): {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
