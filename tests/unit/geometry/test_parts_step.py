"""The parts of a STEP file: its product structure (names, instance counts), loose solids
grouped by shape, one part written as STEP, and damaged structures, all through the sandbox."""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path

import pytest

cq = pytest.importorskip("cadquery")

from geometry.extract import extract_part  # noqa: E402
from geometry.sandbox import Sandbox  # noqa: E402
from geometry.step import analyze_step  # noqa: E402


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(wall_seconds=60) as sb:
        yield sb


def write_rig(path: Path) -> Path:
    """A plate, two brackets and four identical bolts, as a STEP assembly."""
    plate = cq.Workplane("XY").box(100, 60, 5)
    bracket = cq.Workplane("XY").box(20, 5, 20).faces(">Y").workplane().hole(5)
    bolt = cq.Workplane("XY").circle(2.5).extrude(16).faces(">Z").workplane().polygon(6, 9).extrude(3)
    rig = cq.Assembly(name="rig")
    rig.add(plate, name="plate")
    rig.add(bracket, name="bracket", loc=cq.Location((-30, 0, 12.5)))
    rig.add(bracket, name="bracket_right", loc=cq.Location((30, 0, 12.5), (0, 0, 1), 180))
    for k, (x, y) in enumerate([(-40, -20), (40, -20), (-40, 20), (40, 20)]):
        rig.add(bolt, name=f"bolt{k}", loc=cq.Location((x, y, -8)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        rig.save(str(path))
    return path


@pytest.fixture(scope="module")
def rig(tmp_path_factory) -> Path:
    return write_rig(tmp_path_factory.mktemp("rig") / "rig.step")


def test_an_assembly_is_three_parts_with_counts(rig, sandbox):
    analysis = analyze_step(rig, sandbox)
    assert analysis.bodies == 7
    assert [(p["name"], p["count"]) for p in analysis.parts] == [("plate", 1), ("bracket", 2), ("bolt0", 4)]
    plate = analysis.parts[0]
    assert plate["volume_mm3"] == pytest.approx(30000) and plate["bbox_mm"] == pytest.approx([100, 60, 5])
    assert analysis.units == {"declared": "mm", "suggested": "mm", "sizes": analysis.units["sizes"]}


def test_loose_solids_without_structure_are_grouped_by_shape(tmp_path, sandbox):
    cube = cq.Workplane("XY").box(10, 10, 10).val()
    solids = [cube.moved(cq.Location((30 * k, 0, 0), (1, 1, 0), 37 * k)) for k in range(3)]
    solids.append(cq.Workplane("XY").cylinder(12, 4).val().moved(cq.Location((0, 50, 0))))
    path = tmp_path / "loose.step"
    cq.exporters.export(cq.Workplane("XY").newObject([cq.Compound.makeCompound(solids)]), str(path))
    analysis = analyze_step(path, sandbox)
    assert analysis.bodies == 4
    assert [p["count"] for p in analysis.parts] == [3, 1]
    assert analysis.parts[0]["volume_mm3"] == pytest.approx(1000)


def test_products_of_the_same_shape_are_one_part(tmp_path, sandbox):
    # a bearing exported with each ball as a product of its own
    ball = cq.Workplane("XY").sphere(2.0)
    ring = cq.Workplane("XY").circle(20).circle(15).extrude(6)
    bearing = cq.Assembly(name="bearing")
    bearing.add(ring, name="ring")
    for k in range(8):
        angle = 2 * 3.141592653589793 * k / 8
        copy = cq.Workplane("XY").sphere(2.0) if k else ball  # a new product each time
        bearing.add(copy, name=f"ball_{k:02d}", loc=cq.Location((17.5 * math.cos(angle), 17.5 * math.sin(angle), 3)))
    path = tmp_path / "bearing.step"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        bearing.save(str(path))
    analysis = analyze_step(path, sandbox)
    assert [(p["name"], p["count"]) for p in analysis.parts] == [("ring", 1), ("ball_00", 8)]


def test_a_single_part_is_named_after_its_product(tmp_path, sandbox):
    path = tmp_path / "one.step"
    cq.exporters.export(cq.Workplane("XY").box(10, 20, 30), str(path))
    (part,) = analyze_step(path, sandbox).parts
    assert part["count"] == 1 and part["volume_mm3"] == pytest.approx(6000)
    assert part["bbox_mm"] == pytest.approx([10, 20, 30])


def test_one_part_is_written_as_step_and_measures_the_same(rig, tmp_path, sandbox):
    kind, data = extract_part(rig, 2, sandbox=sandbox)
    assert kind == "step" and data.startswith(b"ISO-10303-21")
    path = tmp_path / "bolt.step"
    path.write_bytes(data)
    bolt = analyze_step(path, sandbox)
    assert bolt.bodies == 1
    assert bolt.volume_mm3 == pytest.approx(analyze_step(rig, sandbox).parts[2]["volume_mm3"], rel=1e-9)


def test_a_part_number_beyond_the_parts_is_a_clear_error(rig, sandbox):
    from geometry.model import GeometryError

    with pytest.raises(GeometryError) as error:
        extract_part(rig, 3, sandbox=sandbox)
    assert error.value.code == "bad_part_index"


def test_empty_product_names_are_numbered(rig, tmp_path, sandbox):
    text = rig.read_text()
    text = re.sub(r"PRODUCT\('bolt0','bolt0'", "PRODUCT('',''", text)
    text = re.sub(r"PRODUCT\('plate','plate'", "PRODUCT('  ',''", text)
    path = tmp_path / "unnamed.step"
    path.write_text(text)
    analysis = analyze_step(path, sandbox)
    assert [p["name"] for p in analysis.parts] == [None, "bracket", None]
    (unnamed,) = [f for f in analysis.findings if f.code == "assembly_unnamed_parts"]
    assert unnamed.params == {"count": 2}


NAUO = "NEXT_ASSEMBLY_USAGE_OCCURRENCE"


@pytest.mark.parametrize(
    ("pattern", "replacement"),
    [
        # an instance placed under its own part: a cycle in the structure
        # (the occurrence's own id depends on what cadquery exported before in the same process)
        (NAUO + r"\('(\w+)','bolt0','',(#\d+),(#\d+),", NAUO + r"('\1','bolt0','',\3,\2,"),
        # an instance of a product definition that is not in the file
        (NAUO + r"\('(\w+)','bolt1','',(#\d+),(#\d+),", NAUO + r"('\1','bolt1','',\2,#999999,"),
    ],
)
def test_damaged_structures_end_cleanly(rig, tmp_path, sandbox, pattern, replacement):
    from geometry.model import GeometryError

    text, changed = re.subn(pattern, replacement, rig.read_text())
    assert changed == 1
    path = tmp_path / "damaged.step"
    path.write_text(text)
    try:
        analysis = analyze_step(path, sandbox)
    except GeometryError as error:  # a clear error is as good as a reading
        assert error.code in ("invalid_step", "empty_model", "unreadable")
    else:
        assert analysis.parts and all(p["count"] >= 1 for p in analysis.parts)


def test_a_pin_in_its_hole_is_not_a_thin_wall(tmp_path):
    """The pin's and the hole's tessellations cross by a hair where they touch: no wall there,
    neither in the findings nor in the thickness map."""
    from geometry.model import ProcessLimits
    from geometry.pipeline import run_in_child

    plate = cq.Workplane("XY").box(30, 30, 5).faces(">Z").workplane().hole(6)
    pin = cq.Workplane("XY").circle(3).extrude(5).translate((0, 0, -2.5))
    pinned = cq.Assembly(name="pinned")
    pinned.add(plate, name="plate")
    pinned.add(pin, name="pin", loc=cq.Location((0, 0, 0), (0, 0, 1), 7))
    path = tmp_path / "pinned.step"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        pinned.save(str(path))
    limits = [ProcessLimits("cnc_milling", (500.0, 500.0, 500.0), 1.0)]
    report = run_in_child(str(path), str(tmp_path), limits=limits, png=False, glb=False)
    assert [f for f in report.analysis.findings if f.code.startswith("thin_wall")] == []
    assert report.thickness["thinnest_mm"] is None  # every wall is thicker than twice 1 mm
