"""The wall-thickness map: time to measure it and write its GLB.

    .venv/bin/python bench/thickness.py [--runs 3]

Models: a hollow sphere with a 1 mm shell (two icospheres of subdivision 7, 655,360 facets:
above MAP_MAX_RAYS, so sampled), the same at subdivision 5 (40,960 facets: every facet), and
the STEP bench part's tessellation (bench/step_part.py). Reach: twice a 1.2 mm minimum.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402

from geometry.analyze import load_mesh, mesh_of  # noqa: E402
from geometry.limits import GLB_MAX_FACES  # noqa: E402
from geometry.thickness import reach_for, thickness_map, write_thickness_glb  # noqa: E402


def hollow_sphere(subdivisions: int):
    import trimesh

    outer = trimesh.creation.icosphere(subdivisions, 50.0).triangles
    inner = trimesh.creation.icosphere(subdivisions, 49.0).triangles[:, ::-1]
    return mesh_of(np.concatenate([outer, inner]))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    minimum = 1.2
    with tempfile.TemporaryDirectory() as tmp:
        from step_part import build

        step = Path(tmp) / "housing.step"
        build(step)
        models = {
            "hollow sphere, 40,960 facets": hollow_sphere(5),
            "hollow sphere, 655,360 facets": hollow_sphere(7),
            "STEP bench part (tessellated)": load_mesh(step),
        }
        for name, mesh in models.items():
            measure_times, glb_times = [], []
            for _ in range(args.runs):
                start = time.perf_counter()
                measured = thickness_map(mesh, reach_for(minimum))
                measure_times.append(time.perf_counter() - start)
                start = time.perf_counter()
                write_thickness_glb(mesh, measured.facet_mm, minimum, Path(tmp) / "t.glb", GLB_MAX_FACES)
                glb_times.append(time.perf_counter() - start)
            thinnest, _ = measured.thinnest()
            print(
                f"{name}: {len(mesh.faces):,} facets, {measured.rays:,} rays"
                f"{' (sampled)' if measured.sampled else ''}; map {statistics.median(measure_times):.2f} s, "
                f"GLB {statistics.median(glb_times):.2f} s; thinnest {thinnest:.3f} mm"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
