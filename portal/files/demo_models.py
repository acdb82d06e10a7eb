"""The demo models, built with cadquery when `portal demo load` runs (nothing binary committed).

Four machined parts as STEP and one printed part as STL, each small enough to quote at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DemoModel:
    file_name: str
    build: Callable[[], object]  # a cadquery Workplane
    options: dict[str, object]  # the options a visitor sees first


def bracket():
    import cadquery as cq

    return (
        cq.Workplane("XY")
        .box(80, 40, 6)
        .faces(">Z").workplane().pushPoints([(-28, 0), (28, 0)]).hole(6.5)
        .faces("<Y").workplane(centerOption="CenterOfBoundBox").transformed(offset=(0, 17, 0))
        .rect(80, 40).extrude(-6)
        .edges("|X").fillet(1.0)
    )


def flange():
    import cadquery as cq

    return (
        cq.Workplane("XY")
        .circle(45).extrude(10)
        .faces(">Z").workplane().circle(22).extrude(14)
        .faces(">Z").workplane().hole(26)
        .faces("<Z").workplane().polarArray(34, 0, 360, 6).hole(7)
    )


def enclosure():
    import cadquery as cq

    return (
        cq.Workplane("XY")
        .box(120, 80, 40)
        .edges("|Z").fillet(6)
        .faces(">Z").shell(-2.5)
        .faces("<Z").workplane(invert=True).rect(100, 60, forConstruction=True).vertices().hole(3.2, 6)
    )


def shaft():
    import cadquery as cq

    return (
        cq.Workplane("YZ")
        .circle(12).extrude(40)
        .faces(">X").workplane().circle(9).extrude(60)
        .faces(">X").workplane().circle(6).extrude(20)
        .faces(">X").chamfer(1.0)
    )


def print_hook():
    import cadquery as cq

    return (
        cq.Workplane("XY")
        .rect(30, 8).extrude(4)
        .faces(">Y").workplane().center(0, 2).rect(30, 4).extrude(40)
        .faces(">Z").workplane().center(0, 0).circle(2.5).cutThruAll()
        .edges("|Z").fillet(1.2)
    )


DEMO_MODELS = (
    DemoModel("bracket.step", bracket, {"process": "cnc_milling", "material": "al_6061"}),
    DemoModel("flange.step", flange, {"process": "cnc_milling", "material": "steel_45"}),
    DemoModel("enclosure.step", enclosure, {"process": "cnc_milling", "material": "al_6061"}),
    DemoModel("shaft.step", shaft, {"process": "cnc_turning", "material": "steel_45"}),
    DemoModel("hook.stl", print_hook, {"process": "fdm", "material": "petg"}),
)


def export(model: DemoModel, folder: Path) -> Path:
    """Write one demo model into `folder` and return its path."""
    import cadquery as cq

    path = folder / model.file_name
    shape = model.build()
    if path.suffix == ".stl":
        cq.exporters.export(shape, str(path), tolerance=0.05, angularTolerance=0.1)
    else:
        cq.exporters.export(shape, str(path))
    return path
