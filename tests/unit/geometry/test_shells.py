"""Right on CAD exports: noisy zeros, shells that touch, inverted shells, split 3MF packages."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from models import (
    box,
    corner_touching_boxes,
    free_inverted,
    production_3mf,
    sphere,
    with_zero_noise,
)

from geometry.analyze import analyze_file
from geometry.measure import measure
from geometry.model import ProcessLimits

pytestmark = pytest.mark.usefixtures("mesh_passes")

LIMITS = [ProcessLimits("fdm", (300.0, 300.0, 300.0), 1.0)]


def codes(metrics_or_analysis):
    from geometry import dfm

    findings = getattr(metrics_or_analysis, "findings", None)
    if findings is None:
        findings = dfm.mesh_findings(metrics_or_analysis, LIMITS)
    return {f.code: f for f in findings}


@pytest.mark.parametrize("noise", [-0.0, 1e-33, -1e-30, 1e-40])
def test_noisy_zeros_weld_and_the_gaps_are_told(noise):
    soup = with_zero_noise(box((10, 10, 10)), noise)
    metrics = measure(soup)
    assert metrics.watertight and metrics.bodies == 1
    assert metrics.volume_mm3 == pytest.approx(1000.0, rel=1e-6)
    found = codes(metrics)
    assert "not_watertight" not in found and "thin_wall" not in found
    if noise == 0.0:  # -0.0 is the same number: no gap to close at all
        assert metrics.gaps is None
    else:
        gaps = found["gaps_closed"]
        assert gaps.severity == "info" and gaps.params["edges"] > 0
        assert gaps.params["distance_mm"] <= abs(noise) * 2 and gaps.params["tolerance_mm"] < 1e-3


def test_last_bit_noise_after_a_transform_welds():
    soup = box((30, 20, 10)).astype(np.float32) + np.float32(1000.0)
    noisy = soup.copy()
    noisy[::3] = np.nextafter(noisy[::3], np.float32(np.inf))  # one float32 step off
    metrics = measure(noisy)
    assert metrics.watertight and metrics.gaps is not None


def test_points_genuinely_apart_are_never_joined():
    # a box with a slit: one face moved 0.05 mm out (0.05 mm is 500 times the tolerance)
    soup = box((10, 10, 10)).copy()
    top = np.all(soup[:, :, 2] == 10, axis=1)
    soup[top, :, 2] += 0.05
    metrics = measure(soup)
    assert metrics.gaps is None and not metrics.watertight and metrics.open_edges == 4 + 4


def test_two_corners_of_one_facet_are_never_joined():
    # an open strip whose end facet has two corners 1e-7 mm apart: welding them would make a
    # degenerate facet, so they stay apart
    tri = np.array(
        [[[0, 0, 0], [10, 0, 0], [0, 10, 0]], [[10, 0, 0], [10, 1e-7, 0], [0, 10, 0]]], dtype=np.float64
    )
    metrics = measure(tri)
    assert metrics.degenerate == 0 and len(metrics.faces) == 2


def test_shells_touching_at_a_corner_are_two_bodies():
    soup = corner_touching_boxes()
    metrics = measure(soup)
    reference = trimesh.Trimesh(**trimesh.triangles.to_kwargs(soup))
    assert metrics.bodies == metrics.shells == 2 == len(reference.split(only_watertight=False))
    assert metrics.watertight and metrics.volume_mm3 == pytest.approx(2000.0)


def test_four_pieces_touching_at_points_are_four_bodies():
    # a teapot's way: body, lid, spout and handle meet the body at single points
    pieces = [box((20, 20, 20)), box((4, 4, 4), at=(20, 20, 20)), box((4, 4, 4), at=(-4, -4, -4)),
              box((4, 4, 4), at=(20, -4, 20))]  # fmt: skip
    metrics = measure(np.concatenate(pieces))
    assert (metrics.bodies, metrics.voids) == (4, 0)


def test_a_free_inverted_shell_is_a_body_with_positive_volume():
    metrics = measure(free_inverted())
    assert (metrics.bodies, metrics.voids, metrics.inverted_shells) == (2, 0, 1)
    assert metrics.volume_mm3 == pytest.approx(1000 + 125)
    found = codes(metrics)
    assert found["inverted_normals"].params["count"] == 1
    assert "internal_voids" not in found and found["multiple_bodies"].params["count"] == 2


def test_a_sealed_cavity_is_a_void_whichever_way_it_faces():
    outer, inner = sphere(3, 20.0), sphere(3, 15.0)
    expected = trimesh.creation.icosphere(3, 20.0).volume - trimesh.creation.icosphere(3, 15.0).volume
    for cavity, inverted in ((inner[:, ::-1], 0), (inner, 1)):  # facing in (right) or out (wrong)
        metrics = measure(np.concatenate([outer, cavity]))
        assert (metrics.bodies, metrics.voids, metrics.inverted_shells) == (1, 1, inverted)
        assert metrics.volume_mm3 == pytest.approx(expected, rel=1e-6)


def test_an_inside_out_hollow_ball_is_still_one_body_with_a_void():
    metrics = measure(np.concatenate([sphere(3, 20.0)[:, ::-1], sphere(3, 15.0)]))
    assert (metrics.bodies, metrics.voids, metrics.inverted_shells) == (1, 1, 2)
    assert metrics.volume_mm3 == pytest.approx(
        trimesh.creation.icosphere(3, 20.0).volume - trimesh.creation.icosphere(3, 15.0).volume, rel=1e-6
    )


def test_a_ball_inside_a_cavity_is_a_second_body():
    shells = [sphere(3, 20.0), sphere(3, 15.0)[:, ::-1], sphere(3, 5.0)]
    metrics = measure(np.concatenate(shells))
    assert (metrics.bodies, metrics.voids, metrics.inverted_shells) == (2, 1, 0)


def test_3mf_production_parts_are_followed_with_their_transforms(tmp_path):
    tri = box((10, 20, 30))
    analysis = analyze_file(production_3mf(tmp_path / "p.3mf", tri), process_limits=[])
    assert analysis.bodies == 2 and analysis.triangles == 24
    assert analysis.volume_mm3 == pytest.approx(2 * 6000)
    assert analysis.bbox_mm == pytest.approx((110, 20, 30))
