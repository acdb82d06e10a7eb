"""The wall-thickness map: per-facet values, the fixed colour scale, the GLB, sampling."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import trimesh
from models import box, sphere, tube, write_stl

from geometry import thickness
from geometry.analyze import mesh_of
from geometry.model import ProcessLimits
from geometry.pipeline import run_in_child
from geometry.thickness import NEUTRAL, RED, YELLOW, colours, thickness_map, write_thickness_glb

ROOT = Path(__file__).resolve().parents[3]


def fin_part() -> np.ndarray:
    """A 20 mm block with a 0.5 mm thick, 10 mm tall fin standing on it."""
    return np.concatenate([box((20, 20, 20)), box((0.5, 20, 10), at=(30, 0, 0))])


def test_tube_wall_is_measured_on_every_side_facet():
    mesh = mesh_of(tube(outer=10.0, inner=9.6, height=30.0, sections=64))
    measured = thickness_map(mesh, reach_mm=2.0)
    sides = np.isfinite(measured.facet_mm)
    assert not measured.sampled and measured.rays == len(mesh.faces)
    assert sides.mean() == pytest.approx(0.5, abs=0.02)  # the annular ends are 30 mm thick
    np.testing.assert_allclose(measured.facet_mm[sides], 0.4, atol=0.01)


def test_thick_and_thin_walls_apart():
    mesh = mesh_of(fin_part())
    measured = thickness_map(mesh, reach_mm=2.0)
    centres = mesh.vertices[mesh.faces].mean(axis=1)
    on_fin_sides = (np.abs(centres[:, 0] - 30) < 1e-6) | (np.abs(centres[:, 0] - 30.5) < 1e-6)
    np.testing.assert_allclose(measured.facet_mm[on_fin_sides], 0.5, atol=1e-4)
    block = centres[:, 0] <= 20
    assert np.isinf(measured.facet_mm[block]).all()


def test_inside_out_mesh_is_measured_the_same():
    mesh = mesh_of(fin_part()[:, ::-1])
    thinnest, _ = thickness_map(mesh, reach_mm=2.0).thinnest()
    assert thinnest == pytest.approx(0.5, abs=1e-4)


def test_fixed_scale():
    rgba = colours(np.array([0.1, 0.99, 1.0, 1.5, 2.0, 7.0, np.inf]), min_wall_mm=1.0)
    assert rgba[:, 3].tolist() == [255] * 7
    assert rgba[0, :3].tolist() == RED.tolist() == rgba[1, :3].tolist()
    assert rgba[2, :3].tolist() == YELLOW.tolist()
    assert rgba[3, :3].tolist() == np.rint((YELLOW + NEUTRAL) / 2).tolist()
    assert rgba[4, :3].tolist() == rgba[5, :3].tolist() == rgba[6, :3].tolist() == NEUTRAL.tolist()


def test_glb_carries_the_colours(tmp_path):
    mesh = mesh_of(fin_part())
    measured = thickness_map(mesh, reach_mm=2.0)
    write_thickness_glb(mesh, measured.facet_mm, 1.0, tmp_path / "t.glb", max_faces=200_000)
    (loaded,) = trimesh.load(tmp_path / "t.glb").geometry.values()
    colour = loaded.visual.vertex_colors[:, :3]
    red = np.all(colour == RED, axis=1)
    assert red.any() and (~red).any()
    assert np.all(loaded.vertices[red][:, 0] >= 30 - 1e-6)  # only the fin is red
    np.testing.assert_allclose(loaded.extents, (30.5, 20, 20), atol=1e-5)


def test_huge_mesh_is_sampled_and_says_so(monkeypatch):
    soup = np.concatenate([sphere(5, 20.0), sphere(5, 19.4)[:, ::-1]])  # a 0.6 mm shell
    mesh = mesh_of(soup)
    measured = thickness_map(mesh, reach_mm=2.0, max_rays=2000)
    assert measured.sampled and measured.rays == 2000 and measured.facets == len(mesh.faces)
    assert np.isfinite(measured.facet_mm).all()
    np.testing.assert_allclose(measured.facet_mm, 0.6, atol=0.02)
    data = thickness.legend(1.0, measured)
    assert data["sampled"] is True and data["rays"] == 2000 and data["thin_share"] == 1.0


def test_pipeline_writes_the_map_and_reports_thin_walls(tmp_path):
    path = write_stl(tmp_path / "fin.stl", fin_part())
    limits = [ProcessLimits("fdm", (300.0, 300.0, 300.0), 1.0), ProcessLimits("sla", (145, 145, 175), 0.3)]
    report = run_in_child(os.fspath(path), os.fspath(tmp_path), limits=limits)
    (thin,) = [f for f in report.analysis.findings if f.code == "thin_wall"]
    assert thin.process == "fdm" and thin.params["thickness_mm"] == pytest.approx(0.5, abs=1e-4)
    assert report.thickness["min_wall_mm"] == 1.0 and report.thickness["sampled"] is False
    assert Path(report.thickness_glb).name == "thickness.glb" and Path(report.thickness_glb).stat().st_size
    json.dumps(report.as_dict())


def test_preview_command_writes_the_thickness_glb(tmp_path):
    path = write_stl(tmp_path / "fin.stl", fin_part())
    out = tmp_path / "t.glb"
    proc = subprocess.run(
        [sys.executable, "-m", "geometry", "preview", str(path), "--thickness-glb", str(out), "--min-wall", "1",
         "--json"],
        capture_output=True, text=True, timeout=120, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["thickness"]["thinnest_mm"] == pytest.approx(0.5, abs=1e-4)
    assert out.stat().st_size > 0


def test_an_inside_out_shell_beside_a_right_one_is_measured_into_its_material(tmp_path):
    # a 20 mm block facing out, and apart from it a 0.5 mm plate whose facets face in
    soup = np.concatenate([box((20, 20, 20)), box((0.5, 20, 10), at=(30, 0, 0))[:, ::-1]])
    path = write_stl(tmp_path / "mixed.stl", soup)
    limits = [ProcessLimits("fdm", (300.0, 300.0, 300.0), 1.0)]
    report = run_in_child(os.fspath(path), os.fspath(tmp_path), limits=limits, png=False, glb=False)
    assert report.thickness["thinnest_mm"] == pytest.approx(0.5, abs=1e-4)
    assert "inverted_normals" in {f.code for f in report.analysis.findings}
