"""Millimetres or inches: the plausibility rule (`geometry.units`) on real-world sizes, and the
reading carried through the analysis."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from models import box, write_stl

from geometry.analyze import analyze_triangles
from geometry.units import grid_votes, read_units, suggest

cq = pytest.importorskip("cadquery")

ROOT = Path(__file__).resolve().parents[3]


def soup(workplane, tolerance=0.01) -> np.ndarray:
    """The tessellation of a cadquery part as a float32 soup, as an STL export writes it."""
    points, triangles = workplane.val().tessellate(tolerance, 0.2)
    vertices = np.array([(p.x, p.y, p.z) for p in points])
    return vertices[np.array(triangles)].astype(np.float32)


def inch_bracket():
    """A 5 × 2.5 in angle bracket, 1/4 in stock, 1.375 in tall, two 1/4 in holes: drawn in inches."""
    base = cq.Workplane("XY").box(5.0, 2.5, 0.25, centered=False)
    leg = cq.Workplane("XY").box(5.0, 0.25, 1.375, centered=False)
    holes = cq.Workplane("XY").pushPoints([(0.75, 1.25), (4.25, 1.25)]).circle(0.125).extrude(0.25)
    return base.union(leg).cut(holes)


def metric_washer():
    """An M3 washer: 7 mm across, 3.2 mm hole, 0.5 mm thick."""
    return cq.Workplane("XY").circle(3.5).circle(1.6).extrude(0.5)


def metric_nut():
    """An M6 hex nut: 10 mm across flats, 5.2 mm thick, a 6 mm hole."""
    return cq.Workplane("XY").polygon(6, 10 / np.cos(np.pi / 6)).extrude(5.2).faces(">Z").workplane().hole(6.0)


def inch_plate():
    """A 12 × 6 × 1/2 in plate with 3/8 in holes 1 1/8 in from the ends: drawn in inches."""
    plate = cq.Workplane("XY").box(12.0, 6.0, 0.5, centered=False)
    holes = cq.Workplane("XY").pushPoints([(1.125, 3.0), (10.875, 3.0)]).circle(0.1875).extrude(0.5)
    return plate.cut(holes)


def metric_block():
    """A 50 × 30 × 12 mm block with a 6.6 mm clearance hole."""
    return cq.Workplane("XY").box(50, 30, 12, centered=False).faces(">Z").workplane().center(-10, -5).hole(6.6)


@pytest.mark.parametrize(
    ("make", "expected", "longest_mm_if_inches"),
    [
        (inch_bracket, "in", 127.0),
        (inch_plate, "in", 304.8),
        (metric_washer, "mm", None),
        (metric_nut, "mm", None),
        (metric_block, "mm", None),
    ],
)
def test_real_world_parts_read_the_plausible_way(make, expected, longest_mm_if_inches):
    tri = soup(make())
    extents = np.ptp(tri.reshape(-1, 3), axis=0)
    reading = read_units(extents, tri.reshape(-1, 3))
    assert reading["suggested"] == expected
    assert reading["declared"] is None
    if longest_mm_if_inches:
        assert max(reading["sizes"]["in"]) == pytest.approx(longest_mm_if_inches, rel=1e-5)
        assert max(reading["sizes"]["mm"]) == pytest.approx(longest_mm_if_inches / 25.4, rel=1e-5)


@pytest.mark.parametrize(
    ("extents", "expected"),
    [
        ((5.0, 2.5, 1.375), "in"),  # the bracket above, extents only: under 10 mm in mm
        ((0.5, 0.3, 0.2), "in"),  # a tiny inch part: no one machines a 0.5 mm part
        ((2000.0, 40.0, 40.0), "mm"),  # a 2 m frame: 50 m in inches
        ((127.0, 63.5, 34.925), "mm"),  # the bracket exported in millimetres
        ((11.55, 10.0, 5.2), "mm"),  # an M6 nut
        ((0.05, 0.05, 0.02), "mm"),  # 1.3 mm even in inches: no ordinary part either way
    ],
)
def test_sizes_alone(extents, expected):
    assert suggest(extents) == expected


def test_the_coordinates_vote():
    assert grid_votes(np.array([1.375, -1.375, 0.1875, 2.5, 0.70710678])) == (2, 0)
    assert grid_votes(np.array([1.6, 3.2, 0.5, 10.0])) == (0, 2)
    # a 7 mm washer: under 10 mm, but its 1.6 mm radius says millimetres
    assert suggest((7.0, 7.0, 0.5)) == "in"
    assert suggest((7.0, 7.0, 0.5), np.array([[1.6, 0.0, 0.5], [3.5, 0.0, 0.0]])) == "mm"


def test_declared_units_are_kept():
    reading = read_units((5.0, 2.5, 1.375), declared="mm")
    assert reading["declared"] == "mm" and reading["suggested"] == "mm"


def test_the_analysis_carries_both_readings_and_a_finding():
    analysis = analyze_triangles(soup(inch_bracket()), "stl", [])
    assert analysis.units["suggested"] == "in" and analysis.units["declared"] is None
    (finding,) = [f for f in analysis.findings if f.code == "units_suggest_inches"]
    assert "127 × 63.5 × 34.9 mm" in finding.message
    assert analyze_triangles(box((10, 20, 30)), "3mf", []).units["declared"] == "mm"


def test_reading_in_inches_scales_everything(tmp_path):
    path = write_stl(tmp_path / "bracket.stl", soup(inch_bracket()))
    as_mm, as_in = (
        json.loads(
            subprocess.run(
                [sys.executable, "-m", "geometry", "analyze", "--json", str(path), *extra],
                capture_output=True, text=True, timeout=120, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
            ).stdout  # fmt: skip
        )
        for extra in ([], ["--units", "in"])
    )
    assert as_in["bbox_mm"] == pytest.approx([v * 25.4 for v in as_mm["bbox_mm"]], rel=1e-6)
    assert as_in["volume_mm3"] == pytest.approx(as_mm["volume_mm3"] * 25.4**3, rel=1e-6)
    assert as_in["units"]["read_as"] == "in" and as_in["units"]["suggested"] == "in"
    assert "units_suggest_inches" not in {f["code"] for f in as_in["findings"]}
    assert as_in["parts"][0]["volume_mm3"] == pytest.approx(as_in["volume_mm3"])


def test_the_pipeline_reads_inches_when_told(tmp_path):
    from geometry.model import ProcessLimits
    from geometry.pipeline import run_in_child

    path = write_stl(tmp_path / "bracket.stl", soup(inch_bracket()))
    limits = [ProcessLimits("cnc_milling", (500.0, 500.0, 500.0), 1.0)]
    as_mm = run_in_child(str(path), str(tmp_path), limits=limits, png=False, glb=False)
    as_in = run_in_child(str(path), str(tmp_path), limits=limits, png=False, glb=False, units="in")
    assert as_in.analysis.bbox_mm == pytest.approx([v * 25.4 for v in as_mm.analysis.bbox_mm], rel=1e-6)
    # at 0.25 mm the stock is a thin wall; at 0.25 in (6.35 mm) it is not
    assert any(f.code == "thin_wall" for f in as_mm.analysis.findings)
    assert not any(f.code == "thin_wall" for f in as_in.analysis.findings)
    assert as_in.thickness["thinnest_mm"] is None or as_in.thickness["thinnest_mm"] > 2.0


def test_a_part_under_a_millimetre_keeps_its_finding():
    codes = {f.code for f in analyze_triangles(box((0.5, 0.3, 0.2)), "stl", []).findings}
    assert "units_suspect_small" in codes and "units_suggest_inches" not in codes
