"""Machining features on hand-made cadquery parts with known answers.

The STEP files are written at test time and measured in this process with the function the
sandbox child runs (`measure_step`), so the B-rep path and its hook are what is tested.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal

import numpy as np
import pytest

cq = pytest.importorskip("cadquery")

from geometry.analyze import analyze_triangles  # noqa: E402
from geometry.machining import FEATURES, end_mill_for, standard_drill  # noqa: E402
from geometry.model import GeometryError  # noqa: E402
from geometry.pricing import Part, QuoteOptions, default_rate_card, default_rate_card_text, price  # noqa: E402
from geometry.pricing.ratecard import load_rate_card  # noqa: E402
from geometry.step import measure_step, step_analysis  # noqa: E402

CARD = default_rate_card()
MILLING = QuoteOptions("cnc_milling", "al_6061")


def _box(x, y, z):
    return cq.Workplane("XY").box(x, y, z, centered=(True, True, False))


def plate():
    """A 100 × 60 × 10 plate with three blind Ø6.8 holes from the top."""
    return _box(100, 60, 10).faces(">Z").workplane().pushPoints([(-30, 0), (30, 0), (0, 20)]).hole(6.8, 6)


def plate_with_back_pocket():
    return plate().faces("<Z").workplane().rect(40, 20).cutBlind(-4)


def t_slot():
    """A stopped T-slot: a narrow slot from the top opening into a wider one below it."""
    neck = _box(50, 8, 12).translate((0, 0, 18))
    head = _box(50, 20, 8).translate((0, 0, 10))
    return _box(80, 40, 30).cut(neck).cut(head)


def pocket(radius):
    """A 20 × 20 pocket 20 mm deep whose vertical corners have `radius`."""
    cavity = _box(20, 20, 20).edges("|Z").fillet(radius).translate((0, 0, 10.001))
    return _box(60, 60, 30).cut(cavity)


def holes():
    part = _box(80, 40, 40)
    part = part.faces(">Z").workplane().pushPoints([(-25, 0)]).hole(6.8)  # through, standard
    part = part.faces(">Z").workplane().pushPoints([(0, 0)]).hole(7.3, 15)  # blind, not standard
    return part.faces(">Z").workplane().pushPoints([(25, 0)]).hole(3, 30)  # 10 × D deep


def l_bracket():
    """An angle bracket with filleted edges: plain from above and below in its own frame, though
    in the frame its box suggests the fillets hide from every side."""
    return (
        _box(80, 40, 6)
        .faces(">Z").workplane().pushPoints([(-28, 0), (28, 0)]).hole(6.5)
        .faces("<Y").workplane(centerOption="CenterOfBoundBox").transformed(offset=(0, 17, 0))
        .rect(80, 40).extrude(-6)
        .edges("|X").fillet(1.0)
    )


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    root = tmp_path_factory.mktemp("machining")
    out = {}
    for name, build in {
        "plate": plate,
        "plate_with_back_pocket": plate_with_back_pocket,
        "t_slot": t_slot,
        "pocket_r1": lambda: pocket(1.0),
        "pocket_r5": lambda: pocket(5.0),
        "holes": holes,
        "l_bracket": l_bracket,
    }.items():
        path = root / f"{name}.step"
        cq.exporters.export(build(), str(path))
        out[name] = measure_step(str(path), with_mesh=True)
    return out


def test_a_plate_drilled_from_one_side_is_one_setup(measured):
    m = measured["plate"].machining
    assert m["setups"] == 1 and m["directions"] == ["+Z"]
    assert m["undercut_faces"] == 0


def test_a_pocket_on_the_back_makes_two_setups(measured):
    m = measured["plate_with_back_pocket"].machining
    assert m["setups"] == 2 and sorted(m["directions"]) == ["+Z", "-Z"]


def test_the_frame_that_reaches_every_face_wins_over_fewer_setups(measured):
    figures = measured["l_bracket"].machining
    assert figures["undercut_faces"] == 0 and figures["setups"] == 2


def test_a_t_slot_is_an_undercut_and_gets_no_3_axis_price(measured):
    measures = measured["t_slot"]
    assert measures.machining["undercut_faces"] >= 4  # two ceilings, two side walls at least
    analysis = step_analysis(measures)
    undercut = next(f for f in analysis.findings if f.code == "undercut")
    assert undercut.params["triangles"]  # the faces behind it, as triangle ranges
    with pytest.raises(GeometryError) as info:
        price(analysis, CARD, MILLING)
    assert info.value.code == "undercut"
    assert price(analysis, CARD, QuoteOptions("fdm", "pla")).total > 0  # other processes price it


def test_the_feature_map_marks_the_undercut_triangles(tmp_path):
    path = tmp_path / "t.step"
    cq.exporters.export(t_slot(), str(path))
    from geometry.machining import machining_of_shape
    from geometry.step import _measure_shape, _read_shape, _triangulation_arrays

    shape = _read_shape(str(path))
    _measure_shape(shape)  # meshes the shape
    vertices, faces = _triangulation_arrays(shape)
    features = machining_of_shape(shape, vertices, faces)
    labels = features.feature_map
    assert len(labels) == len(faces)
    marked = labels == FEATURES.index("undercut")
    assert marked.any() and not marked.all()
    # every marked triangle lies on the slot's faces (|x| <= 25, |y| <= 10, z >= 10), and the
    # wide slot's ceilings (z = 18, facing down) are among them
    centres = vertices[faces[marked]].mean(axis=1)
    assert np.all(np.abs(centres[:, 0]) <= 25 + 1e-6) and np.all(np.abs(centres[:, 1]) <= 10 + 1e-6)
    assert np.all(centres[:, 2] >= 10 - 1e-6)
    assert np.any(np.isclose(centres[:, 2], 18.0) & (np.abs(centres[:, 1]) > 4))


def test_a_small_radius_deep_pocket_is_a_finding(measured):
    m = measured["pocket_r1"].machining
    assert m["min_inside_radius_mm"] == pytest.approx(1.0)
    assert m["deep_pockets"] and m["deep_pockets"][0]["tool_mm"] == 2.0
    assert m["deep_pockets"][0]["depth_mm"] == pytest.approx(20.0, abs=0.01)
    codes = [f.code for f in step_analysis(measured["pocket_r1"]).findings]
    assert "deep_pocket" in codes


def test_a_wide_radius_pocket_of_the_same_depth_is_not_deep(measured):
    m = measured["pocket_r5"].machining
    assert m["min_inside_radius_mm"] == pytest.approx(5.0)
    assert m["deep_pockets"] == []  # a 10 mm end mill reaches 40 mm


def test_holes_diameter_depth_through_and_standard(measured):
    found = sorted(measured["holes"].machining["holes"], key=lambda h: h["diameter_mm"])
    small, through, blind = found
    assert small["diameter_mm"] == pytest.approx(3.0) and small["depth_mm"] == pytest.approx(30.0)
    assert small["standard"] and not small["through"]
    assert through["diameter_mm"] == pytest.approx(6.8) and through["through"] and through["standard"]
    assert through["depth_mm"] == pytest.approx(40.0)
    assert blind["diameter_mm"] == pytest.approx(7.3) and not blind["through"] and not blind["standard"]
    codes = {f.code: f for f in step_analysis(measured["holes"]).findings}
    assert codes["deep_hole"].params["count"] == 1
    assert codes["nonstandard_hole"].params["count"] == 1


def test_drill_and_end_mill_sizes():
    assert standard_drill(6.8) and standard_drill(8.5) and standard_drill(10.0)
    assert not standard_drill(7.3) and not standard_drill(6.9)
    assert end_mill_for(1.5) == 3.0 and end_mill_for(1.0) == 2.0 and end_mill_for(2.2) == 4.0


def test_a_mesh_gets_setups_and_undercuts_but_no_radii(tmp_path):
    import trimesh

    path = tmp_path / "t.stl"
    cq.exporters.export(t_slot(), str(path))
    analysis = analyze_triangles(trimesh.load(str(path)).triangles, "stl", [])
    m = analysis.machining
    assert m["setups"] == 1 and m["undercut_faces"] > 0
    assert m["holes"] is None and m["min_inside_radius_mm"] is None and m["deep_pockets"] is None
    assert any(f.code == "undercut" for f in analysis.findings)


def test_the_price_names_setups_radius_and_holes(measured):
    one = Part.of(step_analysis(measured["plate"]))
    two = Part.of(step_analysis(measured["plate_with_back_pocket"]))
    q1, q2 = price(one, CARD, MILLING), price(two, CARD, MILLING)
    labels = {d.code: d.label for d in q2.drivers}
    assert labels["setups"].startswith("2 setups")
    assert q2.line("setup") > q1.line("setup")  # the second setup is charged once per order
    pocket = price(Part.of(step_analysis(measured["pocket_r1"])), CARD, MILLING)
    labels = {d.code: d.label for d in pocket.drivers}
    assert labels["inside_radius"] == "Smallest inside radius 1 mm → 2 mm end mill"
    assert "deep_pockets" in labels
    drilled = price(Part.of(step_analysis(measured["holes"])), CARD, MILLING)
    labels = {d.code: d.label for d in drilled.drivers}
    assert labels["holes"] == "3 holes, 1 deeper than 6×D, 1 not a standard drill size"


def test_deep_and_odd_holes_cost_more_than_plain_ones(measured):
    part = Part.of(step_analysis(measured["holes"]))
    plain = dict(part.machining)
    plain["holes"] = [dict(h, standard=True, depth_mm=min(h["depth_mm"], 5 * h["diameter_mm"])) for h in plain["holes"]]
    cheaper = Part(**{**part.__dict__, "machining": plain})
    assert price(part, CARD, MILLING).line("machine_time") > price(cheaper, CARD, MILLING).line("machine_time")


def test_an_older_rate_card_without_the_new_keys_still_loads():
    data = tomllib.loads(default_rate_card_text())
    milling = data["processes"]["cnc_milling"]
    for key in list(milling):
        if key.startswith(("stock_side", "stock_top", "plate_", "skin_", "pocket_", "wall_", "freeform_",
                           "setup_hours_per", "setup_minutes", "deep_", "nonstandard_", "roughing_tool", "rest_minutes",
                           "undercut_")):
            del milling[key]
    card = load_rate_card(data)
    rates = card.process("cnc_milling").cnc
    assert rates.stock_side_allowance_mm == Decimal(2) and rates.plate_thicknesses_mm == ()
    assert rates.pocket_rate_cm3_min == rates.removal_rate_cm3_min
    assert price(Part(100_000.0, 25_000.0, (100.0, 60.0, 30.0)), card, MILLING).total > 0


def test_sharp_pocket_corners_are_found_but_floor_edges_are_not(measured):
    # the back pocket's four vertical corners are sharp; its floor edges and the holes are fine
    assert measured["plate_with_back_pocket"].machining["sharp_inside_corners"] == 4
    assert measured["plate"].machining["sharp_inside_corners"] == 0
    assert measured["pocket_r1"].machining["sharp_inside_corners"] == 0  # its corners are rounded
    codes = {f.code: f for f in step_analysis(measured["plate_with_back_pocket"]).findings}
    assert codes["sharp_inside_corner"].params["count"] == 4


def test_a_bar_standing_up_with_side_holes_is_laid_flat(tmp_path):
    # 20 × 20 × 100 mm standing on end, three holes through it from the side: one setup, from
    # the side, so the plate it is cut from is 22 mm thick rather than 100
    bar = _box(20, 20, 100).faces(">X").workplane().pushPoints([(0, 20), (0, 50), (0, 80)]).hole(5)
    path = tmp_path / "bar.step"
    cq.exporters.export(bar, str(path))
    analysis = step_analysis(measure_step(str(path)))
    m = analysis.machining
    assert m["setups"] == 1 and m["extents_mm"][2] == pytest.approx(20.0)
    stock = next(d for d in price(analysis, CARD, MILLING).drivers if d.code == "stock")
    assert stock.label.startswith("Plate 22 mm")


def test_the_feature_map_crosses_with_the_tessellation_and_colours_a_glb(measured, tmp_path):
    import trimesh

    from geometry.machining import FEATURE_COLOURS, write_feature_glb
    from geometry.model import Mesh

    measures = measured["pocket_r1"]
    labels = measures.feature_map
    assert labels is not None and len(labels) == len(measures.mesh_faces)
    assert (labels == FEATURES.index("deep_pocket")).any()
    path = tmp_path / "features.glb"
    write_feature_glb(Mesh(measures.mesh_vertices, measures.mesh_faces), labels, path, 200_000)
    scene = trimesh.load(str(path))
    colours = np.concatenate([g.visual.vertex_colors[:, :3] for g in scene.geometry.values()])
    assert (colours == FEATURE_COLOURS["deep_pocket"]).all(axis=1).any()
    assert (colours == FEATURE_COLOURS["none"]).all(axis=1).any()
