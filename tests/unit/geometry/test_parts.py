"""Assemblies into parts: bodies grouped by shape up to rigid motion (meshes), the product
structure of a STEP file (XCAF), one part written as a file of its own, and bad structures."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from models import box, cylinder, rotated, write_stl

from geometry.analyze import analyze_triangles
from geometry.assembly import walk
from geometry.extract import extract_part, mesh_part
from geometry.measure import measure
from geometry.model import GeometryError
from geometry.parts import extract_mesh_part, mesh_parts

ROOT = Path(__file__).resolve().parents[3]


def _moved(tri: np.ndarray, angles, offset) -> np.ndarray:
    return rotated(tri, angles) + np.asarray(offset, dtype=np.float64)


def rig() -> np.ndarray:
    """A plate, two brackets (one turned) and four bolts (each turned its own way)."""
    bodies = [box((100, 60, 5))]
    bracket = box((20, 5, 20))
    bodies += [_moved(bracket, (0, 0, 0), (-40, 0, 10)), _moved(bracket, (0.3, 1.1, -0.4), (40, 0, 10))]
    bolt = cylinder(radius=2.5, height=16, sections=24)
    for k, (x, y) in enumerate([(-45, -25), (45, -25), (-45, 25), (45, 25)]):
        bodies.append(_moved(bolt, (0.1 * k, 0.7 * k, 0.2), (x, y, -20)))
    return np.concatenate(bodies)


def test_identical_bodies_are_one_part_with_a_count():
    analysis = analyze_triangles(rig().astype(np.float32), "stl", [])
    assert analysis.bodies == 7
    assert [p["count"] for p in analysis.parts] == [1, 2, 4]
    plate, bracket, bolt = analysis.parts
    assert plate["volume_mm3"] == pytest.approx(30000, rel=1e-6)
    assert bracket["volume_mm3"] == pytest.approx(2000, rel=1e-5)
    assert bolt["volume_mm3"] == pytest.approx(16 * 0.5 * 24 * 2.5**2 * math.sin(2 * math.pi / 24), rel=1e-5)
    assert sorted(plate["bbox_mm"]) == pytest.approx([5, 60, 100], rel=1e-6)


def test_a_single_body_is_one_part():
    analysis = analyze_triangles(box((10, 20, 30)), "stl", [])
    assert analysis.parts == [{"name": None, "count": 1, "volume_mm3": 6000.0, "bbox_mm": [10.0, 20.0, 30.0]}]


def test_different_sizes_are_different_parts():
    soup = np.concatenate([box((10, 10, 10)), box((10, 10, 10.05), at=(20, 0, 0)), box((10, 10, 10), at=(40, 0, 0))])
    assert [p["count"] for p in analyze_triangles(soup, "stl", []).parts] == [2, 1]


def corner(mirror: bool = False) -> np.ndarray:
    """A chiral body: a block with its corners cut at three different depths, as a closed
    shell (the convex hull of its points), and its mirror image."""
    import trimesh

    points = np.array(
        [[0, 0, 0], [10, 0, 0], [0, 6, 0], [0, 0, 3], [10, 6, 0], [10, 0, 3], [0, 6, 3], [7, 5, 2.5], [9, 1, 1]],
        dtype=np.float64,
    )
    if mirror:
        points[:, 0] *= -1
    return trimesh.convex.convex_hull(points).triangles


def test_a_mirror_image_is_a_different_part():
    soup = np.concatenate([corner(), _moved(corner(), (0.2, 0.4, 0.6), (50, 0, 0)), corner(mirror=True) + 100])
    parts = analyze_triangles(soup, "stl", []).parts
    assert [p["count"] for p in parts] == [2, 1]


def test_a_hollow_body_keeps_its_cavity():
    hollow = np.concatenate([box((20, 20, 20)), box((10, 10, 10), at=(5, 5, 5))[:, ::-1]])
    soup = np.concatenate([hollow, hollow + 50.0])
    (part,) = analyze_triangles(soup, "stl", []).parts
    assert part["count"] == 2 and part["volume_mm3"] == pytest.approx(8000 - 1000)


def test_five_thousand_bodies_are_grouped_quickly():
    rng = np.random.default_rng(3)
    sizes = [(4, 4, 4), (4, 4, 6), (3, 5, 7)]
    soup = np.concatenate(
        [box(sizes[i % 3], at=(10 * (i % 70), 10 * (i // 70), 0)) for i in range(5000)]
    )[rng.permutation(5000 * 12)]
    start = time.perf_counter()
    analysis = analyze_triangles(soup.astype(np.float32), "stl", [])
    assert time.perf_counter() - start < 30
    assert analysis.bodies == 5000
    assert sorted(p["count"] for p in analysis.parts) == [1666, 1667, 1667]


def test_one_part_of_a_mesh_is_extracted_and_measures_the_same(tmp_path):
    path = write_stl(tmp_path / "rig.stl", rig())
    metrics = measure(rig())
    tri = extract_mesh_part(metrics, 2)
    assert len(tri) == 4 * 24  # one bolt: 24 sides of two facets, two caps of 24
    bolt = analyze_triangles(mesh_part(path, 2), "stl", [])
    assert bolt.bodies == 1 and bolt.volume_mm3 == pytest.approx(mesh_parts(metrics).entries[2]["volume_mm3"], rel=1e-5)
    kind, data = extract_part(path, 1)
    assert kind == "stl" and len(data) == 84 + 50 * 12
    with pytest.raises(GeometryError) as error:
        extract_part(path, 3)
    assert error.value.code == "bad_part_index" and error.value.params == {"parts": 3, "index": 3}


def test_the_part_command_writes_a_part_file(tmp_path):
    path = write_stl(tmp_path / "rig.stl", rig())
    out = tmp_path / "bracket.stl"

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "geometry", *args],
            capture_output=True, text=True, timeout=120, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
        )  # fmt: skip

    proc = run("part", str(path), "--index", "1", "--out", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["format"] == "stl"
    measured = json.loads(run("analyze", "--json", str(out)).stdout)
    assert measured["volume_mm3"] == pytest.approx(2000, rel=1e-5) and measured["bodies"] == 1
    bad = run("part", str(path), "--index", "9", "--out", str(out), "--json")
    assert bad.returncode == 2 and json.loads(bad.stdout)["error"]["code"] == "bad_part_index"


# --------------------------------------------------------------------------- the structure walk


def test_walk_counts_instances_through_sub_assemblies():
    tree = {"top": ["sub", "sub", "plate"], "sub": ["bolt", "bolt", "nut"], "plate": [], "bolt": [], "nut": []}
    found = walk(["top"], tree.__getitem__, lambda n: not tree[n])
    assert found.leaves == ["bolt", "nut", "plate"]
    assert found.count == {"bolt": 4, "nut": 2, "plate": 1}
    assert (found.missing, found.cycles) == (0, 0)


def test_walk_leaves_out_missing_parts_and_cycles():
    tree = {"top": ["a", None, "loop"], "loop": ["top", "b", "loop"], "a": [], "b": []}
    found = walk(["top"], tree.__getitem__, lambda n: not tree[n])
    assert found.count == {"a": 1, "b": 1}
    assert found.missing == 1 and found.cycles == 2


def test_walk_of_ten_thousand_instances_and_deep_nesting_is_quick():
    tree = {"top": ["mid"] * 100, "mid": ["bolt"] * 100, "bolt": []}
    start = time.perf_counter()
    assert walk(["top"], tree.__getitem__, lambda n: not tree[n]).count == {"bolt": 10_000}
    deep = {f"n{i}": [f"n{i + 1}"] for i in range(20_000)}
    deep["n20000"] = []
    assert walk(["n0"], deep.__getitem__, lambda n: not deep[n]).count == {"n20000": 1}
    assert time.perf_counter() - start < 5


def test_the_sandbox_entry_point_writes_a_part(tmp_path):
    from geometry.pipeline import write_part

    path = write_stl(tmp_path / "rig.stl", rig())
    out = tmp_path / "plate.stl"
    assert write_part(str(path), 0, str(out)) == "stl"
    assert analyze_triangles(mesh_part(out, 0), "stl", []).volume_mm3 == pytest.approx(30000, rel=1e-6)
