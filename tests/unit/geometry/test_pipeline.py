"""`process_model`: every format through the sandbox, figures and previews in one call."""

from __future__ import annotations

import json

import numpy as np
import pytest
import trimesh
from models import box, sphere, write_3mf, write_obj, write_stl
from PIL import Image

from geometry.model import GeometryError
from geometry.pipeline import process_model
from geometry.sandbox import Sandbox


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(wall_seconds=60) as sb:
        yield sb


def _writers(tmp_path):
    tri = np.concatenate([box((40, 30, 20)), sphere(3, 5.0) + 100])  # two bodies
    return {
        "stl": write_stl(tmp_path / "m.stl", tri),
        "obj": write_obj(tmp_path / "m.obj", tri),
        "3mf": write_3mf(tmp_path / "m.3mf", tri),
    }


@pytest.mark.parametrize("fmt", ["stl", "obj", "3mf"])
def test_mesh_formats_measured_and_drawn(tmp_path, sandbox, fmt):
    path = _writers(tmp_path)[fmt]
    out = tmp_path / "out"
    out.mkdir()
    report = process_model(path, out, sandbox=sandbox)
    analysis = report.analysis
    assert analysis.format == fmt and analysis.bodies == 2 and analysis.watertight
    expected = 40 * 30 * 20 + trimesh.creation.icosphere(3, 5.0).volume
    assert analysis.volume_mm3 == pytest.approx(expected, rel=1e-5)
    assert "multiple_bodies" in {f.code for f in analysis.findings}
    with Image.open(report.png) as image:
        assert image.size == (256, 256)
    scene = trimesh.load(report.glb)
    np.testing.assert_allclose(scene.extents, analysis.bbox_mm, atol=1e-3)
    (coloured,) = trimesh.load(report.thickness_glb).geometry.values()
    assert coloured.visual.kind == "vertex" and report.thickness["sampled"] is False
    assert report.features_glb is None and report.features is None  # no machining features on meshes
    json.dumps(report.as_dict())  # plain data


def test_step_measured_and_drawn(tmp_path, sandbox):
    cq = pytest.importorskip("cadquery")
    path = tmp_path / "plate.step"
    cq.exporters.export(cq.Workplane("XY").box(100, 60, 10).faces(">Z").workplane().hole(20), str(path))
    report = process_model(path, tmp_path, sandbox=sandbox)
    analysis = report.analysis
    assert analysis.format == "step" and analysis.holes == 1 and analysis.faces == 7
    assert analysis.volume_mm3 == pytest.approx(100 * 60 * 10 - np.pi * 100 * 10, rel=1e-6)
    np.testing.assert_allclose(trimesh.load(report.glb).extents, (100, 60, 10), atol=1e-3)
    assert report.png.endswith("thumbnail.png")
    assert report.features_glb is None  # a standard through hole: nothing to colour


def test_step_features_coloured(tmp_path, sandbox):
    """A pocket on the back with sharp corners: its corner faces take the small-radius colour."""
    cq = pytest.importorskip("cadquery")
    from geometry.machining import FEATURE_COLOURS

    path = tmp_path / "pocket.step"
    part = cq.Workplane("XY").box(100, 60, 10).faces("<Z").workplane().rect(40, 20).cutBlind(-4)
    cq.exporters.export(part, str(path))
    report = process_model(path, tmp_path, sandbox=sandbox)
    assert [entry["feature"] for entry in report.features["legend"]] == ["none", "small_radius"]
    (coloured,) = trimesh.load(report.features_glb).geometry.values()
    colours = {tuple(c[:3]) for c in np.asarray(coloured.visual.vertex_colors)}
    assert FEATURE_COLOURS["small_radius"] in colours and FEATURE_COLOURS["none"] in colours
    json.dumps(report.as_dict())


def test_only_what_is_asked_for_is_written(tmp_path, sandbox):
    path = write_stl(tmp_path / "b.stl", box())
    report = process_model(path, tmp_path, png=False, glb=False, thickness_glb=False, features_glb=False,
                           sandbox=sandbox)
    assert report.png is None and report.glb is None and report.thickness_glb is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.stl"]


def test_bad_file_is_a_clean_error_with_a_code(tmp_path, sandbox):
    path = tmp_path / "cut.stl"
    path.write_bytes(write_stl(tmp_path / "whole.stl", box()).read_bytes()[:-20])
    with pytest.raises(GeometryError) as err:
        process_model(path, tmp_path, sandbox=sandbox)
    assert err.value.code == "stl_truncated"
    assert err.value.params["facets"] == 12
    assert process_model(tmp_path / "whole.stl", tmp_path, sandbox=sandbox).analysis.triangles == 12


@pytest.mark.parametrize("kind", ["step", "stl"])
def test_the_pictures_are_drawn_from_what_the_measuring_left_without_reading_the_file_again(tmp_path, kind):
    from geometry.pipeline import run_in_child

    if kind == "step":
        cq = pytest.importorskip("cadquery")
        path = tmp_path / "pocket.step"
        part = cq.Workplane("XY").box(100, 60, 10).faces("<Z").workplane().rect(40, 20).cutBlind(-4)
        cq.exporters.export(part, str(path))
    else:
        path = write_stl(tmp_path / "m.stl", np.concatenate([box((40, 30, 20)), sphere(3, 5.0) + 100]))
    kept = str(tmp_path / "model.measured.npz")
    (tmp_path / "direct").mkdir()
    (tmp_path / "drawn").mkdir()
    direct = run_in_child(str(path), str(tmp_path / "direct"))
    measured = run_in_child(str(path), str(tmp_path), measured=kept, png=False, glb=False, thickness_glb=False,
                            features_glb=False)
    path.write_bytes(b"gone")  # the drawing must not need the model any more
    drawn = run_in_child(str(path), str(tmp_path / "drawn"), measured=kept)
    assert drawn.analysis.as_dict() == measured.analysis.as_dict() == direct.analysis.as_dict()
    assert drawn.thickness == direct.thickness and drawn.features == direct.features
    for name in ("png", "glb", "thickness_glb", "features_glb"):
        mine, theirs = getattr(drawn, name), getattr(direct, name)
        assert (mine is None) == (theirs is None), name
        if mine is not None:
            with open(mine, "rb") as a, open(theirs, "rb") as b:
                assert a.read() == b.read(), name
    # another reading of the units is measured again, not drawn from the millimetres'
    with pytest.raises(GeometryError):
        run_in_child(str(path), str(tmp_path / "drawn"), measured=kept, units="in")
