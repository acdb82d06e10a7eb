"""Previews: the thumbnail shows the part, the GLB loads back with the right bounds."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from PIL import Image

from geometry.model import GeometryError, Mesh
from geometry.preview import BACKGROUND, cluster, decimate, rasterise, write_previews


def _mesh(tm: trimesh.Trimesh) -> Mesh:
    return Mesh(np.asarray(tm.vertices, dtype=np.float64), np.asarray(tm.faces, dtype=np.int64))


def _object_fraction(path) -> float:
    pixels = np.asarray(Image.open(path).convert("RGB")).astype(np.int32)
    differs = np.abs(pixels - BACKGROUND.astype(np.int32)).sum(axis=2) > 12
    return float(differs.mean())


def _glb_bounds(path) -> np.ndarray:
    scene = trimesh.load(path, file_type="glb", force="scene")
    assert len(scene.geometry) >= 1
    faces = sum(len(g.faces) for g in scene.geometry.values())
    assert faces > 0
    return np.asarray(scene.bounds)


def _bracket() -> trimesh.Trimesh:
    base = trimesh.creation.box((60, 40, 6))
    base.apply_translation((30, 20, 3))
    wall = trimesh.creation.box((6, 40, 50))
    wall.apply_translation((3, 20, 25))
    return trimesh.util.concatenate([base, wall])


@pytest.mark.parametrize(
    "shape",
    [
        trimesh.creation.box((30, 20, 10)),
        trimesh.creation.cylinder(radius=10, height=80),
        trimesh.creation.annulus(r_min=15, r_max=25, height=10),
        trimesh.creation.icosphere(subdivisions=3, radius=5),
        _bracket(),
    ],
    ids=["box", "cylinder", "ring", "sphere", "bracket"],
)
def test_thumbnail_and_glb(tmp_path, shape):
    mesh = _mesh(shape)
    png, glb = tmp_path / "t.png", tmp_path / "t.glb"
    write_previews(mesh, png_path=png, glb_path=glb)

    picture = Image.open(png)
    assert picture.size == (256, 256)
    pixels = np.asarray(picture.convert("L"), dtype=np.float64)
    assert pixels.std() > 10  # not blank
    fraction = _object_fraction(png)
    assert 0.05 < fraction < 0.9  # the part fills a fair share, with background around it
    # Shaded, not a silhouette: several distinct tones on the part.
    assert len(np.unique(pixels[pixels < 200].round(-1))) >= 3

    bounds = _glb_bounds(glb)
    expected = np.array([mesh.vertices.min(axis=0), mesh.vertices.max(axis=0)])
    assert np.allclose(bounds, expected, atol=1e-3)


def test_thumbnail_size_is_configurable(tmp_path):
    png = tmp_path / "t.png"
    write_previews(_mesh(trimesh.creation.box((1, 2, 3))), png_path=png, size=128)
    assert Image.open(png).size == (128, 128)


def test_tiny_and_huge_coordinates_fill_the_frame(tmp_path):
    for scale in (1e-3, 1e5):
        box = trimesh.creation.box((2 * scale, 1 * scale, 1 * scale))
        png = tmp_path / f"{scale}.png"
        write_previews(_mesh(box), png_path=png)
        assert 0.1 < _object_fraction(png) < 0.9


def test_large_mesh_is_decimated_and_keeps_its_bounds(tmp_path):
    sphere = trimesh.creation.icosphere(subdivisions=7, radius=50)  # 327,680 faces
    mesh = _mesh(sphere)
    glb, png = tmp_path / "s.glb", tmp_path / "s.png"
    used = write_previews(mesh, png_path=png, glb_path=glb, max_faces=50_000)
    assert len(used.faces) <= 50_000
    scene = trimesh.load(glb, file_type="glb", force="scene")
    assert sum(len(g.faces) for g in scene.geometry.values()) <= 50_000
    assert np.allclose(scene.bounds, [[-50, -50, -50], [50, 50, 50]], atol=1e-3)
    loaded = trimesh.util.concatenate(list(scene.geometry.values()))
    # Still a sphere: every point near the radius, volume within 1 %.
    radii = np.linalg.norm(loaded.vertices, axis=1)
    assert radii.min() > 49.0 and radii.max() < 50.5
    assert abs(abs(loaded.volume) - 4 / 3 * np.pi * 50**3) < 0.01 * 4 / 3 * np.pi * 50**3
    assert 0.3 < _object_fraction(png) < 0.9


def test_clustering_keeps_bounds_and_shape():
    sphere = trimesh.creation.icosphere(subdivisions=6, radius=10)
    vertices, faces = cluster(np.asarray(sphere.vertices), np.asarray(sphere.faces), 10_000)
    assert len(faces) <= 11_000
    assert np.allclose(vertices.min(axis=0), sphere.vertices.min(axis=0))
    assert np.allclose(vertices.max(axis=0), sphere.vertices.max(axis=0))
    assert faces.max() < len(vertices)
    assert np.allclose(np.linalg.norm(vertices, axis=1), 10)  # original points, on the surface


def test_small_meshes_are_not_decimated():
    box = _mesh(trimesh.creation.box((1, 1, 1)))
    same = decimate(box, 100)
    assert np.array_equal(same.faces, box.faces)


def test_rasteriser_depth_order():
    # Two overlapping squares facing the viewer: the nearer one wins every shared pixel.
    px = np.array([0, 8, 8, 0, 4, 12, 12, 4], dtype=float)
    py = np.array([0, 0, 8, 8, 4, 4, 12, 12], dtype=float)
    depth = np.array([5, 5, 5, 5, 1, 1, 1, 1], dtype=float)
    faces = np.array([[0, 1, 2], [0, 2, 3], [4, 5, 6], [4, 6, 7]])
    ids = rasterise(px, py, depth, faces, 16)
    assert set(np.unique(ids[5:8, 5:8])) <= {2, 3}
    assert set(np.unique(ids[0:4, 0:4])) <= {0, 1}
    assert (ids[13:, :] == -1).all()
    assert (ids[:8, :8] >= 0).all() and (ids[4:12, 4:12] >= 0).all()  # no cracks


def test_empty_or_broken_meshes_are_clean_errors(tmp_path):
    cases = [
        Mesh(np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64)),
        Mesh(np.array([[0, 0, 0], [1, 0, 0], [np.nan, 1, 0]]), np.array([[0, 1, 2]])),
        Mesh(np.zeros((3, 3)), np.array([[0, 1, 5]])),
    ]
    for mesh in cases:
        with pytest.raises(GeometryError):
            write_previews(mesh, png_path=tmp_path / "x.png", glb_path=tmp_path / "x.glb")


def test_edge_on_mesh_still_writes_files(tmp_path):
    # A flat square seen at an angle is fine; a degenerate sliver must not crash the renderer.
    flat = Mesh(np.array([[0, 0, 0], [1, 0, 0], [2, 0, 0.0]]), np.array([[0, 1, 2]]))
    write_previews(flat, png_path=tmp_path / "f.png", glb_path=tmp_path / "f.glb")
    assert Image.open(tmp_path / "f.png").size == (256, 256)


def test_step_part_end_to_end(tmp_path):
    """STEP → tessellation in the sandbox → thumbnail and GLB with the part's bounds."""
    cq = pytest.importorskip("cadquery")
    from geometry.step import load_step_mesh

    part = cq.Workplane("XY").box(80, 50, 12).faces(">Z").workplane().rect(60, 30, forConstruction=True)
    part = part.vertices().hole(6).edges("|Z").fillet(4)
    step = tmp_path / "part.step"
    cq.exporters.export(part, str(step))
    mesh = load_step_mesh(step)
    png, glb = tmp_path / "p.png", tmp_path / "p.glb"
    write_previews(mesh, png_path=png, glb_path=glb)
    assert 0.1 < _object_fraction(png) < 0.9
    bounds = _glb_bounds(glb)
    assert np.allclose(bounds[1] - bounds[0], (80, 50, 12), atol=0.05)


def test_row_by_row_rasterising_gives_the_same_pixels(monkeypatch):
    from geometry import preview

    # long slivers and large triangles, as CAD tessellations have them
    rng = np.random.default_rng(5)
    points = rng.uniform(0, 100, size=(300, 3))
    faces = rng.integers(0, 300, size=(400, 3))
    faces = faces[(faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) & (faces[:, 0] != faces[:, 2])]
    mesh = Mesh(points, faces)
    rows = preview.render_array(mesh, 256)
    monkeypatch.setattr(preview, "_ROWS_FROM", 1 << 30)  # every triangle through its whole box
    boxes = preview.render_array(mesh, 256)
    assert np.array_equal(rows, boxes)
