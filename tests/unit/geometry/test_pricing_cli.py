"""`python -m geometry quote` and `catalog`, as a person or a script runs them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import types
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from geometry.cli import main
from geometry.model import Analysis, Finding

ROOT = Path(__file__).resolve().parents[3]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "geometry", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def write_box_stl(path: Path, size=(40.0, 30.0, 20.0)) -> Path:
    """A closed box as a binary STL, outward normals, written with numpy."""
    x, y, z = size
    v = np.array(
        [[0, 0, 0], [x, 0, 0], [x, y, 0], [0, y, 0], [0, 0, z], [x, 0, z], [x, y, z], [0, y, z]],
        dtype=np.float64,
    )
    faces = [
        (0, 2, 1), (0, 3, 2),  # bottom, facing -z
        (4, 5, 6), (4, 6, 7),  # top, facing +z
        (0, 1, 5), (0, 5, 4),  # front, facing -y
        (2, 3, 7), (2, 7, 6),  # back, facing +y
        (1, 2, 6), (1, 6, 5),  # right, facing +x
        (0, 4, 7), (0, 7, 3),  # left, facing -x
    ]  # fmt: skip
    triangles = v[np.array(faces)]
    normals = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
    normals /= np.linalg.norm(normals, axis=1)[:, None]
    record = np.dtype([("normal", "<f4", 3), ("vertices", "<f4", (3, 3)), ("attr", "<u2")])
    data = np.zeros(len(faces), dtype=record)
    data["normal"] = normals
    data["vertices"] = triangles
    with path.open("wb") as f:
        f.write(b"box made by the pricing tests".ljust(80, b" "))
        f.write(np.uint32(len(faces)).tobytes())
        f.write(data.tobytes())
    return path


def test_catalog_json_shape():
    result = run("catalog", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {
        "name",
        "version",
        "currency",
        "vat_rate",
        "minimum_order",
        "processes",
        "finishes",
        "tolerances",
        "lead_times",
        "quantity_breaks",
    } <= set(data)
    assert [p["id"] for p in data["processes"]] == [
        "cnc_milling",
        "cnc_turning",
        "fdm",
        "sla",
        "sls",
    ]
    for process in data["processes"]:
        assert process["materials"] and process["tolerances"]
        for material in process["materials"]:
            assert {"id", "name", "class", "density_g_cm3", "price_per_kg"} <= set(material)
            Decimal(material["price_per_kg"])
    assert [t["id"] for t in data["lead_times"]] == ["economy", "standard", "express"]


def test_catalog_text():
    result = run("catalog")
    assert result.returncode == 0, result.stderr
    assert "cnc_milling" in result.stdout and "al_6061" in result.stdout


def test_quote_unknown_material_is_exit_2_with_the_choices():
    result = run("quote", "missing.stl", "--process", "fdm", "--material", "gold", "--json")
    assert result.returncode == 2
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "unknown_material"
    assert "pla" in error["message"] and "petg" in error["message"]
    assert "Traceback" not in result.stderr


def test_quote_unknown_process_is_exit_2():
    result = run("quote", "x.stl", "--process", "waterjet", "--material", "pla", "--json")
    assert result.returncode == 2
    assert json.loads(result.stdout)["error"]["code"] == "unknown_process"


def test_quote_an_stl_end_to_end(tmp_path):
    """The real path: read the STL, measure it, price it. Needs geometry.analyze."""
    stl = write_box_stl(tmp_path / "box.stl")
    result = run(
        "quote", str(stl), "--process", "cnc_milling", "--material", "al_6061",
        "--quantity", "10", "--finish", "anodize_black", "--tolerance", "iso2768_f",
        "--lead-time", "economy", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert data["quantity"] == 10 and data["currency"] == "RUB"
    lines = {line["code"]: Decimal(line["amount"]) for line in data["lines"]}
    assert lines["total"] == lines["subtotal"] + lines["vat"] > 0
    assert lines["finish"] > 0 and lines["tolerance"] > 0 and lines["lead_time"] < 0
    stock = next(d for d in data["drivers"] if d["code"] == "stock")
    assert "Plate 22 mm, sawn 44 × 34 mm" in stock["label"]  # 40 × 30 × 20: 2 mm sides, 1 mm top
    assert [row["quantity"] for row in data["price_table"]][:3] == [1, 5, 10]
    assert data["rate_card_version"]


def test_quote_text(tmp_path):
    stl = write_box_stl(tmp_path / "box.stl")
    result = run("quote", str(stl), "--process", "fdm", "--material", "pla")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Total" in result.stdout and "RUB" in result.stdout


def _print_drivers(data: dict) -> dict:
    wanted = ("print_time", "material_mass")
    return {d["code"]: (d["value"], d["source"]) for d in data["drivers"] if d["code"] in wanted}


@pytest.mark.skipif(shutil.which("prusa-slicer") is None, reason="prusa-slicer is not installed")
def test_fdm_quote_prices_from_the_slicer(tmp_path):
    stl = write_box_stl(tmp_path / "box.stl")
    args = ("quote", str(stl), "--process", "fdm", "--material", "pla", "--infill", "20", "--layer", "0.2", "--json")
    sliced = json.loads(run(*args).stdout)
    drivers = _print_drivers(sliced)
    assert drivers["print_time"][1] == drivers["material_mass"][1] == "slicer"
    assert 0 < float(drivers["material_mass"][0]) < 24 * 1.24  # the solid box is 24 cm³
    assert "slice_error" not in sliced
    denser = _print_drivers(json.loads(run(*args[:6], "--infill", "40", "--layer", "0.2", "--json").stdout))
    assert float(denser["material_mass"][0]) > float(drivers["material_mass"][0])
    assert float(denser["print_time"][0]) > float(drivers["print_time"][0])


def test_fdm_quote_without_the_slicer_is_an_estimate_and_says_so(tmp_path):
    stl = write_box_stl(tmp_path / "box.stl")
    missing = str(tmp_path / "none")
    result = run("quote", str(stl), "--process", "fdm", "--material", "pla", "--slicer", missing, "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert {source for _, source in _print_drivers(data).values()} == {"estimate"}
    assert data["slice_error"]["code"] == "slicer_missing"
    text = run("quote", str(stl), "--process", "fdm", "--material", "pla", "--slicer", missing).stdout
    assert "Print time and material are estimated" in text and "(estimate)" in text


# In-process, with the measuring replaced: what the command does with an analysis.


def fake_analyze(monkeypatch, analysis: Analysis) -> None:
    module = types.ModuleType("geometry.analyze")
    module.analyze_file = lambda path: analysis
    monkeypatch.setitem(sys.modules, "geometry.analyze", module)


def box_analysis(findings=()) -> Analysis:
    return Analysis(
        format="stl", triangles=12, bodies=1, volume_mm3=24_000.0, area_mm2=5_200.0,
        bbox_mm=(40.0, 30.0, 20.0), obb_mm=(40.0, 30.0, 20.0), watertight=True,
        findings=list(findings),
    )  # fmt: skip


def test_run_quote_prices_the_analysis(monkeypatch, capsys):
    fake_analyze(monkeypatch, box_analysis())
    code = main(
        ["quote", "box.stl", "--process", "sls", "--material", "pa12", "--quantity", "3", "--json"]
    )
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["process"] == "sls" and data["quantity"] == 3
    assert data["tolerance"] == "iso2768_m" and data["lead_time"] == "standard"


ENVELOPE = {"size": "400 × 30 × 20", "envelope": "145 × 145 × 175"}


def test_blocking_finding_refuses_the_quote_under_its_own_code(monkeypatch, capsys):
    finding = Finding.of("exceeds_envelope", "sla", **ENVELOPE)
    fake_analyze(monkeypatch, box_analysis([finding]))
    code = main(["quote", "box.stl", "--process", "sla", "--material", "tough", "--json"])
    assert code == 2
    error = json.loads(capsys.readouterr().out)["error"]
    assert error["code"] == "exceeds_envelope" and error["message"] == finding.message
    assert error["params"] == {**ENVELOPE, "process": "sla"}


@pytest.mark.parametrize("process,material", [("fdm", "pla"), ("cnc_turning", "brass_l63")])
def test_finding_for_another_process_does_not_block(monkeypatch, capsys, process, material):
    finding = Finding.of("exceeds_envelope", "sla", **ENVELOPE)
    fake_analyze(monkeypatch, box_analysis([finding]))
    assert main(["quote", "box.stl", "--process", process, "--material", material]) == 0
    assert "Total" in capsys.readouterr().out
