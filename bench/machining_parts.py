"""Milled test parts with known features, built with cadquery (for the machining benches)."""

from __future__ import annotations


def _box(x, y, z):
    import cadquery as cq

    return cq.Workplane("XY").box(x, y, z, centered=(True, True, False))


def plate():
    """100 × 60 × 10 plate, three blind Ø6.8 holes from the top: one setup."""
    return _box(100, 60, 10).faces(">Z").workplane().pushPoints([(-30, 0), (30, 0), (0, 20)]).hole(6.8, 6)


def plate_with_back_pocket():
    """The plate with a 40 × 20 × 4 pocket from below: two setups."""
    return plate().faces("<Z").workplane().rect(40, 20).cutBlind(-4)


def pocket(radius: float):
    """A 60 × 60 × 30 block with a 20 × 20 pocket 20 deep, vertical corners of `radius`."""
    cavity = _box(20, 20, 20).edges("|Z").fillet(radius).translate((0, 0, 10.001))
    return _box(60, 60, 30).cut(cavity)


def holes():
    """80 × 40 × 40 block: a through Ø6.8, a blind Ø7.3 × 15, a Ø3 × 30."""
    part = _box(80, 40, 40)
    part = part.faces(">Z").workplane().pushPoints([(-25, 0)]).hole(6.8)
    part = part.faces(">Z").workplane().pushPoints([(0, 0)]).hole(7.3, 15)
    return part.faces(">Z").workplane().pushPoints([(25, 0)]).hole(3, 30)


def bracket():
    """An L bracket: 80 × 50 base 10 thick, a 60 high upright, two slots and holes."""
    base = _box(80, 50, 10)
    upright = _box(80, 10, 60).translate((0, 20, 0))
    part = base.union(upright)
    part = part.faces("<Z").workplane().pushPoints([(-25, 0), (25, 0)]).hole(8.5)
    return part.cut(_box(40, 10, 20).translate((0, 20, 30)))


def tall_block():
    """A 30 × 30 × 120 bar with a 10-deep pocket along one long side: best laid flat."""
    cavity = _box(20, 20, 100).edges("|Z").fillet(4).translate((0, 15, 10))
    return _box(30, 30, 120).cut(cavity)


def freeform():
    """A 120 × 80 block whose top is a smooth B-spline surface (a mould-like part)."""
    import cadquery as cq

    pts = [(x, y, 25 + 8 * ((x / 60) ** 2 - (y / 40) ** 2)) for x in range(-60, 61, 20) for y in range(-40, 41, 20)]
    rows = [[cq.Vector(*p) for p in pts[i * 5 : (i + 1) * 5]] for i in range(7)]
    top = cq.Face.makeSplineApprox([[p for p in row] for row in rows])
    block = _box(140, 100, 50).translate((0, 0, -5))
    cutter = cq.Solid.extrudeLinear(top, cq.Vector(0, 0, 60))
    return block.cut(cq.Workplane().add(cutter)).intersect(_box(120, 80, 50))


def stepped_block():
    """Held out of the fit: a 90 × 60 × 35 block with two steps, a 12 mm slot with R3 ends and
    a ring of holes (not used to fit the rates)."""
    part = _box(90, 60, 35)
    part = part.cut(_box(30, 60, 15).translate((30, 0, 20))).cut(_box(30, 60, 8).translate((-30, 0, 27)))
    slot = _box(40, 12, 10).edges("|Z").fillet(3).translate((0, 0, 25.001))
    part = part.cut(slot)
    return part.faces("<Z").workplane().polarArray(20, 0, 360, 6).hole(4.2, 12)


def housing():
    """The STEP bench's 321-face housing (bench/step_part.py) without the cross holes in its
    sides (the toolpath cuts from ±Z only)."""
    from step_part import milled_from_above_and_below

    return milled_from_above_and_below()


PARTS = {
    "plate": plate,
    "plate_back_pocket": plate_with_back_pocket,
    "pocket_r1": lambda: pocket(1.0),
    "pocket_r5": lambda: pocket(5.0),
    "holes": holes,
    "bracket": bracket,
    "tall_block": tall_block,
    "freeform": freeform,
    "housing": housing,
    "stepped_block": stepped_block,
}
