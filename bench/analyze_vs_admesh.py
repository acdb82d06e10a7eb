"""`python -m geometry analyze --json` against admesh, side by side, whole processes.

    .venv/bin/python bench/analyze_vs_admesh.py [--runs 7] [--subdivisions 8]

Generates (once) bench/out/sphere8.stl — an icosphere of subdivision 8, 1,310,720 facets,
65 MB — and bench/out/ascii100k.stl — a closed 100,000-facet cylinder in ASCII. Each run
starts both processes from cold Python (no shared warm state), alternating admesh and ours;
the table shows the median wall time, and peak RSS per process from wait4().
Accuracy: our volume against admesh's, bounding boxes against admesh's Min/Max.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"


def generate(subdivisions: int) -> tuple[Path, Path]:
    import trimesh

    sys.path.insert(0, str(ROOT))
    from geometry.stl import write_ascii, write_binary

    OUT.mkdir(parents=True, exist_ok=True)
    binary = OUT / f"sphere{subdivisions}.stl"
    if not binary.exists():
        mesh = trimesh.creation.icosphere(subdivisions=subdivisions, radius=50.0)
        write_binary(binary, mesh.triangles)
    ascii_path = OUT / "ascii100k.stl"
    if not ascii_path.exists():
        mesh = trimesh.creation.cylinder(radius=20.0, height=30.0, sections=25_000)
        write_ascii(ascii_path, mesh.triangles)
    return binary, ascii_path


def timed(cmd: list[str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MB, stdout) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd} failed with exit {proc.returncode}: {out[-500:]!r}")
    # admesh prints its 80-byte header as it is, with whatever bytes follow it in memory
    return wall, usage.ru_maxrss / 1024, out.decode("utf-8", errors="replace")


def parse_admesh(text: str) -> dict:
    volume = float(re.search(r"Volume\s*:\s*([-\d.]+)", text).group(1))
    lo = [float(re.search(rf"Min {a} =\s*([-\d.]+)", text).group(1)) for a in "XYZ"]
    hi = [float(re.search(rf"Max {a} =\s*([-\d.]+)", text).group(1)) for a in "XYZ"]
    return {"volume": volume, "bbox": [h - low for h, low in zip(hi, lo, strict=True)]}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--subdivisions", type=int, default=8)
    args = parser.parse_args()
    admesh = shutil.which("admesh")
    if admesh is None:
        raise SystemExit("admesh is not installed (apt-get install admesh)")
    binary, ascii_path = generate(args.subdivisions)
    ours = [sys.executable, "-m", "geometry", "analyze", "--json"]

    # warm the page cache and the .pyc files once, then alternate
    timed([admesh, str(binary)])
    timed([*ours, str(binary)])
    admesh_runs, our_runs = [], []
    for _ in range(args.runs):
        admesh_runs.append(timed([admesh, str(binary)]))
        our_runs.append(timed([*ours, str(binary)]))
    ascii_runs = [timed([*ours, str(ascii_path)]) for _ in range(max(3, args.runs // 2))]

    file_mb = binary.stat().st_size / 1e6
    a_wall = statistics.median(r[0] for r in admesh_runs)
    o_wall = statistics.median(r[0] for r in our_runs)
    a_rss = max(r[1] for r in admesh_runs)
    o_rss = max(r[1] for r in our_runs)
    reference = parse_admesh(admesh_runs[-1][2])
    result = json.loads(our_runs[-1][2])
    volume_error = abs(result["volume_mm3"] - reference["volume"]) / reference["volume"]
    bbox_error = max(abs(a - b) for a, b in zip(result["bbox_mm"], reference["bbox"], strict=True))
    ascii_wall = statistics.median(r[0] for r in ascii_runs)
    ascii_result = json.loads(ascii_runs[-1][2])

    print(f"file: {binary.name}, {result['triangles']:,} facets, {file_mb:.1f} MB; "
          f"{args.runs} alternating runs, median wall time; cpus: {os.cpu_count()}; "
          f"load average: {os.getloadavg()[0]:.2f}")
    print()
    print(f"{'':28}{'wall s':>8}{'min s':>8}{'peak RSS MB':>13}{'RSS / file':>12}")
    for name, runs, wall, rss in (
        ("admesh", admesh_runs, a_wall, a_rss),
        ("python -m geometry analyze", our_runs, o_wall, o_rss),
    ):
        print(f"{name:28}{wall:8.3f}{min(r[0] for r in runs):8.3f}{rss:13.1f}"
              f"{rss / file_mb:12.2f}")
    print()
    print(f"ratio ours / admesh (median wall): {o_wall / a_wall:.2f}x   "
          f"(min/min: {min(r[0] for r in our_runs) / min(r[0] for r in admesh_runs):.2f}x)")
    print(f"peak memory / file size: {o_rss / file_mb:.2f}x (limit 4x)")
    print(f"volume: ours {result['volume_mm3']:.3f} mm³, admesh {reference['volume']:.3f} mm³, "
          f"difference {volume_error * 100:.4f} % (limit 0.1 %)")
    print(f"bbox: ours {result['bbox_mm']}, admesh {reference['bbox']}, "
          f"max difference {bbox_error:.6f} mm (limit 0.01 mm)")
    print(f"ASCII 100k facets ({ascii_path.stat().st_size / 1e6:.1f} MB, "
          f"{ascii_result['triangles']:,} facets): median {ascii_wall:.3f} s (limit 1 s)")
    ok = (
        o_wall <= 1.5 * a_wall
        and o_rss < 4 * file_mb
        and volume_error < 1e-3
        and bbox_error < 0.01
        and ascii_wall < 1.0
    )
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
