"""STEP measures through the sandbox against OpenCASCADE's exact values and analytic ones.

The models are built at test time with cadquery, into a temporary directory.
"""

from __future__ import annotations

import math
import os
import time

import numpy as np
import pytest

cq = pytest.importorskip("cadquery")

from geometry.model import Finding, GeometryError  # noqa: E402
from geometry.sandbox import Sandbox, default_sandbox  # noqa: E402
from geometry.step import analyze_step, load_step_mesh  # noqa: E402

PI = math.pi


def _plate():
    return (
        cq.Workplane("XY")
        .box(100, 60, 10)
        .faces(">Z")
        .workplane()
        .rect(80, 40, forConstruction=True)
        .vertices()
        .hole(8)
    )


def _flange():
    return (
        cq.Workplane("XY")
        .circle(50)
        .extrude(10)
        .faces(">Z")
        .workplane()
        .circle(20)
        .extrude(30)
        .faces(">Z")
        .workplane()
        .hole(25)
        .faces("<Z")
        .workplane()
        .polarArray(38, 0, 360, 6)
        .hole(6)
    )


def _tube():
    return cq.Workplane("XY").circle(20).circle(15).extrude(100)


def _bracket():
    """An L bracket with a fillet on the inside corner and two holes per leg."""
    return (
        cq.Workplane("XZ")
        .polyline([(0, 0), (60, 0), (60, 6), (6, 6), (6, 50), (0, 50)])
        .close()
        .extrude(-40)
        .edges("|Y")
        .edges(cq.selectors.NearestToPointSelector((6, 20, 6)))
        .fillet(5)
        .faces("<Z")
        .workplane(centerOption="CenterOfBoundBox")
        .pushPoints([(15, 0), (-15, 0)])
        .hole(6)
    )


def _rotated_bar():
    return cq.Workplane("XY").box(100, 20, 5).rotate((0, 0, 0), (0, 0, 1), 30).rotate((0, 0, 0), (1, 0, 0), 20)


def _sphere():
    return cq.Workplane("XY").sphere(25)


def _two_solids():
    a = cq.Workplane("XY").box(10, 10, 10).val()
    b = cq.Workplane("XY").box(10, 20, 30).translate((40, 0, 0)).val()
    return cq.Workplane().add(cq.Compound.makeCompound([a, b]))


def _open_shell():
    faces = cq.Workplane("XY").box(10, 10, 10).faces().vals()[:5]
    return cq.Workplane().add(cq.Shell.makeShell(faces))


BUILDERS = {
    "plate": _plate,
    "flange": _flange,
    "tube": _tube,
    "bracket": _bracket,
    "rotated_bar": _rotated_bar,
    "sphere": _sphere,
    "two_solids": _two_solids,
    "open_shell": _open_shell,
}


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("step")
    paths, shapes = {}, {}
    for name, build in BUILDERS.items():
        wp = build()
        path = root / f"{name}.step"
        cq.exporters.export(wp, str(path))
        paths[name] = path
        shapes[name] = cq.importers.importStep(str(path)).val()  # what OCP reads back
    return paths, shapes


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(wall_seconds=30) as sb:
        yield sb


def _exact(shape):
    """OpenCASCADE's own exact values in this process: volume, area, precise bbox extents."""
    bb = shape.BoundingBox()
    return shape.Volume(), shape.Area(), (bb.xlen, bb.ylen, bb.zlen)


def _close(a, b, rel):
    return abs(a - b) <= rel * abs(b)


# --------------------------------------------------------------------------- accuracy


@pytest.mark.parametrize("name", ["plate", "flange", "tube", "bracket", "rotated_bar", "sphere"])
def test_matches_opencascade_exact_properties(models, sandbox, name):
    paths, shapes = models
    analysis = analyze_step(paths[name], sandbox=sandbox)
    volume, area, extents = _exact(shapes[name])
    assert analysis.format == "step"
    assert _close(analysis.volume_mm3, volume, 0.005)
    assert _close(analysis.area_mm2, area, 0.005)
    assert np.allclose(analysis.bbox_mm, extents, atol=0.01)
    assert analysis.bodies == 1
    assert analysis.watertight
    assert analysis.triangles > 0
    assert not [f for f in analysis.findings if f.severity == "blocking"]


def test_plate_analytic_values_and_holes(models, sandbox):
    analysis = analyze_step(models[0]["plate"], sandbox=sandbox)
    expected = 100 * 60 * 10 - 4 * PI * 4**2 * 10
    assert _close(analysis.volume_mm3, expected, 0.005)
    assert np.allclose(analysis.bbox_mm, (100, 60, 10), atol=0.01)
    assert np.allclose(analysis.obb_mm, (100, 60, 10), atol=0.01)
    assert analysis.holes == 4
    assert analysis.faces == 6 + 4


def test_flange_analytic_values_and_holes(models, sandbox):
    analysis = analyze_step(models[0]["flange"], sandbox=sandbox)
    expected = PI * (50**2 * 10 + 20**2 * 30 - 12.5**2 * 40 - 6 * 3**2 * 10)
    assert _close(analysis.volume_mm3, expected, 0.005)
    assert np.allclose(analysis.bbox_mm, (100, 100, 40), atol=0.01)
    assert analysis.holes == 7  # the bore and six bolt holes


def test_tube_analytic_values(models, sandbox):
    analysis = analyze_step(models[0]["tube"], sandbox=sandbox)
    assert _close(analysis.volume_mm3, PI * (20**2 - 15**2) * 100, 0.005)
    assert _close(analysis.area_mm2, 2 * PI * (20 + 15) * 100 + 2 * PI * (20**2 - 15**2), 0.005)
    assert np.allclose(analysis.bbox_mm, (40, 40, 100), atol=0.01)
    assert np.allclose(analysis.obb_mm, (100, 40, 40), atol=0.01)
    assert analysis.holes == 1


def test_sphere_analytic_values(models, sandbox):
    analysis = analyze_step(models[0]["sphere"], sandbox=sandbox)
    assert _close(analysis.volume_mm3, 4 / 3 * PI * 25**3, 0.005)
    assert np.allclose(analysis.bbox_mm, (50, 50, 50), atol=0.01)
    assert analysis.holes == 0


def test_bracket_fillet_is_not_a_hole(models, sandbox):
    analysis = analyze_step(models[0]["bracket"], sandbox=sandbox)
    assert analysis.holes == 2


def test_rotated_bar_minimal_oriented_box(models, sandbox):
    analysis = analyze_step(models[0]["rotated_bar"], sandbox=sandbox)
    assert np.allclose(analysis.obb_mm, (100, 20, 5), atol=0.01)
    assert max(analysis.bbox_mm) > 90 and min(analysis.bbox_mm) > 5.5  # not axis-aligned


def test_two_solids_are_reported(models, sandbox):
    analysis = analyze_step(models[0]["two_solids"], sandbox=sandbox)
    assert analysis.bodies == 2
    assert _close(analysis.volume_mm3, 10**3 + 10 * 20 * 30, 0.005)
    assert np.allclose(analysis.bbox_mm, (50, 20, 30), atol=0.01)
    codes = {f.code: f for f in analysis.findings}
    assert "multiple_bodies" in codes
    assert codes["multiple_bodies"].severity != "blocking"


def test_assembly_of_two_parts(tmp_path, sandbox):
    assembly = (
        cq.Assembly()
        .add(cq.Workplane("XY").box(10, 10, 10), name="a")
        .add(cq.Workplane("XY").cylinder(20, 5), name="b", loc=cq.Location((30, 0, 0)))
    )
    path = tmp_path / "assembly.step"
    assembly.export(str(path))
    analysis = analyze_step(path, sandbox=sandbox)
    assert analysis.bodies == 2
    assert _close(analysis.volume_mm3, 1000 + PI * 25 * 20, 0.005)
    assert "multiple_bodies" in {f.code for f in analysis.findings}


def test_surfaces_without_a_solid_are_blocking(models, sandbox):
    analysis = analyze_step(models[0]["open_shell"], sandbox=sandbox)
    assert not analysis.watertight
    blocking = [f for f in analysis.findings if f.severity == "blocking"]
    assert [(f.code, f.message) for f in blocking] == [("no_solid", Finding.of("no_solid").message)]
    assert _close(analysis.area_mm2, 500, 0.005)


def test_result_is_plain_data(models, sandbox):
    data = analyze_step(models[0]["plate"], sandbox=sandbox).as_dict()
    assert data["format"] == "step" and data["holes"] == 4 and len(data["bbox_mm"]) == 3


# --------------------------------------------------------------------------- the mesh


def test_mesh_matches_the_exact_solid(models, sandbox):
    mesh = load_step_mesh(models[0]["flange"], sandbox=sandbox)
    assert mesh.vertices.ndim == 2 and mesh.vertices.shape[1] == 3
    assert mesh.faces.ndim == 2 and mesh.faces.shape[1] == 3
    assert mesh.faces.max() < len(mesh.vertices)
    extents = mesh.vertices.max(axis=0) - mesh.vertices.min(axis=0)
    assert np.allclose(extents, (100, 100, 40), atol=0.2)
    tri = mesh.vertices[mesh.faces]
    volume = np.einsum("ij,ij->i", tri[:, 0], np.cross(tri[:, 1], tri[:, 2])).sum() / 6
    exact = PI * (50**2 * 10 + 20**2 * 30 - 12.5**2 * 40 - 6 * 3**2 * 10)
    assert _close(volume, exact, 0.01)  # outward-facing and closed: the sign is right


# --------------------------------------------------------------------------- bad input


def _write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _expect_clean_error(path, sandbox, codes):
    start = time.monotonic()
    with pytest.raises(GeometryError) as info:
        analyze_step(path, sandbox=sandbox)
    assert info.value.code in codes, (info.value.code, info.value.message)
    assert time.monotonic() - start < sandbox.wall_seconds + 5
    assert "Traceback" not in info.value.message and info.value.message
    return info.value


def test_not_a_step_file_is_refused_before_parsing(tmp_path, sandbox):
    for data in (b"", b"solid cube\nendsolid\n", b"\x00" * 100, b"PK\x03\x04junk"):
        path = _write(tmp_path, "x.step", data)
        error = _expect_clean_error(path, sandbox, {"unknown_format"})
        assert "ISO-10303-21" in error.detail


def test_missing_file(tmp_path, sandbox):
    _expect_clean_error(tmp_path / "missing.step", sandbox, {"unreadable"})


def test_truncated_step(models, tmp_path, sandbox):
    good = models[0]["plate"].read_bytes()
    path = _write(tmp_path, "truncated.step", good[: len(good) // 2])
    _expect_clean_error(path, sandbox, {"invalid_step", "empty_model"})


def test_header_then_garbage(tmp_path, sandbox):
    rng = np.random.default_rng(3)
    path = _write(tmp_path, "garbage.step", b"ISO-10303-21;\n" + rng.bytes(20_000))
    _expect_clean_error(path, sandbox, {"invalid_step", "empty_model", "crashed"})


def test_header_only(models, tmp_path, sandbox):
    good = models[0]["plate"].read_bytes()
    path = _write(tmp_path, "header.step", good[: good.index(b"DATA;")])
    _expect_clean_error(path, sandbox, {"invalid_step", "empty_model"})


HOSTILE = {
    "empty_data": b"DATA;\nENDSEC;\n",
    "self_reference": b"DATA;\n#1=MANIFOLD_SOLID_BREP('',#1);\n#2=CLOSED_SHELL('',(#2,#1));\nENDSEC;\n",
    "deep_nesting": b"DATA;\n#1=A(" + b"(" * 200_000 + b");\nENDSEC;\n",
    "huge_numbers": b"DATA;\n#1=CARTESIAN_POINT('',(1.E308,-1.E308,1.E999));\n#2=VERTEX_POINT('',#1);\nENDSEC;\n",
    "dangling_refs": b"DATA;\n#1=ADVANCED_FACE('',(#5),#6,.T.);\n#2=CLOSED_SHELL('',(#1));\n"
    b"#3=MANIFOLD_SOLID_BREP('',#2);\nENDSEC;\n",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_step_is_a_clean_error(tmp_path, sandbox, name):
    header = b"ISO-10303-21;\nHEADER;\nFILE_SCHEMA(('AUTOMOTIVE_DESIGN'));\nENDSEC;\n"
    path = _write(tmp_path, f"{name}.step", header + HOSTILE[name] + b"END-ISO-10303-21;\n")
    codes = {"invalid_step", "empty_model", "crashed", "invalid_coordinates", "coordinates_out_of_range"}
    _expect_clean_error(path, sandbox, codes)
    assert analyze_step(_plate_path(tmp_path), sandbox=sandbox).holes == 4  # still working


def _plate_path(tmp_path):
    path = tmp_path / "plate_again.step"
    if not path.exists():
        cq.exporters.export(_plate(), str(path))
    return path


def test_default_sandbox_is_used_when_none_is_given(models):
    analysis = analyze_step(os.fspath(models[0]["tube"]))
    assert analysis.holes == 1
    assert default_sandbox().pid is not None


def test_caller_output_stays_clean(models):
    """OpenCASCADE prints to stdout; none of it may reach the caller's stdout (the CLI's JSON)."""
    import json
    import subprocess
    import sys

    code = (
        "import json, sys\n"
        "from geometry.step import analyze_step\n"
        "from geometry.sandbox import default_sandbox\n"
        "a = analyze_step(sys.argv[1])\n"
        "print(json.dumps({'analysis': a.as_dict(), 'warm_parent': default_sandbox().pid}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(models[0]["flange"])],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__)))),
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["analysis"]["holes"] == 7
    assert done.stderr == ""
    # The warm parent goes away with its caller.
    deadline = time.monotonic() + 5
    while os.path.exists(f"/proc/{out['warm_parent']}") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not os.path.exists(f"/proc/{out['warm_parent']}")


# --------------------------------------------------------------------------- size checks


def _export(tmp_path, name, wp):
    path = tmp_path / f"{name}.step"
    cq.exporters.export(wp, str(path))
    return path


def test_units_suspect_small_and_large(tmp_path, sandbox):
    tiny = _export(tmp_path, "tiny", cq.Workplane("XY").box(0.5, 0.3, 0.2))
    codes = {f.code for f in analyze_step(tiny, sandbox=sandbox).findings}
    assert "units_suspect_small" in codes
    huge = _export(tmp_path, "huge", cq.Workplane("XY").box(4000, 100, 100))
    codes = {f.code for f in analyze_step(huge, sandbox=sandbox).findings}
    assert "units_suspect_large" in codes
    normal = analyze_step(_plate_path(tmp_path), sandbox=sandbox)
    assert not [f for f in normal.findings if f.code.startswith("units_suspect")]


def test_envelope_and_thin_walls_with_process_limits(tmp_path, sandbox):
    from geometry.model import ProcessLimits

    small_printer = ProcessLimits("sla", (50.0, 50.0, 50.0), 1.0)
    big_mill = ProcessLimits("cnc_milling", (1000.0, 500.0, 500.0), 0.3)
    # A 120 mm box with 0.6 mm walls: too big for the printer, too thin for it as well.
    shell = _export(tmp_path, "thin", cq.Workplane("XY").box(120, 40, 30).faces(">Z").shell(-0.6))
    analysis = analyze_step(shell, sandbox=sandbox, limits=[small_printer, big_mill])
    found = {(f.code, f.process) for f in analysis.findings}
    assert ("exceeds_envelope", "sla") in found
    assert ("exceeds_envelope", "cnc_milling") not in found
    assert ("thin_wall", "sla") in found
    assert ("thin_wall", "cnc_milling") not in found
    blocking = [f for f in analysis.findings if f.severity == "blocking"]
    assert [f.process for f in blocking] == ["sla"]
    # Without limits, no per-process findings and no mesh crosses the pipe.
    plain = analyze_step(shell, sandbox=sandbox)
    assert not [f for f in plain.findings if f.process]


def test_closed_surfaces_are_measured_as_a_solid(tmp_path, sandbox):
    faces = cq.Workplane("XY").box(10, 20, 30).faces().vals()
    path = _export(tmp_path, "closed_shell", cq.Workplane().add(cq.Shell.makeShell(faces)))
    analysis = analyze_step(path, sandbox=sandbox)
    assert _close(analysis.volume_mm3, 6000, 0.005)
    assert analysis.watertight and analysis.bodies == 1
    codes = {f.code: f.severity for f in analysis.findings}
    assert codes.get("closed_shell") == "info"
    assert "no_solid" not in codes


def test_holes_split_at_their_seam_count_once(tmp_path, sandbox):
    """Many CAD systems write a hole as two half-cylinders: still one hole each."""
    from OCP.ShapeUpgrade import ShapeUpgrade_ShapeDivideClosed

    divide = ShapeUpgrade_ShapeDivideClosed(_plate().val().wrapped)
    divide.SetNbSplitPoints(1)
    divide.Perform()
    split = cq.Shape.cast(divide.Result())
    path = _export(tmp_path, "split", cq.Workplane().add(split))
    analysis = analyze_step(path, sandbox=sandbox)
    assert analysis.faces == 14  # each of the four holes is two faces now
    assert analysis.holes == 4


def test_counterbored_holes_count_once(tmp_path, sandbox):
    part = cq.Workplane("XY").box(80, 40, 12).faces(">Z").workplane().rarray(30, 1, 3, 1).cboreHole(6, 11, 4)
    analysis = analyze_step(_export(tmp_path, "cbore", part), sandbox=sandbox)
    assert analysis.holes == 3


def test_the_files_length_unit_is_honoured(models, tmp_path, sandbox):
    """A STEP file in metres is read in millimetres (OpenCASCADE converts on reading)."""
    text = models[0]["plate"].read_bytes()
    in_mm = b"LENGTH_UNIT() NAMED_UNIT(*) SI_UNIT(.MILLI.,.METRE.)"
    assert in_mm in text
    in_metres = _write(tmp_path, "metres.step", text.replace(in_mm, b"LENGTH_UNIT() NAMED_UNIT(*) SI_UNIT($,.METRE.)"))
    analysis = analyze_step(in_metres, sandbox=sandbox)
    assert np.allclose(analysis.bbox_mm, (100_000, 60_000, 10_000), rtol=1e-6)
    assert _close(analysis.volume_mm3, (100 * 60 * 10 - 4 * PI * 4**2 * 10) * 1e9, 0.005)
    assert "units_suspect_large" in {f.code for f in analysis.findings}


def _freeform(path):
    """A loft through three wavy closed splines: B-spline sides, planar caps."""

    def section(z, phase):
        points = []
        for i in range(16):
            a = 2 * PI * i / 16
            r = 20 + 4 * math.sin(3 * a + phase)
            points.append(cq.Vector(r * math.cos(a), r * math.sin(a), z))
        return cq.Wire.assembleEdges([cq.Edge.makeSpline(points, periodic=True)])

    solid = cq.Solid.makeLoft([section(0, 0.0), section(25, 1.0), section(50, 2.0)])
    cq.exporters.export(cq.Workplane().add(solid), str(path))
    return cq.importers.importStep(str(path)).val()


def test_freeform_bounds_come_from_the_tessellation(tmp_path, monkeypatch):
    """B-spline faces are bounded by their tessellation and its deflection, not by
    OpenCASCADE's costly exact search; the box still encloses the exact one, and is at most
    one deflection per side larger."""
    from OCP.BRepAdaptor import BRepAdaptor_Surface
    from OCP.BRepBndLib import BRepBndLib
    from OCP.GeomAbs import GeomAbs_BSplineSurface
    from OCP.TopAbs import TopAbs_FACE
    from OCP.TopExp import TopExp_Explorer
    from OCP.TopoDS import TopoDS

    from geometry.step import _deflection, measure_step

    shape = _freeform(tmp_path / "freeform.step")
    searched = []
    exact_search = BRepBndLib.AddOptimal_s

    def spy(part, *args):
        explorer = TopExp_Explorer(part, TopAbs_FACE)
        while explorer.More():
            searched.append(BRepAdaptor_Surface(TopoDS.Face_s(explorer.Current())).GetType())
            explorer.Next()
        return exact_search(part, *args)

    monkeypatch.setattr(BRepBndLib, "AddOptimal_s", staticmethod(spy))
    measured = measure_step(str(tmp_path / "freeform.step"))
    monkeypatch.undo()

    assert searched and GeomAbs_BSplineSurface not in searched  # the planar caps are searched
    _, _, exact = _exact(shape)
    deflection = _deflection(math.dist((0, 0, 0), exact))
    assert all(e - 1e-9 <= m <= e + 2.2 * deflection for m, e in zip(measured.bbox_mm, exact, strict=True))
    assert _close(measured.volume_mm3, shape.Volume(), 1e-6)
    assert measured.volume_mm3 < math.prod(measured.obb_mm) <= math.prod(measured.bbox_mm) * (1 + 1e-9)


def test_command_line_sandbox_skips_the_workers_warm_up(models, monkeypatch, capsys):
    """`python -m geometry analyze` on a STEP file runs one job: its sandbox imports
    OpenCASCADE but not the previews' libraries, which only a long-lived worker gains from."""
    import json

    from geometry import sandbox as sandbox_module
    from geometry.cli import main

    monkeypatch.setattr(sandbox_module, "_default", None)
    assert main(["analyze", "--json", str(models[0]["plate"])]) == 0
    used = sandbox_module._default
    try:
        assert json.loads(capsys.readouterr().out)["holes"] == 4
        assert used is not None and used.pid is not None and not used.preload_failures
        assert used.warmup == ("geometry.step:warm_up",)
    finally:
        used.close()
