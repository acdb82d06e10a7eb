"""A machined bench part of the size the STEP figures are about (300–1,000 B-rep faces).

    .venv/bin/python bench/step_part.py OUT.step     # writes the part, prints its figures

A housing milled from a 300 × 200 × 60 mm block: rounded corners, two pockets, a grid of
drilled holes in each pocket's floor, counterbored mounting holes from the bottom, cross holes
in the sides.
"""

from __future__ import annotations

import sys
from pathlib import Path


def milled_from_above_and_below():
    """The housing without its cross holes: what a 3-axis mill reaches from ±Z."""
    import cadquery as cq

    return (
        cq.Workplane("XY")
        .box(300, 200, 60)
        .edges("|Z")
        .fillet(15)
        .faces(">Z")
        .workplane()
        .pushPoints([(-70, 0), (70, 0)])
        .rect(120, 160)
        .cutBlind(-40)
        .faces(">Z[1]")
        .workplane()
        .pushPoints([(x + dx, y) for dx in (-70, 70) for x in range(-48, 49, 12) for y in range(-72, 73, 12)])
        .hole(5, 20)
        .faces("<Z")
        .workplane()
        .rarray(60, 170, 5, 2)
        .cboreHole(9, 15, 6)
    )


def build(path: Path) -> None:
    import cadquery as cq

    part = (
        milled_from_above_and_below()
        .faces("<X")
        .workplane(centerOption="CenterOfBoundBox")
        .rarray(40, 25, 4, 2)
        .hole(8, 40)
        .faces(">X")
        .workplane(centerOption="CenterOfBoundBox")
        .rarray(40, 25, 4, 2)
        .hole(8, 40)
        .faces("<Y")
        .workplane(centerOption="CenterOfBoundBox")
        .rarray(50, 25, 5, 1)
        .hole(6, 30)
    )
    cq.exporters.export(part, str(path))


def main() -> int:
    import cadquery as cq

    path = Path(sys.argv[1] if len(sys.argv) > 1 else "bench/out/housing_large.step")
    path.parent.mkdir(parents=True, exist_ok=True)
    build(path)
    shape = cq.importers.importStep(str(path)).val()
    print(f"{path}: {path.stat().st_size / 1e6:.2f} MB, {len(shape.Faces())} faces")
    return 0


if __name__ == "__main__":
    sys.exit(main())
