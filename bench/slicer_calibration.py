"""The instant FDM estimate against PrusaSlicer's slice: print time and mass, per model.

    .venv/bin/python bench/slicer_calibration.py [--extra DIR] [--grid] [--sizes] [--fit]
                                                 [--json OUT] [--cache FILE]

Models: ten generated with cadquery and trimesh (a cube, a tall cylinder, a thin-walled tube, a
ball, a fan with blades, a bracket, a flange, an open enclosure, a hook, a tee whose bar needs
support), PrusaSlicer's own sample parts (the bunny, an M3 screw and nut, a helper disk, a
recycling symbol, a torus, a cone: `/usr/share/PrusaSlicer/shapes`), plus every STL in `--extra`
(more real printed parts kept outside the repository). Each is measured by
`geometry.analyze.analyze_file` (what the estimate sees: volume, surfaces and overhang as
uploaded) and sliced by `geometry.slicer` with the default PLA profile (the slice is the
reference). `--grid` adds 15/40/100 % infill and 0.1/0.3 mm layers for the generated models.
`--sizes` times the slice of a 50 k-facet and a 1 M-facet sphere. `--fit` fits the estimate's
constants (`geometry.pricing.fdm.Constants`) to the slices, and again to the generated parts
alone, with the real parts' error under each. The table is what bench/README.md shows; aim:
median error within ±15 %, worst within ±35 %. `--cache FILE` keeps each slice's summary there,
keyed by the model's bytes, the options and our slicer profiles, so that a second run re-slices
only what changed. """

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geometry.analyze import analyze_file  # noqa: E402
from geometry.pricing.fdm import FITTED, Constants, Surfaces, estimate_print  # noqa: E402
from geometry.slicer import PROFILES, SliceOptions, SliceResult, find_slicer, slice_file  # noqa: E402

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

    def tee():  # a 60 mm bar on a 20 mm post: the bar's underside needs support down to the bed
        post = cq.Workplane("XY").box(20, 20, 40, centered=(True, True, False))
        return post.union(cq.Workplane("XY").workplane(offset=40).box(60, 20, 6, centered=(True, True, False)))

    shapes = {
        "cube_30": trimesh.creation.box((30, 30, 30)),
        "cylinder_25x80": trimesh.creation.cylinder(12.5, 80, sections=96),
        "tube_60x40": trimesh.creation.annulus(30, 27, 40, sections=128),
        "ball_40": trimesh.creation.icosphere(subdivisions=4, radius=20),  # supported below its 45° line
    }
    paths = []
    for name, mesh in shapes.items():
        path = folder / f"{name}.stl"
        mesh.export(path)
        paths.append(path)
    for name, build in (("fan", fan), ("bracket", bracket), ("flange", flange), ("enclosure", enclosure),
                        ("hook", print_hook), ("tee", tee)):
        path = folder / f"{name}.stl"
        cq.exporters.export(build(), str(path), tolerance=0.05, angularTolerance=0.1)
        paths.append(path)
    return paths


class SliceCache:
    """Slice summaries kept in a JSON file, keyed by the model's bytes, the options and the profiles."""

    def __init__(self, path: Path | None):
        self.path = path
        self.kept = json.loads(path.read_text()) if path is not None and path.exists() else {}
        profiles = hashlib.sha256()
        for profile in sorted(PROFILES.glob("*.ini")):
            profiles.update(profile.read_bytes())
        self.profiles = profiles.hexdigest()[:16]

    def slice(self, path: Path, options: SliceOptions, slicer: str) -> SliceResult:
        key = f"{hashlib.sha256(path.read_bytes()).hexdigest()[:16]}-{options.key()}-{self.profiles}"
        if key not in self.kept:
            self.kept[key] = slice_file(str(path), options, slicer, timeout=600).as_dict()
            if self.path is not None:
                self.path.write_text(json.dumps(self.kept, indent=1))
        return SliceResult.from_dict(self.kept[key])


def measure(path: Path, layer: float, infill: int, slicer: str, cache: SliceCache, generated: bool) -> dict:
    analysis = analyzed(path)
    options = SliceOptions("pla", DENSITY, layer, infill, "as_uploaded")
    sliced = cache.slice(path, options, slicer)
    row = {
        "model": path.stem,
        "generated": generated,
        "layer": layer,
        "infill": infill,
        "facets": analysis.triangles,
        "volume_mm3": analysis.volume_mm3,
        "area_mm2": analysis.area_mm2,
        "figures": analysis.printing["as_uploaded"],  # what the instant quote knows
        "height_mm": sliced.height_mm,
        "sliced_h": sliced.print_hours,
        "sliced_g": sliced.mass_g,
        "solid_g": analysis.volume_mm3 / 1000 * DENSITY,
        "slice_s": sliced.slice_seconds,
    }
    return estimated(row)


_ANALYSES: dict[Path, object] = {}


def analyzed(path: Path):
    if path not in _ANALYSES:
        _ANALYSES[path] = analyze_file(path)
    return _ANALYSES[path]


def estimated(row: dict, constants: Constants = FITTED) -> dict:
    """The row with the instant estimate made with these constants."""
    estimate = estimate_print(
        volume_mm3=row["volume_mm3"],
        area_mm2=row["area_mm2"],
        height_mm=row["figures"]["height_mm"],
        layer_mm=row["layer"],
        infill=row["infill"] / 100,
        density_g_cm3=DENSITY,
        surfaces=Surfaces.of(row["figures"]),
        constants=constants,
    )
    found = {"estimate_h": estimate.hours, "estimate_g": estimate.mass_g, "support_g": estimate.support_cm3 * DENSITY}
    return {**row, **found}


def error(row: dict, what: str) -> float:
    return row[f"estimate_{what}"] / row[f"sliced_{what}"] - 1


def table(rows: list[dict]) -> str:
    out = [
        "| model | layer, infill | volume cm³ | sliced time | estimate | error | sliced mass | estimate | error |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        out.append(
            f"| {r['model']} | {r['layer']:g} mm, {r['infill']} % | {r['volume_mm3'] / 1000:.1f} "
            f"| {r['sliced_h']:.2f} h | {r['estimate_h']:.2f} h | {error(r, 'h'):+.0%} "
            f"| {r['sliced_g']:.1f} g | {r['estimate_g']:.1f} g | {error(r, 'g'):+.0%} |"
        )
    out.append("")
    out.append(summary(rows))
    return "\n".join(out)


def summary(rows: list[dict], label: str = "") -> str:
    """Median |error| and the worst error, of time and mass: all slices, generated, real."""
    out = []
    groups = (("all", rows), ("generated", [r for r in rows if r["generated"]]),
              ("real", [r for r in rows if not r["generated"]]))
    for group, chosen in groups:
        if not chosen:
            continue
        line = f"{label}{group} ({len(chosen)} slices):"
        for what, name in (("h", "time"), ("g", "mass")):
            errors = [error(r, what) for r in chosen]
            worst = max(chosen, key=lambda r: abs(error(r, what)))
            line += (
                f" {name} median |error| {statistics.median(map(abs, errors)):.1%}, "
                f"worst {error(worst, what):+.1%} ({worst['model']} {worst['layer']:g} mm {worst['infill']} %);"
            )
        out.append(line)
    return "\n".join(out)


def fit(rows: list[dict], keep: tuple[str, ...] = ()) -> Constants:
    """Least squares on the log of estimate ÷ slice: the mass constants on the masses, then the
    time constants on the times; `keep`: constants left as fitted now."""
    import numpy as np
    from scipy.optimize import least_squares

    mass = ("anchor_mm", "support_fill", "support_top_mm")
    constants = FITTED
    for names, what in ((mass, "g"), (tuple(n for n in Constants.names() if n not in mass), "h")):
        names = tuple(n for n in names if n not in keep)

        def residuals(x, names=names, what=what, base=constants):
            trial = replace(base, **dict(zip(names, x, strict=True)))
            return [np.log(estimated(r, trial)[f"estimate_{what}"] / r[f"sliced_{what}"]) for r in rows]

        start = [getattr(constants, n) for n in names]
        found = least_squares(residuals, start, bounds=(0, np.inf)).x
        constants = replace(constants, **{n: round(float(v), 4) for n, v in zip(names, found, strict=True)})
    return constants


def fitted(rows: list[dict]) -> str:
    """The constants fitted on every slice, and on the generated parts alone with the real parts
    held out (the start is kept: the generated parts are too large to tell it)."""
    out = []
    for label, chosen, keep in (("all slices", rows, ()),
                                ("generated parts only", [r for r in rows if r["generated"]], ("start_seconds",))):
        constants = fit(chosen, keep)
        out.append(f"fitted on {label}: {constants}")
        out.append(summary([estimated(r, constants) for r in rows], "  with these, "))
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


# Real printed parts that come with PrusaSlicer itself (Debian's prusa-slicer installs them).
BUNDLED_SHAPES = Path("/usr/share/PrusaSlicer/shapes")
REAL_SHAPES = {"bunny", "M3x10_screw", "M3_hex_nut", "helper_disk", "PLA_recycling_symbol", "torus", "cone"}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--extra", type=Path, help="a folder of real STL files")
    parser.add_argument("--grid", action="store_true", help="other infills and layers too")
    parser.add_argument("--sizes", action="store_true", help="slice time of 50 k and 1 M facets")
    parser.add_argument("--json", type=Path, help="write the rows here")
    parser.add_argument("--cache", type=Path, help="keep the slices' summaries in this JSON file")
    parser.add_argument("--fit", action="store_true", help="fit the estimate's constants to these slices")
    args = parser.parse_args()
    slicer = find_slicer()
    if slicer is None:
        print("prusa-slicer is not installed")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        models = generated(folder)
        extra = [p for p in sorted(BUNDLED_SHAPES.glob("*.stl")) if p.stem in REAL_SHAPES]
        extra += sorted(args.extra.glob("*.stl")) if args.extra else []
        cache = SliceCache(args.cache)
        rows = [measure(p, 0.2, 20, slicer, cache, p in models) for p in models + extra]
        if args.grid:
            for layer, infill in ((0.2, 15), (0.2, 40), (0.2, 100), (0.1, 20), (0.3, 20)):
                rows += [measure(p, layer, infill, slicer, cache, True) for p in models]
        print(table(rows))
        if args.fit:
            print()
            print(fitted(rows))
        if args.json:
            args.json.write_text(json.dumps(rows, indent=1))
        if args.sizes:
            print()
            print(sizes(folder, slicer))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
