"""Thumbnail + GLB of the 1.3 M-facet sphere: target under 3 s.

    .venv/bin/python bench/preview.py [--runs 3]

The mesh is trimesh.creation.icosphere(subdivisions=8, radius=50): 1,310,720 faces.
"in memory": `write_previews` on a Mesh already in memory (decimation, GLB, PNG).
"incl. load": the same mesh written as a binary STL (65 MB) in a temporary directory, then
`geometry.analyze.load_mesh(path)` followed by
`write_previews`. Medians of --runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geometry.model import Mesh  # noqa: E402
from geometry.preview import write_previews  # noqa: E402


def load(path: str) -> Mesh:
    from geometry.analyze import load_mesh

    return load_mesh(path)


def main() -> int:
    import trimesh

    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    sphere = trimesh.creation.icosphere(subdivisions=8, radius=50)
    mesh = Mesh(np.asarray(sphere.vertices, np.float64), np.asarray(sphere.faces, np.int64))
    with tempfile.TemporaryDirectory() as tmp:
        png, glb, stl = (os.path.join(tmp, name) for name in ("t.png", "t.glb", "s.stl"))
        sphere.export(stl)

        in_memory = []
        for _ in range(args.runs):
            start = time.perf_counter()
            used = write_previews(mesh, png_path=png, glb_path=glb)
            in_memory.append(time.perf_counter() - start)

        with_load = []
        for _ in range(args.runs):
            start = time.perf_counter()
            loaded = load(stl)
            write_previews(loaded, png_path=png, glb_path=glb)
            with_load.append(time.perf_counter() - start)

        glb_kb, png_kb, stl_mb = (
            os.path.getsize(glb) / 1024,
            os.path.getsize(png) / 1024,
            os.path.getsize(stl) / 2**20,
        )

    t_mem, t_load = statistics.median(in_memory), statistics.median(with_load)
    ok = t_mem < 3.0
    print(
        f"mesh: {len(mesh.faces):,} faces ({stl_mb:.0f} MB binary STL); GLB "
        f"{len(used.faces):,} faces, {glb_kb:.0f} KB; PNG 256x256, {png_kb:.0f} KB"
    )
    print(
        f"thumbnail + GLB, mesh in memory: {t_mem:.2f} s (median of {args.runs})  "
        f"target < 3 s: {'PASS' if ok else 'FAIL'}"
    )
    print(f"thumbnail + GLB incl. loading the STL: {t_load:.2f} s (median of {args.runs})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
