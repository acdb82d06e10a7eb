"""Where two bodies touch there is no wall, and the thinnest-wall figure is the same on every run,
in every process, with or without previews."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from models import box, write_stl

from geometry.analyze import analyze_triangles, measure_and_check
from geometry.model import ProcessLimits
from geometry.pipeline import run_in_child
from geometry.thickness import thickness_map

ROOT = Path(__file__).resolve().parents[3]
LIMITS = [ProcessLimits("fdm", (300.0, 300.0, 300.0), 1.0), ProcessLimits("sla", (145.0, 145.0, 175.0), 0.3)]

pytestmark = pytest.mark.usefixtures("mesh_passes")


def touching_boxes(overlap: float) -> np.ndarray:
    """Two 10 mm cubes side by side, the second pushed `overlap` mm into the first (a CAD
    export's tessellated contact: faces that coincide or cross by a hair)."""
    return np.concatenate([box((10, 10, 10)), box((10, 10, 10), at=(10 - overlap, 1.0, 1.0))])


def thin_walls(analysis) -> list:
    return [f for f in analysis.findings if f.code.startswith("thin_wall")]


@pytest.mark.parametrize("overlap", [0.0, 0.001, 0.02])
def test_a_touching_pair_of_boxes_has_no_thin_wall(overlap):
    analysis = analyze_triangles(touching_boxes(overlap), "stl", LIMITS)
    assert analysis.bodies == 2
    assert thin_walls(analysis) == []


@pytest.mark.parametrize("overlap", [0.001, 0.02])
def test_the_map_does_not_see_a_wall_at_the_contact(overlap):
    _, mesh, _ = measure_and_check(touching_boxes(overlap), "stl", LIMITS)
    measured = thickness_map(mesh, reach_mm=2.0)
    assert not np.isfinite(measured.facet_mm).any()  # every wall is 10 mm thick


def test_a_thin_fin_touching_a_block_is_still_thin():
    fin = box((0.5, 8, 8), at=(10, 1, 1))  # a 0.5 mm plate against the cube's face
    analysis = analyze_triangles(np.concatenate([box((10, 10, 10)), fin]), "stl", LIMITS)
    (thin,) = [f for f in thin_walls(analysis) if f.process == "fdm"]
    assert thin.params["thickness_mm"] == pytest.approx(0.5, abs=1e-4)


def lattice() -> np.ndarray:
    """A part with walls of many thicknesses, so that which facets are sampled matters."""
    parts = [box((20, 20, 20))]
    for i in range(12):
        parts.append(box((0.2 + 0.07 * i, 8, 6), at=(25 + 3 * i, 0, 0)))
    rng = np.random.default_rng(7)
    return np.concatenate(parts)[rng.permutation(12 * 13)]


def _figure(report_or_analysis) -> list:
    analysis = getattr(report_or_analysis, "analysis", report_or_analysis)
    return sorted((f.process, f.params["thickness_mm"], f.params["x"]) for f in thin_walls(analysis))


def test_the_wall_figure_is_the_same_with_and_without_previews(tmp_path):
    path = os.fspath(write_stl(tmp_path / "lattice.stl", lattice()))
    quick = run_in_child(path, os.fspath(tmp_path), limits=LIMITS, png=False, glb=False, thickness_glb=False)
    drawn = run_in_child(path, os.fspath(tmp_path), limits=LIMITS)
    assert drawn.thickness is not None and _figure(quick) and _figure(quick) == _figure(drawn)


def test_the_wall_figure_is_the_same_in_two_processes(tmp_path):
    path = write_stl(tmp_path / "lattice.stl", lattice())

    def run() -> list:
        proc = subprocess.run(
            [sys.executable, "-m", "geometry", "analyze", "--json", str(path)],
            capture_output=True, text=True, timeout=120, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        found = json.loads(proc.stdout)["findings"]
        return sorted((f["process"], f["params"]["thickness_mm"]) for f in found if f["code"] == "thin_wall")

    first = run()
    assert first and first == run()
