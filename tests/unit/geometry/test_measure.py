import re
import shutil
import subprocess

import numpy as np
import pytest
import trimesh
from models import box, cylinder, polygon_prism_volume, rotated, sphere, write_stl

from geometry import weld as weld_module
from geometry.measure import measure
from geometry.model import GeometryError
from geometry.threads import Background
from geometry.topology import components, edges
from geometry.weld import weld

pytestmark = pytest.mark.usefixtures("mesh_passes")


def test_box_exact():
    m = measure(box((10, 20, 30)).astype(np.float32))
    assert m.triangles == 12
    assert m.volume_mm3 == pytest.approx(6000, rel=1e-9)
    assert m.area_mm2 == pytest.approx(2 * (200 + 300 + 600), rel=1e-9)
    assert m.bbox_mm == pytest.approx((10, 20, 30), abs=1e-6)
    assert m.obb_mm == pytest.approx((30, 20, 10), abs=1e-3)
    assert m.watertight and m.bodies == 1 and not m.inverted
    assert len(m.vertices) == 8


def test_cylinder_against_analytic_volume():
    m = measure(cylinder(radius=5, height=10, sections=64))
    assert m.volume_mm3 == pytest.approx(polygon_prism_volume(5, 10, 64), rel=1e-9)
    assert m.bbox_mm[2] == pytest.approx(10, abs=1e-9)
    assert m.watertight and m.bodies == 1


def test_sphere_matches_trimesh_in_float32():
    tri = sphere(4, 25.0).astype(np.float32)
    reference = trimesh.Trimesh(**trimesh.triangles.to_kwargs(tri.astype(np.float64)))
    m = measure(tri.copy())
    assert m.volume_mm3 == pytest.approx(reference.volume, rel=1e-6)
    assert m.area_mm2 == pytest.approx(reference.area, rel=1e-6)
    np.testing.assert_allclose(m.bbox_mm, reference.extents, atol=1e-4)


def test_rotated_box_oriented_box_is_tight():
    m = measure(rotated(box((40, 20, 5))))
    assert m.obb_mm == pytest.approx((40, 20, 5), abs=0.05)
    assert m.bbox_mm[0] > 30  # the axis-aligned box is much larger


def test_two_bodies():
    tri = np.concatenate([box(at=(0, 0, 0)), box(at=(50, 0, 0)), sphere(2, 3)])
    m = measure(tri)
    assert m.bodies == 3 and m.watertight


def test_open_mesh():
    m = measure(box()[:-1])
    assert not m.watertight and m.open_edges == 3 and m.nonmanifold_edges == 0


def test_non_manifold_edge():
    # two boxes sharing one edge
    m = measure(np.concatenate([box((1, 1, 1)), box((1, 1, 1), at=(1, 1, 0))]))
    assert m.nonmanifold_edges >= 1 and not m.watertight


def test_inverted():
    m = measure(box()[:, ::-1])
    assert m.inverted and m.volume_mm3 == pytest.approx(6000)
    assert m.signed_volume_mm3 == pytest.approx(-6000)


def test_flipped_facet_is_turned_before_measuring():
    tri = box().copy()
    tri[0] = tri[0][::-1]
    m = measure(tri)
    assert m.watertight and m.misoriented_edges == 0 and m.turned_facets == 1
    assert m.volume_mm3 == pytest.approx(6000, rel=1e-9)


def test_degenerate_facets_are_dropped():
    tri = np.concatenate([box(), np.zeros((5, 3, 3))])
    m = measure(tri)
    assert m.degenerate == 5 and m.watertight and m.volume_mm3 == pytest.approx(6000)


@pytest.mark.parametrize("tri", [np.zeros((4, 3, 3)), np.ones((3, 3, 3)), np.zeros((0, 3, 3))])
def test_degenerate_only_is_an_error(tri):
    with pytest.raises(GeometryError) as err:
        measure(tri)
    assert err.value.code in ("degenerate_model", "empty_model")


def test_collinear_only_is_an_error():
    tri = np.array([[[0, 0, 0], [1, 0, 0], [2, 0, 0]]], dtype=float)
    with pytest.raises(GeometryError) as err:
        measure(tri)
    assert err.value.code == "degenerate_model"


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, 1e7, -2e6])
def test_bad_coordinates(bad):
    tri = box().astype(np.float32)
    tri[3, 1, 2] = bad
    with pytest.raises(GeometryError) as err:
        measure(tri)
    assert err.value.code in ("invalid_coordinates", "coordinates_out_of_range")


def test_weld_negative_zero_and_exactness():
    pts = np.array([[0.0, 1, 2], [-0.0, 1, 2], [0, 1, 2.0000002], [0, 1, 2]], dtype=np.float32)
    unique, inverse = weld(pts.copy())
    assert len(unique) == 2
    assert inverse[0] == inverse[1] == inverse[3] != inverse[2]


def test_weld_hash_collision_falls_back_exactly(monkeypatch):
    monkeypatch.setenv("GEOMETRY_NATIVE", "0")  # the numpy weld's hash is what collides here
    monkeypatch.setattr(weld_module, "_K1", np.uint64(0))
    monkeypatch.setattr(weld_module, "_K2", np.uint64(0))  # every point hashes the same
    tri = sphere(2).astype(np.float32)
    unique, inverse = weld(tri.reshape(-1, 3).copy())
    expected = np.unique(tri.reshape(-1, 3), axis=0)
    assert len(unique) == len(expected)
    np.testing.assert_array_equal(unique[inverse], tri.reshape(-1, 3))


def test_measure_after_a_hash_collision_is_the_same(monkeypatch):
    tri = sphere(3).astype(np.float32)
    a = measure(tri.copy())
    monkeypatch.setenv("GEOMETRY_NATIVE", "0")
    monkeypatch.setattr(weld_module, "_K1", np.uint64(0))
    monkeypatch.setattr(weld_module, "_K2", np.uint64(0))
    b = measure(tri.copy())
    assert (b.watertight, b.bodies) == (True, 1)
    assert b.volume_mm3 == pytest.approx(a.volume_mm3, rel=1e-6)  # float32 products in numpy


def _changed_sphere(change: str, dtype=np.float32) -> np.ndarray:
    tri = sphere(3).astype(dtype)
    if change == "flip":
        tri[[5, 77]] = tri[[5, 77], ::-1]
    elif change == "drop":
        tri = tri[1:]
    elif change == "duplicate":
        tri = np.concatenate((tri, tri[:3]))
    elif change == "two shells":
        tri = np.concatenate((tri, tri + dtype(100.0)))
    elif change == "touching":  # a second sphere that shares one point with the first
        shift = tri[0, 0] - sphere(3).astype(dtype)[7, 1]
        tri = np.concatenate((tri, sphere(3).astype(dtype) + shift))
    return tri


def _pairs(found) -> set[tuple[int, int]]:
    return {(min(a, b), max(a, b)) for a, b in zip(found.pair_a.tolist(), found.pair_b.tolist(), strict=True)}


@pytest.mark.parametrize("change", ["none", "flip", "drop", "duplicate", "two shells", "touching"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_and_numpy_passes_agree(change, dtype, monkeypatch):
    tri = _changed_sphere(change, dtype)
    results = []
    for setting in ("1", "0"):
        monkeypatch.setenv("GEOMETRY_NATIVE", setting)
        vertices, inverse = weld(tri.reshape(-1, 3).copy())
        faces = inverse.reshape(-1, 3)
        found = edges(faces, len(vertices))
        count, labels = components(len(faces), found.pair_a, found.pair_b)
        # a vertex order of its own in each: compare what the numbers stand for
        results.append((
            vertices[inverse].tobytes(),
            (found.open, found.nonmanifold, found.misoriented),
            _pairs(found),
            sorted(found.open_faces.tolist()),
            sorted(map(tuple, vertices[found.open_vertices].tolist())),
            count,
            labels.tolist(),
        ))
    assert results[0] == results[1]
    assert (sum(results[0][1]) > 0) == (change in ("flip", "drop", "duplicate"))
    if change in ("none", "flip", "two shells", "touching"):
        assert results[0][5] == (2 if change in ("two shells", "touching") else 1)


@pytest.mark.parametrize("seed", range(20))
def test_compiled_and_numpy_edges_agree_on_random_tangles(seed, monkeypatch):
    """Faces drawn from a few points: every kind of edge (open, paired, misoriented, shared
    by three or more) in one mesh."""
    rng = np.random.default_rng(seed)
    n_vertices = int(rng.integers(4, 40))
    faces = rng.integers(0, n_vertices, size=(int(rng.integers(1, 300)), 3)).astype(np.int32)
    faces = faces[(faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) & (faces[:, 0] != faces[:, 2])]
    results = []
    for setting in ("1", "0"):
        monkeypatch.setenv("GEOMETRY_NATIVE", setting)
        found = edges(faces, n_vertices)
        count, labels = components(len(faces), found.pair_a, found.pair_b)
        results.append((
            (found.open, found.nonmanifold, found.misoriented),
            _pairs(found),
            sorted(found.open_faces.tolist()),
            found.open_vertices.tolist(),
            count,
            labels.tolist(),
        ))
    assert results[0] == results[1]


def test_the_welds_sort_in_two_halves_sorts():
    key = np.random.default_rng(2).integers(0, 2**63, (1 << 20) + 3, dtype=np.int64).astype(np.uint64)
    expected = np.sort(key)
    weld_module._sort(key)
    np.testing.assert_array_equal(key, expected)


def test_weld_matches_numpy_unique_on_random_points():
    rng = np.random.default_rng(1)
    pts = rng.integers(0, 40, size=(20000, 3)).astype(np.float32) / 8
    unique, inverse = weld(pts.copy())
    assert len(unique) == len(np.unique(pts, axis=0))
    np.testing.assert_array_equal(unique[inverse], pts)


def test_without_threads_same_result(monkeypatch):
    tri = sphere(3).astype(np.float32)
    a = measure(tri.copy())
    monkeypatch.setattr(Background, "enabled", False)
    b = measure(tri.copy())
    assert (a.volume_mm3, a.area_mm2, a.bodies) == (b.volume_mm3, b.area_mm2, b.bodies)


ADMESH = shutil.which("admesh")


@pytest.mark.skipif(ADMESH is None, reason="admesh is not installed")
@pytest.mark.parametrize(
    "make", [lambda: sphere(5, 40.0), lambda: cylinder(12, 30, 200), lambda: box((3, 7, 90))]
)
def test_volume_and_bbox_match_admesh(tmp_path, make):
    tri = make()
    path = write_stl(tmp_path / "m.stl", tri)
    # admesh prints its 80-byte header as it is, with whatever bytes follow it in memory
    out = subprocess.run([ADMESH, str(path)], capture_output=True, check=True).stdout
    out = out.decode("utf-8", errors="replace")
    volume = float(re.search(r"Volume\s*:\s*([-\d.]+)", out).group(1))
    lo = [float(re.search(rf"Min {a} =\s*([-\d.]+)", out).group(1)) for a in "XYZ"]
    hi = [float(re.search(rf"Max {a} =\s*([-\d.]+)", out).group(1)) for a in "XYZ"]
    m = measure(tri.astype(np.float32))
    assert m.volume_mm3 == pytest.approx(volume, rel=1e-3)
    np.testing.assert_allclose(m.bbox_mm, np.subtract(hi, lo), atol=0.01)


def test_hollow_ball_is_one_body_with_a_void():
    outer = sphere(3, 20.0)
    inner = sphere(3, 15.0)[:, ::-1]  # the cavity's facets face into it
    m = measure(np.concatenate([outer, inner]))
    assert (m.bodies, m.shells, m.voids) == (1, 2, 1)
    expected = trimesh.creation.icosphere(3, 20.0).volume - trimesh.creation.icosphere(3, 15.0).volume
    assert m.volume_mm3 == pytest.approx(expected, rel=1e-6)


def test_vertices_only_in_degenerate_facets_are_not_bodies():
    stray = np.array([[[50.0, 50, 50], [50, 50, 50], [60, 60, 60]]])
    m = measure(np.concatenate([box(), stray]))
    assert m.degenerate == 1 and m.bodies == 1 and m.shells == 1
