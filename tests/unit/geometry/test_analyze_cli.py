import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from models import (
    box,
    sphere,
    write_3mf,
    write_many_members,
    write_obj,
    write_stl,
    write_zip_bomb,
)

from geometry.analyze import analyze_file, describe, load_mesh
from geometry.model import GeometryError, ProcessLimits

ROOT = Path(__file__).resolve().parents[3]


def run_cli(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-m", "geometry", *map(str, args)],
        capture_output=True, text=True, timeout=120, cwd=ROOT, env=env,
    )
    return proc.returncode, proc.stdout, proc.stderr


def test_json_shape(tmp_path):
    path = write_stl(tmp_path / "box.stl", box((10, 20, 30)))
    code, out, err = run_cli("analyze", "--json", path)
    assert code == 0, err
    data = json.loads(out)
    assert data["format"] == "stl"
    assert data["triangles"] == 12 and data["bodies"] == 1
    assert data["volume_mm3"] == pytest.approx(6000)
    assert data["area_mm2"] == pytest.approx(2200)
    assert data["bbox_mm"] == pytest.approx([10, 20, 30])
    assert data["watertight"] is True
    assert isinstance(data["findings"], list)


@pytest.mark.slow
def test_findings_shape_and_text_output(tmp_path):
    path = write_stl(tmp_path / "open.stl", np.concatenate([box()[:-1], box(at=(50, 0, 0))]))
    code, out, _ = run_cli("analyze", "--json", path)
    assert code == 0
    findings = json.loads(out)["findings"]
    assert {"not_watertight", "multiple_bodies"} <= {f["code"] for f in findings}
    for f in findings:
        assert {"code", "severity", "message"} <= set(f)
        assert f["severity"] in ("info", "warning", "blocking") and f["message"]
    code, out, _ = run_cli("analyze", path)
    assert code == 0 and "not_watertight" in out and "Traceback" not in out


def _write(path, data):
    path.write_bytes(data)
    return path


def _with(value, index):
    tri = box().astype(np.float32)
    tri[index] = value
    return tri


BUILDERS = {
    "empty": lambda d: _write(d / "empty.stl", b""),
    "lying_count": lambda d: _write(
        d / "lying.stl", b"solid x" + b" " * 73 + struct.pack("<I", 10_000_000)
    ),
    "nan": lambda d: write_stl(d / "nan.stl", _with(np.nan, (2, 1, 0))),
    "far": lambda d: write_stl(d / "far.stl", _with(1e7, (5, 2, 1))),
    "random": lambda d: _write(d / "random.stl", np.random.default_rng(3).bytes(10_000)),
    "truncated": lambda d: _write(
        d / "truncated.stl", write_stl(d / "whole.stl", sphere(2)).read_bytes()[:-77]
    ),
    "ascii_garbage": lambda d: _write(
        d / "garbage.stl", b"solid x\n facet normal 0 0 0\n outer loop\n%%%$$$\n"
    ),
    "degenerate": lambda d: write_stl(d / "degenerate.stl", np.ones((20, 3, 3))),
    "zip_bomb": lambda d: write_zip_bomb(d / "bomb.3mf"),
    "many_members": lambda d: write_many_members(d / "many.3mf"),
    "bad_obj": lambda d: _write(d / "bad.obj", b"v 0 0 0\nv 1 0 0\nf 1 2 9\n"),
    "directory": lambda d: d,
}


def hostile_files(tmp_path):
    return {name: build(tmp_path) for name, build in BUILDERS.items()}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_hostile_files_exit_2_with_json_error(tmp_path, name):
    path = BUILDERS[name](tmp_path)
    code, out, err = run_cli("analyze", "--json", path)
    assert code == 2, (out, err)
    assert "Traceback" not in err
    error = json.loads(out)["error"]
    assert error["code"] and error["code"] != "internal", error
    assert len(error["message"]) > 20


def test_hostile_codes(tmp_path):
    files = hostile_files(tmp_path)
    expected = {
        "empty": "empty_model", "nan": "invalid_coordinates", "far": "coordinates_out_of_range",
        "zip_bomb": "zip_bomb", "many_members": "zip_too_many_members",
        "degenerate": "degenerate_model", "lying_count": "invalid_stl",
        "ascii_garbage": "invalid_stl",
    }
    for name, code in expected.items():
        with pytest.raises(GeometryError) as err:
            analyze_file(files[name], process_limits=[])
        assert err.value.code == code, name
    with pytest.raises(GeometryError) as err:
        analyze_file(files["lying_count"], process_limits=[])
    assert err.value.message.startswith("The STL file is damaged")


def test_3mf_units_are_converted(tmp_path):
    tri = box((1.0, 2.0, 0.5))
    inches = analyze_file(write_3mf(tmp_path / "in.3mf", tri, unit="inch"), process_limits=[])
    assert inches.format == "3mf"
    assert inches.bbox_mm == pytest.approx((25.4, 50.8, 12.7))
    assert inches.volume_mm3 == pytest.approx(1.0 * 25.4**3, rel=1e-9)
    mm = analyze_file(write_3mf(tmp_path / "mm.3mf", tri * 10), process_limits=[])
    assert mm.bbox_mm == pytest.approx((10.0, 20.0, 5.0))


def test_obj_and_ascii_agree_with_binary(tmp_path):
    tri = sphere(3, 12.0)
    results = [
        analyze_file(write_stl(tmp_path / "b.stl", tri), process_limits=[]),
        analyze_file(write_stl(tmp_path / "a.stl", tri, ascii=True), process_limits=[]),
        analyze_file(write_obj(tmp_path / "o.obj", tri), process_limits=[]),
        analyze_file(write_3mf(tmp_path / "m.3mf", tri), process_limits=[]),
    ]
    assert [r.format for r in results] == ["stl", "stl", "obj", "3mf"]
    for r in results:
        assert r.volume_mm3 == pytest.approx(results[0].volume_mm3, rel=1e-6)
        assert r.watertight and r.bodies == 1


def test_process_limits_argument(tmp_path):
    path = write_stl(tmp_path / "big.stl", box((400, 100, 100)))
    limits = [ProcessLimits("tiny", (100.0, 100.0, 100.0), 0.5)]
    analysis = analyze_file(path, process_limits=limits)
    (finding,) = [f for f in analysis.findings if f.code == "exceeds_envelope"]
    assert finding.process == "tiny" and finding.severity == "blocking"
    assert "400" in describe(analysis)


def test_default_limits_are_used(tmp_path):
    path = write_stl(tmp_path / "huge.stl", box((2000, 100, 100)))
    analysis = analyze_file(path)
    blocked = {f.process for f in analysis.findings if f.code == "exceeds_envelope"}
    assert "fdm" in blocked or not blocked  # the default card decides; the call must work


def test_load_mesh(tmp_path):
    mesh = load_mesh(write_stl(tmp_path / "b.stl", box((10, 20, 30))))
    assert mesh.vertices.shape == (8, 3) and mesh.faces.shape == (12, 3)
    np.testing.assert_allclose(np.ptp(mesh.vertices, axis=0), (10, 20, 30))
    with pytest.raises(GeometryError):
        load_mesh(BUILDERS["nan"](tmp_path))


def test_obj_polygons_negative_indices_and_texture_refs(tmp_path):
    path = tmp_path / "quad.obj"
    path.write_text(
        "o cube\nv 0 0 0\nv 10 0 0\nv 10 10 0\nv 0 10 0\nv 0 0 10\nv 10 0 10\nv 10 10 10\n"
        "v 0 10 10\nvt 0 0\nvn 0 0 1\n"
        "f 4/1/1 3/1/1 2/1/1 1/1/1\nf 5 6 7 8\nf 1 2 6 5\nf 2 3 7 6\nf 3 4 8 7\n"
        "f -4 -1 -5 -8\n"
    )
    analysis = analyze_file(path, process_limits=[])
    assert analysis.triangles == 12 and analysis.watertight
    assert analysis.volume_mm3 == pytest.approx(1000)


def test_3mf_components_and_build_transforms(tmp_path):
    import zipfile

    from models import RELS, model_xml

    xml = model_xml(box((10, 10, 10))).decode()
    xml = xml.replace(
        "</resources>",
        '<object id="2" type="model"><components><component objectid="1"/>'
        '<component objectid="1" transform="1 0 0 0 1 0 0 0 1 100 0 0"/></components>'
        "</object></resources>",
    )
    xml = xml.replace(
        '<build><item objectid="1"/></build>',
        '<build><item objectid="2" transform="1 0 0 0 1 0 0 0 1 0 0 5"/></build>',
    )
    path = tmp_path / "parts.3mf"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("_rels/.rels", RELS)
        archive.writestr("3D/3dmodel.model", xml)
    analysis = analyze_file(path, process_limits=[])
    assert analysis.bodies == 2 and analysis.volume_mm3 == pytest.approx(2000)
    assert analysis.bbox_mm == pytest.approx((110, 10, 10))


def test_3mf_with_doctype_is_refused(tmp_path):
    import zipfile

    from models import RELS, model_xml

    xml = b'<!DOCTYPE m [<!ENTITY a "aaaa">]>' + model_xml(box())
    path = tmp_path / "entity.3mf"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("_rels/.rels", RELS)
        archive.writestr("3D/3dmodel.model", xml)
    with pytest.raises(GeometryError) as err:
        analyze_file(path, process_limits=[])
    assert err.value.code == "invalid_3mf"
