"""Overhangs and print surfaces on hand-made solids whose answers are known."""

from __future__ import annotations

import math

import numpy as np
import pytest
from models import box, prism, sphere, tee

from geometry.analyze import analyze_triangles, mesh_of
from geometry.overhang import print_overhangs
from geometry.pricing import Part


def figures(triangles, outward=1.0, **kwargs):
    mesh = mesh_of(np.asarray(triangles, dtype=np.float64))
    return print_overhangs(mesh.vertices, mesh.faces, outward, **kwargs)


def test_a_box_on_the_bed_needs_no_support():
    for orientation, found in figures(box((10.0, 20.0, 30.0))).items():
        assert found["overhang_mm2"] == 0 and found["column_mm3"] == 0, orientation
    upright = figures(box((10.0, 20.0, 30.0)))["as_uploaded"]
    assert upright["height_mm"] == pytest.approx(30)
    assert upright["wall_mm2"] == pytest.approx(2 * (10 + 20) * 30)  # the sides the perimeters cover
    assert upright["skin_mm2"] == pytest.approx(2 * 10 * 20)  # its top and bottom


def test_an_inside_out_box_needs_none_either_once_its_facets_are_turned_out():
    inside_out = box((10.0, 20.0, 30.0))[:, ::-1]
    assert figures(inside_out, outward=-1.0)["as_uploaded"]["overhang_mm2"] == 0
    # as wound, its top would face down and seem to hang 30 mm over the bed
    assert figures(inside_out, outward=1.0)["as_uploaded"]["overhang_mm2"] == pytest.approx(200)


def test_a_tee_on_its_stem_holds_its_bar_up_with_support():
    found = figures(tee())  # a 10 × 10 stem 40 mm tall, a 60 × 10 × 6 bar on it
    upright = found["as_uploaded"]
    assert upright["height_mm"] == pytest.approx(46)
    assert upright["overhang_mm2"] == pytest.approx(60 * 10 - 10 * 10)  # the bar's underside off the stem
    assert upright["column_mm3"] == pytest.approx(500 * 40)  # ... 40 mm above the bed
    assert upright["wall_mm2"] == pytest.approx(2 * (400 + 360) + 2 * 400 + 2 * 60)
    assert upright["skin_mm2"] == pytest.approx(100 + 500 + 600)
    # laid on its side (flat; fewest supports too, as that has the larger face down), nothing hangs
    for orientation in ("flat", "fewest_supports"):
        assert found[orientation]["overhang_mm2"] == pytest.approx(0)
        assert found[orientation]["height_mm"] == pytest.approx(10)


def ledge(angle_deg: float, reach=10.0, depth=10.0) -> np.ndarray:
    """A 10 × 20 mm block with a ledge whose underside rises `angle_deg` from the bed over `reach` mm."""
    rise = reach * math.tan(math.radians(angle_deg))
    outline = [(0, 0), (10, 0), (10 + reach, rise), (10 + reach, 20), (0, 20)]
    return prism(outline, [(0, 1, 2), (0, 2, 3), (0, 3, 4)], depth)


def test_an_underside_flatter_than_45_degrees_is_supported_a_steeper_one_is_not():
    shallow = figures(ledge(30))["as_uploaded"]
    assert shallow["overhang_mm2"] == pytest.approx(10 * 10)  # seen from above: reach × depth
    # the room under it: depth × ∫ x tan 30° dx over the reach
    assert shallow["column_mm3"] == pytest.approx(10 * math.tan(math.radians(30)) * 10**2 / 2)
    steep = figures(ledge(60))["as_uploaded"]
    assert (steep["overhang_mm2"], steep["column_mm3"]) == (0, 0)


def test_a_ball_hangs_below_its_45_degree_line():
    found = figures(sphere(subdivisions=5, radius=20.0))["as_uploaded"]
    cap = 20 * math.sin(math.radians(45))  # radius of the circle where the surface turns 45°
    assert found["overhang_mm2"] == pytest.approx(math.pi * cap**2, rel=0.02)
    # under the cap: ∫ 2πr (R − √(R² − r²)) dr from 0 to the cap's radius
    room = 2 * math.pi * (20 * cap**2 / 2 + ((20**2 - cap**2) ** 1.5 - 20**3) / 3)
    assert found["column_mm3"] == pytest.approx(room, rel=0.03)


def test_a_large_mesh_is_measured_on_a_sample_of_its_facets():
    ball = sphere(subdivisions=5, radius=20.0)  # 20,480 facets
    whole = figures(ball)["as_uploaded"]
    sampled = figures(ball, most=2_000)["as_uploaded"]
    for key in ("overhang_mm2", "column_mm3", "wall_mm2", "skin_mm2"):
        assert sampled[key] == pytest.approx(whole[key], rel=0.05), key
    assert sampled["height_mm"] == pytest.approx(whole["height_mm"], rel=0.01)


def test_the_analysis_carries_the_figures_to_pricing():
    analysis = analyze_triangles(tee().astype(np.float32), "stl")
    assert set(analysis.printing) == {"as_uploaded", "flat", "fewest_supports"}
    assert analysis.printing["as_uploaded"]["overhang_mm2"] == pytest.approx(500, rel=1e-4)
    assert Part.of(analysis).printing == analysis.printing
    assert analysis.as_dict()["printing"] == analysis.printing  # stored with the file's metrics
