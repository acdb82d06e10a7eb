import numpy as np
import pytest
from models import box, sphere, tube

from geometry import dfm, rays
from geometry.measure import measure
from geometry.model import ProcessLimits

LIMITS = [
    ProcessLimits("cnc_milling", (1000.0, 500.0, 500.0), 0.8),
    ProcessLimits("fdm", (300.0, 300.0, 400.0), 1.2),
    ProcessLimits("sla", (145.0, 145.0, 175.0), 0.3),
]


def codes(findings):
    return sorted((f.code, f.process) for f in findings)


def test_clean_part_has_no_findings():
    assert dfm.mesh_findings(measure(box((20, 20, 20))), LIMITS) == []


def test_units_small_names_the_inch_size():
    (finding,) = dfm.units_findings((1.0 / 2, 0.25, 0.1))
    assert finding.code == "units_suspect_small" and finding.severity == "warning"
    assert "12.7 mm if the file is in inches" in finding.message


def test_units_small_one_inch():
    (finding,) = dfm.units_findings((0.999, 0.5, 0.5))
    assert "25.4 mm" in finding.message


def test_units_large_names_metres():
    (finding,) = dfm.units_findings((4200.0, 100.0, 10.0))
    assert finding.code == "units_suspect_large"
    assert "4.2 m" in finding.message and "4.20 mm" in finding.message


def test_units_ok():
    assert dfm.units_findings((1.0, 1.0, 1.0)) == []
    assert dfm.units_findings((3000.0, 1.0, 1.0)) == []


def test_envelope_is_blocking_per_process_and_rotation_aware():
    found = dfm.envelope_findings((200.0, 160.0, 150.0), LIMITS)
    assert codes(found) == [("exceeds_envelope", "sla")]
    assert found[0].severity == "blocking"
    assert "145 × 145 × 175 mm" in found[0].message
    # a long thin part fits a tall envelope when turned
    assert dfm.envelope_findings((390.0, 10.0, 10.0), LIMITS[1:2]) == []


def test_topology_findings():
    open_box = measure(box()[:-1])
    assert "not_watertight" in [f.code for f in dfm.topology_findings(open_box)]
    two = measure(np.concatenate([box(), box(at=(40, 0, 0))]))
    (finding,) = dfm.topology_findings(two)
    assert finding.code == "multiple_bodies" and "2 separate bodies" in finding.message
    inverted = measure(box()[:, ::-1])
    assert [f.code for f in dfm.topology_findings(inverted)] == ["inverted_normals"]


def test_thin_wall_found_with_value_and_place():
    metrics = measure(tube(outer=10.0, inner=9.6, height=30.0, sections=128))
    found = [f for f in dfm.mesh_findings(metrics, LIMITS) if f.code == "thin_wall"]
    assert sorted(f.process for f in found) == ["cnc_milling", "fdm"]  # sla allows 0.3 mm
    assert all(f.severity == "warning" for f in found)
    assert "0.4" in found[0].message and "near x=" in found[0].message


def test_thin_plate_thickness_and_location():
    metrics = measure(box((50.0, 40.0, 0.5), at=(100.0, 0.0, 0.0)))
    wall = rays.thin_wall(
        vertices=metrics.vertices,
        faces=metrics.faces,
        face_areas=metrics.face_areas,
        face_size=metrics.face_size,
        bbox_min=metrics.bbox_min,
        bbox_max=metrics.bbox_max,
        limits=LIMITS,
    )
    assert wall is not None
    assert wall.thickness_mm == pytest.approx(0.5, abs=1e-6)
    assert 100 <= wall.at_mm[0] <= 150 and 0.0 < wall.at_mm[2] < 0.5


def test_thin_wall_inverted_mesh_still_found():
    metrics = measure(box((50.0, 40.0, 0.5))[:, ::-1])
    codes_ = [f.code for f in dfm.mesh_findings(metrics, LIMITS)]
    assert "thin_wall" in codes_ and "inverted_normals" in codes_


def test_no_thin_wall_on_a_solid_ball():
    metrics = measure(sphere(4, 20.0))
    assert not [f for f in dfm.mesh_findings(metrics, LIMITS) if f.code == "thin_wall"]


def test_no_limits_no_process_findings():
    metrics = measure(box((50.0, 40.0, 0.5)))
    assert dfm.mesh_findings(metrics, []) == []


def test_same_input_same_findings():
    a = dfm.mesh_findings(measure(tube()), LIMITS)
    b = dfm.mesh_findings(measure(tube()), LIMITS)
    assert a == b


def test_internal_void_is_reported_not_as_a_second_body():
    metrics = measure(np.concatenate([sphere(3, 20.0), sphere(3, 15.0)[:, ::-1]]))
    found = codes(dfm.topology_findings(metrics))
    assert found == [("internal_voids", None)]


def test_thin_wall_gives_up_visibly_when_the_work_is_unbounded(monkeypatch):
    monkeypatch.setattr(rays, "THIN_WALL_MAX_PAIRS", 10)
    monkeypatch.setattr(rays, "THIN_WALL_BOX_PAIRS", 10)
    metrics = measure(tube(outer=10.0, inner=9.6, height=30.0, sections=128))
    found = [f for f in dfm.mesh_findings(metrics, LIMITS) if f.code.startswith("thin_wall")]
    assert [(f.code, f.severity) for f in found] == [("thin_wall_unchecked", "info")]
