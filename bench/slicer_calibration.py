"""The instant FDM estimate against PrusaSlicer's slice: print time and mass, per model.

    .venv/bin/python bench/slicer_calibration.py [--extra DIR] [--grid] [--sizes] [--json OUT]

Models: eight generated with cadquery and trimesh (a cube, a tall cylinder, a thin-walled tube,
a fan with blades, a bracket, a flange, an open enclosure, a hook), plus every STL in `--extra`
(real printed parts kept outside the repository, e.g. /work/realworld/slicer). Each is measured
by `geometry.analyze.analyze_file` (what the estimate sees) and sliced by `geometry.slicer`
with the default PLA profile (the slice is the reference). `--grid` adds 15/40/100 % infill
and 0.1/0.3 mm layers for the generated models. `--sizes` times the slice of a 50 k-facet and a
1 M-facet sphere. The table is what bench/README.md shows; aim: median error within ±15 %,
worst within ±35 %.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geometry.analyze import analyze_file  # noqa: E402
from geometry.pricing.fdm import estimate_print  # noqa: E402
from geometry.slicer import SliceOptions, find_slicer, slice_file  # noqa: E402

DENSITY = 1.24  # PLA


def generated(folder: Path) -> list[Path]:
    import cadquery as cq
    import trimesh

    from portal.files.demo_models import bracket, enclosure, flange, print_hook

    def fan():
        hub = cq.Workplane("XY").circle(14).extrude(20).faces(">Z").workplane().hole(5)
        blades = cq.Workplane("XY")
        for angle in range(0, 360, 45):
            blade = (
                cq.Workplane("XY").center(28, 0).rect(30, 2.4).extrude(18)
                .rotate((0, 0, 0), (0, 0, 1), angle)
            )
            blades = blades.union(blade) if blades.objects else blade
        ring = cq.Workplane("XY").circle(45).circle(42).extrude(20)
        return hub.union(blades).union(ring)

    shapes = {
        "cube_30": trimesh.creation.box((30, 30, 30)),
        "cylinder_25x80": trimesh.creation.cylinder(12.5, 80, sections=96),
        "tube_60x40": trimesh.creation.annulus(30, 27, 40, sections=128),
    }
    paths = []
    for name, mesh in shapes.items():
        path = folder / f"{name}.stl"
        mesh.export(path)
        paths.append(path)
    for name, build in (("fan", fan), ("bracket", bracket), ("flange", flange), ("enclosure", enclosure),
                        ("hook", print_hook)):
        path = folder / f"{name}.stl"
        cq.exporters.export(build(), str(path), tolerance=0.05, angularTolerance=0.1)
        paths.append(path)
    return paths


def measure(path: Path, layer: float, infill: int, slicer: str) -> dict:
    analysis = analyze_file(path)
    options = SliceOptions("pla", DENSITY, layer, infill, "as_uploaded")
    sliced = slice_file(str(path), options, slicer, timeout=600)
    estimate = estimate_print(
        volume_mm3=analysis.volume_mm3,
        area_mm2=analysis.area_mm2,
        height_mm=sliced.height_mm,
        layer_mm=layer,
        infill=infill / 100,
        density_g_cm3=DENSITY,
    )
    return {
        "model": path.stem,
        "layer": layer,
        "infill": infill,
        "facets": analysis.triangles,
        "volume_cm3": analysis.volume_mm3 / 1000,
        "area_cm2": analysis.area_mm2 / 100,
        "height_mm": sliced.height_mm,
        "sliced_h": sliced.print_hours,
        "sliced_g": sliced.mass_g,
        "estimate_h": estimate.hours,
        "estimate_g": estimate.mass_g,
        "solid_g": analysis.volume_mm3 / 1000 * DENSITY,
        "slice_s": sliced.slice_seconds,
    }


def error(row: dict, what: str) -> float:
    return row[f"estimate_{what}"] / row[f"sliced_{what}"] - 1


def table(rows: list[dict]) -> str:
    out = [
        "| model | layer, infill | volume cm³ | sliced time | estimate | error | sliced mass | estimate | error |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        out.append(
            f"| {r['model']} | {r['layer']:g} mm, {r['infill']} % | {r['volume_cm3']:.1f} "
            f"| {r['sliced_h']:.2f} h | {r['estimate_h']:.2f} h | {error(r, 'h'):+.0%} "
            f"| {r['sliced_g']:.1f} g | {r['estimate_g']:.1f} g | {error(r, 'g'):+.0%} |"
        )
    for what, name in (("h", "time"), ("g", "mass")):
        errors = [abs(error(r, what)) for r in rows]
        signed = [error(r, what) for r in rows]
        out.append(
            f"\n{name}: median |error| {statistics.median(errors):.1%}, median error "
            f"{statistics.median(signed):+.1%}, worst {max(signed, key=abs):+.1%} ({len(rows)} slices)"
        )
    return "\n".join(out)


def sizes(folder: Path, slicer: str) -> str:
    import trimesh

    out = ["| facets | slice time (slicer run) | whole call (read, orient, write STL, slice) |", "|---|---|---|"]
    for count in (112, 500):  # 4 × count² facets: about 50 k and 1 M
        mesh = trimesh.creation.uv_sphere(radius=40, count=[count, count])
        path = folder / f"sphere_{len(mesh.faces)}.stl"
        mesh.export(path)
        started = time.monotonic()
        sliced = slice_file(str(path), SliceOptions("pla", DENSITY), slicer, timeout=600)
        whole = time.monotonic() - started
        out.append(f"| {len(mesh.faces):,} | {sliced.slice_seconds:.1f} s | {whole:.1f} s |")
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--extra", type=Path, help="a folder of real STL files")
    parser.add_argument("--grid", action="store_true", help="other infills and layers too")
    parser.add_argument("--sizes", action="store_true", help="slice time of 50 k and 1 M facets")
    parser.add_argument("--json", type=Path, help="write the rows here")
    args = parser.parse_args()
    slicer = find_slicer()
    if slicer is None:
        print("prusa-slicer is not installed")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        models = generated(folder)
        extra = sorted(args.extra.glob("*.stl")) if args.extra else []
        rows = [measure(p, 0.2, 20, slicer) for p in models + extra]
        if args.grid:
            for layer, infill in ((0.2, 15), (0.2, 40), (0.2, 100), (0.1, 20), (0.3, 20)):
                rows += [measure(p, layer, infill, slicer) for p in models]
        print(table(rows))
        if args.json:
            args.json.write_text(json.dumps(rows, indent=1))
        if args.sizes:
            print()
            print(sizes(folder, slicer))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
