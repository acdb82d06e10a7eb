"""What machining-feature recognition adds to a STEP analysis.

    .venv/bin/python bench/machining.py [--runs 7] [--step FILE]

In one warm process, per run: A = what `geometry.step.measure_step` did before the features
(read, exact measures, bounding and oriented boxes, hole count, tessellation and its arrays);
F = `geometry.machining.machining_of_shape` on that shape and tessellation (B-rep faces,
holes, corners, the rays of the six directions in up to two orientations). Target: F ≤ 0.3 × A.
Medians. Without --step, the bench part of `bench/step_part.py` (321 faces) is built.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from geometry.machining import machining_of_shape  # noqa: E402
from geometry.step import _measure_shape, _read_shape, _triangulation_arrays, warm_up  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--step", help="a STEP file to use instead of the bench part")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.step:
            path = args.step
        else:
            from step_part import build

            path = os.path.join(tmp, "housing.step")
            build(Path(path))
        warm_up()
        base, extra = [], []
        for _ in range(args.runs):
            start = time.perf_counter()
            shape = _read_shape(path)
            measures = _measure_shape(shape)
            vertices, faces = _triangulation_arrays(shape)
            middle = time.perf_counter()
            features = machining_of_shape(shape, vertices, faces)
            end = time.perf_counter()
            base.append(middle - start)
            extra.append(end - middle)
        a, f = statistics.median(base), statistics.median(extra)
        print(f"{Path(path).name}: {measures.faces} faces, {len(faces):,} triangles")
        print(f"A  analysis without features  median {a:.3f} s  (min {min(base):.3f})")
        print(f"F  machining features         median {f:.3f} s  (min {min(extra):.3f})")
        print(f"F / A = {f / a:.2f}  (target ≤ 0.30); load {os.getloadavg()[0]:.1f}")
        summary = features.as_dict()
        print(
            f"setups {summary['setups']} {summary['directions']}, undercut faces {summary['undercut_faces']}, "
            f"holes {len(summary['holes'])}, sharp inside corners {summary['sharp_inside_corners']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
