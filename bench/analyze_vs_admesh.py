"""`python -m geometry analyze --json` against admesh, side by side, whole processes.

    .venv/bin/python bench/analyze_vs_admesh.py [--runs 7] [--subdivisions 8]

Generates (once) bench/out/sphere8.stl — an icosphere of subdivision 8, 1,310,720 facets,
65 MB — and bench/out/ascii100k.stl — a closed 100,000-facet cylinder in ASCII. Each run
starts both processes from cold Python (no shared warm state), alternating admesh and ours,
each through a small launcher that reports the program's own wall time, CPU time (user +
system) and peak RSS; the table shows medians and minimums, and the load average.
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
from dataclasses import dataclass
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


# Each program is started by a small launcher process that times it and reads its rusage.
# Measuring from this process would be wrong: the kernel starts a child's peak RSS at that of
# the process it was spawned from (its memory before exec), so every child reported this
# script's own peak (440 MB once trimesh had generated the sphere here) instead of its own.
LAUNCHER = """
import os, sys, time
start = time.perf_counter()
pid = os.posix_spawnp(sys.argv[1], sys.argv[1:], os.environ,
                      file_actions=[(os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)])
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
print(os.waitstatus_to_exitcode(status), wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss,
      file=sys.stderr)
"""


@dataclass(frozen=True)
class Run:
    wall: float  # seconds
    cpu: float  # user + system seconds of the program itself
    rss_mb: float  # its own peak resident memory
    out: str


def timed(cmd: list[str]) -> Run:
    """Wall time, CPU time, peak RSS and stdout of one program, measured by the launcher."""
    proc = subprocess.run(
        [sys.executable, "-I", "-S", "-c", LAUNCHER, *cmd], capture_output=True, cwd=ROOT, check=True
    )
    code, wall, cpu, rss_kb = proc.stderr.split()[-4:]
    if int(code) != 0:
        raise SystemExit(f"{cmd} failed with exit {int(code)}: {proc.stdout[-500:]!r}")
    # admesh prints its 80-byte header as it is, with whatever bytes follow it in memory
    return Run(float(wall), float(cpu), int(rss_kb) / 1024, proc.stdout.decode("utf-8", errors="replace"))


def parse_admesh(text: str) -> dict:
    volume = float(re.search(r"Volume\s*:\s*([-\d.]+)", text).group(1))
    lo = [float(re.search(rf"Min {a} =\s*([-\d.]+)", text).group(1)) for a in "XYZ"]
    hi = [float(re.search(rf"Max {a} =\s*([-\d.]+)", text).group(1)) for a in "XYZ"]
    return {"volume": volume, "bbox": [h - low for h, low in zip(hi, lo, strict=True)]}


def row(name: str, runs: list[Run], file_mb: float | None = None) -> str:
    walls, cpus = [r.wall for r in runs], [r.cpu for r in runs]
    rss = max(r.rss_mb for r in runs)
    ratio = f"{rss / file_mb:9.2f}x" if file_mb else ""
    return (f"{name:28}{statistics.median(walls):8.3f}{min(walls):8.3f}"
            f"{statistics.median(cpus):9.3f}{min(cpus):8.3f}{rss:10.1f}{ratio}")


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

    floor = timed(["true"]).rss_mb  # what the measurement itself adds to a program's peak
    # bytecode written once, as an installed package has it (with PYTHONDONTWRITEBYTECODE set,
    # every run would otherwise compile the library's sources again)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "geometry")], check=True)
    # warm the page cache and the .pyc files once, then alternate
    for path in (binary, ascii_path):
        timed([admesh, str(path)])
        timed([*ours, str(path)])
    load_before = os.getloadavg()
    admesh_runs, our_runs, admesh_ascii, our_ascii = [], [], [], []
    for i in range(args.runs):
        admesh_runs.append(timed([admesh, str(binary)]))
        our_runs.append(timed([*ours, str(binary)]))
        if i < max(3, args.runs // 2):
            admesh_ascii.append(timed([admesh, str(ascii_path)]))
            our_ascii.append(timed([*ours, str(ascii_path)]))
    load_after = os.getloadavg()

    file_mb = binary.stat().st_size / 1e6
    a_wall = statistics.median(r.wall for r in admesh_runs)
    o_wall = statistics.median(r.wall for r in our_runs)
    o_rss = max(r.rss_mb for r in our_runs)
    reference = parse_admesh(admesh_runs[-1].out)
    result = json.loads(our_runs[-1].out)
    volume_error = abs(result["volume_mm3"] - reference["volume"]) / reference["volume"]
    bbox_error = max(abs(a - b) for a, b in zip(result["bbox_mm"], reference["bbox"], strict=True))
    ascii_wall = statistics.median(r.wall for r in our_ascii)
    ascii_result = json.loads(our_ascii[-1].out)

    print(f"file: {binary.name}, {result['triangles']:,} facets, {file_mb:.1f} MB; "
          f"{args.runs} alternating runs; cpus: {os.cpu_count()}; load average (1/5/15 min) "
          f"before {'/'.join(f'{v:.1f}' for v in load_before)}, "
          f"after {'/'.join(f'{v:.1f}' for v in load_after)}")
    print()
    print(f"{'':28}{'wall s':>8}{'min':>8}{'CPU s':>9}{'min':>8}{'peak MB':>10}{'/ file':>10}")
    print(row("admesh", admesh_runs, file_mb))
    print(row("python -m geometry analyze", our_runs, file_mb))
    print(f"ASCII {ascii_result['triangles']:,} facets, {ascii_path.stat().st_size / 1e6:.1f} MB:")
    print(row("  admesh", admesh_ascii))
    print(row("  python -m geometry analyze", our_ascii))
    print()
    print("wall: median and min; CPU: user + system of the program itself; peak RSS: its own "
          f"(the measurement adds at most {floor:.1f} MB, a program doing nothing)")
    print(f"ratio ours / admesh, binary: wall {o_wall / a_wall:.2f}x "
          f"(min/min {min(r.wall for r in our_runs) / min(r.wall for r in admesh_runs):.2f}x), "
          f"CPU {statistics.median(r.cpu for r in our_runs) / statistics.median(r.cpu for r in admesh_runs):.2f}x")
    print(f"peak memory / file size: {o_rss / file_mb:.2f}x (limit 2x)")
    print(f"volume: ours {result['volume_mm3']:.3f} mm³, admesh {reference['volume']:.3f} mm³, "
          f"difference {volume_error * 100:.4f} % (limit 0.1 %)")
    print(f"bbox: ours {result['bbox_mm']}, admesh {reference['bbox']}, "
          f"max difference {bbox_error:.6f} mm (limit 0.01 mm)")
    print(f"ASCII: median {ascii_wall:.3f} s (limit 1 s)")
    ok = (
        o_wall <= 1.5 * a_wall
        and o_rss <= 2 * file_mb
        and volume_error < 1e-3
        and bbox_error < 0.01
        and ascii_wall < 1.0
    )
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
