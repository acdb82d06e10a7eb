"""The milling time estimate against toolpaths computed for the same parts.

    .venv/bin/python bench/toolpath_calibration.py [--step FILE ...] [--grid 1.0]

For each part (the cadquery parts of `bench/machining_parts.py`, OpenCASCADE's sample parts when
Debian's occt-misc is installed, and any STEP files given) the
part is analysed as the portal does (`measure_step`, features included) and priced for milling
in aluminium 6061 on the default rate card; the estimate's cutting minutes (roughing +
finishing + holes, without clamping) are set beside a plain 3-axis toolpath's, from opencamlib's
drop cutter, in the orientation the analysis chose (its frame's Z up; a part with a -Z setup is
also cut from below, each side down to its middle):

- roughing: a Ø10 flat end mill drops over a 1 mm grid of the stock; every grid cell is cut
  in 5 mm layers from the stock's top down to where the tool stops (zig-zag at 5 mm stepover,
  1,500 mm/min, 2 s of linking per layer);
- rest machining: where the end mill of the smallest inside corner radius (below 5 mm) goes
  deeper than the Ø10, that material in layers of half its diameter at 40 % stepover, the feed
  scaled with the diameter (each layer's area at the stepover plus one pass round its outline,
  for roughing too);
- finishing: a Ø6 ball nose rastered along X at 0.5 mm stepover over the part, 2,000 mm/min,
  the path's length including its climbs;
- holes: drilled at 640 mm/min plus 4 s each, pecking (twice the time) deeper than 6 × D.

Faces reached only from the sides (the housing's side holes) are left out of both the
estimate and the toolpath. The ratio estimate ÷ toolpath should be about the same for every part
(largest ÷ smallest ≤ 1.5): the rates set the level, the geometry the proportions. "today" is
the estimate before this work (box + 3 mm, one removal rate, whole area at one finishing rate).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from geometry.pricing import Part, default_rate_card  # noqa: E402
from geometry.pricing.engine import per_part_costs  # noqa: E402
from geometry.pricing.milling import cut_of  # noqa: E402
from geometry.step import measure_step, step_analysis  # noqa: E402

ROUGH_D, ROUGH_AP, ROUGH_AE, ROUGH_FEED = 10.0, 5.0, 5.0, 1500.0
LINK_S = 2.0
BALL_D, FINISH_STEP, FINISH_FEED = 6.0, 0.5, 2000.0
DRILL_FEED, DRILL_S = 640.0, 4.0


def _surface(vertices, faces):
    import opencamlib as ocl

    surface = ocl.STLSurf()
    for tri in vertices[faces]:
        surface.addTriangle(ocl.Triangle(*[ocl.Point(*map(float, p)) for p in tri]))
    return surface


def _drop(surface, cutter, xs, ys, floor):
    """Drop-cutter heights (len(ys), len(xs)); `floor` where the tool meets nothing."""
    import opencamlib as ocl

    batch = ocl.BatchDropCutter()
    batch.setSTL(surface)
    batch.setCutter(cutter)
    batch.setThreads(1)
    for y in ys:
        for x in xs:
            batch.appendPoint(ocl.CLPoint(float(x), float(y), float(floor)))
    batch.run()
    z = np.array([p.z for p in batch.getCLPoints()]).reshape(len(ys), len(xs))
    return np.maximum(z, floor)


def _disk(radius_cells: float) -> np.ndarray:
    r = int(math.ceil(radius_cells))
    y, x = np.mgrid[-r : r + 1, -r : r + 1]
    return x * x + y * y <= radius_cells * radius_cells + 1e-9


def _left_by(cl: np.ndarray, diameter: float, grid: float) -> np.ndarray:
    """The material's top after a flat end mill: at each point the lowest tool centre within
    its radius (the drop-cutter heights are where the tool's centre may go)."""
    from scipy.ndimage import minimum_filter

    return minimum_filter(cl, footprint=_disk(diameter / 2 / grid), mode="nearest")


def _layers_minutes(top: np.ndarray, bottom: np.ndarray, ap: float, ae: float, feed: float, grid: float) -> float:
    """Clearing from `top` down to `bottom` in layers: per layer the area at `ae` stepover plus
    one pass round its outline, and the linking."""
    from scipy.ndimage import binary_erosion

    depth = np.maximum(top - bottom, 0)
    layers = int(np.ceil(depth.max(initial=0) / ap - 1e-9))
    length = 0.0
    for k in range(layers):
        level = top - k * ap
        mask = (bottom < level - 1e-6) & (depth > 1e-6)
        if not mask.any():
            continue
        outline = mask & ~binary_erosion(mask)
        length += mask.sum() * grid * grid / ae + outline.sum() * grid
    return length / feed + layers * LINK_S / 60


def _side(vertices, faces, stock_top, floor, grid, small_d):
    """Minutes to rough, rest-machine and finish one side, from `stock_top` down to `floor`."""
    import opencamlib as ocl

    surface = _surface(vertices, faces)
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    margin = ROUGH_D
    xs = np.arange(lo[0] - margin, hi[0] + margin + 1e-9, grid)
    ys = np.arange(lo[1] - margin, hi[1] + margin + 1e-9, grid)
    # the stock: the part's footprint plus the side allowance
    in_x = (xs >= lo[0] - 2) & (xs <= hi[0] + 2)
    in_y = (ys >= lo[1] - 2) & (ys <= hi[1] + 2)
    inside = in_y[:, None] & in_x[None, :]
    top = np.where(inside, stock_top, floor)
    big = _left_by(_drop(surface, ocl.CylCutter(ROUGH_D, 100.0), xs, ys, floor), ROUGH_D, grid)
    rough = _layers_minutes(top, np.minimum(big, top), ROUGH_AP, ROUGH_AE, ROUGH_FEED, grid)
    rest = 0.0
    if small_d:  # inside corners tighter than the roughing tool leaves: cleared with their end mill
        small = _left_by(_drop(surface, ocl.CylCutter(small_d, 100.0), xs, ys, floor), small_d, grid)
        feed = ROUGH_FEED * min(1.0, small_d / ROUGH_D)
        rest = _layers_minutes(np.minimum(big, top), np.minimum(small, top), small_d / 2, 0.4 * small_d, feed, grid)

    fys = np.arange(lo[1], hi[1] + 1e-9, FINISH_STEP)
    fxs = np.arange(lo[0], hi[0] + 1e-9, grid)
    # each side finishes all it sees (roughing splits the material at the middle, not this)
    below = lo[2] - 1.0
    ball = _drop(surface, ocl.BallCutter(BALL_D, 100.0), fxs, fys, below)
    on_part = ball > below + 1e-6
    dz = np.diff(ball, axis=1)
    step = np.sqrt(grid * grid + dz * dz)
    length = float((step * (on_part[:, 1:] & on_part[:, :-1])).sum())
    finish = length / FINISH_FEED
    return rough + rest, finish


def _frame_mesh(measures, frame):
    vertices = measures.mesh_vertices @ np.asarray(frame).T
    return vertices, measures.mesh_faces


def toolpath_minutes(measures, card) -> tuple[float, float, float]:
    m = measures.machining
    frame = np.asarray(m["frame"])
    vertices, faces = _frame_mesh(measures, frame)
    rates = card.process("cnc_milling").cnc
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    two_sided = "-Z" in m["directions"] and "+Z" in m["directions"]
    height = hi[2] - lo[2]
    top = float(rates.stock_top_allowance_mm) * (2 if two_sided else 1)
    thick = float(next((t for t in rates.plate_thicknesses_mm if t >= Decimal(str(height + top))), height + top))
    small_d = 0.0
    if m.get("min_inside_radius_mm") and m["min_inside_radius_mm"] < ROUGH_D / 2:
        from geometry.machining import end_mill_for

        small_d = end_mill_for(m["min_inside_radius_mm"])
    if two_sided:
        middle = 0.5 * (lo[2] + hi[2])
        r1, f1 = _side(vertices, faces, middle + thick / 2, middle, 1.0, small_d)
        # upside down the middle is at -middle, and the stock reaches as far above it
        flipped = vertices * np.array([-1.0, 1.0, -1.0])
        r2, f2 = _side(flipped, faces[:, ::-1], -middle + thick / 2, -middle, 1.0, small_d)
        rough, finish = r1 + r2, f1 + f2
    else:
        stock_top = hi[2] + top
        rough, finish = _side(vertices, faces, stock_top, hi[2] - thick, 1.0, small_d)
    holes = 0.0
    for hole in m["holes"] or ():
        each = (hole["depth_mm"] + (hole["diameter_mm"] / 2 if hole["through"] else 0)) / DRILL_FEED + DRILL_S / 60
        holes += each * (2 if hole["depth_mm"] > 6 * hole["diameter_mm"] else 1)
    return rough, finish, holes


def estimate_minutes(analysis, card) -> tuple[float, float, float]:
    process = card.process("cnc_milling")
    each = per_part_costs(Part.of(analysis), process, process.material("al_6061"))
    d = {x.code: float(x.value) for x in each.drivers}
    return d["roughing_time"], d["finishing_time"], d.get("holes", 0.0)


def today_minutes(analysis) -> float:
    """The estimate before: box + 3 mm a side, 8 cm³/min, the whole area at 25 cm²/min, 0.6 min
    a hole."""
    sides = sorted(analysis.obb_mm, reverse=True)
    stock = math.prod(s + 6 for s in sides)
    holes = analysis.holes or 0
    return (stock - analysis.volume_mm3) / 1000 / 8 + analysis.area_mm2 / 100 / 25 + 0.6 * holes


# Real parts: OpenCASCADE's sample models (Debian's occt-misc, which prusa-slicer pulls in),
# machined parts of a pump, a crank arm and a screw; those with undercuts or side setups are
# listed as skipped.
OCCT_DATA = Path("/usr/share/opencascade/data")
REAL_PARTS = ("occ/Pump_Nut.brep", "occ/Pump_TopCover.brep", "occ/CrankArm.brep", "step/screw.step")


def _real_parts(folder: str) -> list[tuple[str, str]]:
    """The real parts found on this machine, each as a STEP file (B-rep files are written out)."""
    from OCP.BRep import BRep_Builder
    from OCP.BRepTools import BRepTools
    from OCP.STEPControl import STEPControl_AsIs, STEPControl_Writer
    from OCP.TopoDS import TopoDS_Shape

    found = []
    for relative in REAL_PARTS:
        source = OCCT_DATA / relative
        if not source.exists():
            continue
        if source.suffix == ".brep":
            shape = TopoDS_Shape()
            BRepTools.Read_s(shape, str(source), BRep_Builder())
            writer = STEPControl_Writer()
            writer.Transfer(shape, STEPControl_AsIs)
            target = os.path.join(folder, f"{source.stem}.step")
            writer.Write(target)
            found.append((source.stem, target))
        else:
            found.append((source.stem, str(source)))
    return found


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--step", nargs="*", default=[], help="STEP files to add")
    parser.add_argument("--only", nargs="*", help="names of the cadquery parts to run")
    parser.add_argument("--fit", action="store_true", help="print the rates that fit the toolpaths best")
    args = parser.parse_args()
    import cadquery as cq
    from machining_parts import PARTS

    card = default_rate_card()
    rows, fit_rows = [], []
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for name, build in PARTS.items():
            if args.only and name not in args.only:
                continue
            path = os.path.join(tmp, f"{name}.step")
            cq.exporters.export(build(), path)
            paths.append((name, path))
        if not args.only:
            paths += _real_parts(tmp)
        paths += [(Path(p).stem, p) for p in args.step]
        for name, path in paths:
            measures = measure_step(path, with_mesh=True)
            analysis = step_analysis(measures)
            if measures.machining is None or measures.machining["undercut_faces"]:
                print(f"{name}: skipped (undercuts or no solid)")
                continue
            if any(d[-1] != "Z" for d in measures.machining["directions"]):
                sides = measures.machining["directions"]
                print(f"{name}: skipped (side setups {sides}: the toolpath cuts from ±Z only)")
                continue
            er, ef, eh = estimate_minutes(analysis, card)
            tr, tf, th = toolpath_minutes(measures, card)
            est, ref = er + ef + eh, tr + tf + th
            rows.append((name, measures.faces, measures.machining["setups"], er, ef, eh, tr, tf, th, est / ref,
                         today_minutes(analysis) / ref))
            fit_rows.append((cut_of(Part.of(analysis), card.process("cnc_milling").cnc), tr + tf, eh, th))
            print(f"{name}: estimate {est:.1f} min, toolpath {ref:.1f} min, ratio {est / ref:.2f}", flush=True)
    print()
    print("| part | faces | setups | estimate rough / finish / holes, min | toolpath rough / finish / holes, min "
          "| estimate ÷ toolpath | today ÷ toolpath |")
    print("|---|---|---|---|---|---|---|")
    for name, faces, setups, er, ef, eh, tr, tf, th, ratio, today in rows:
        print(f"| {name} | {faces} | {setups} | {er:.1f} / {ef:.1f} / {eh:.1f} | {tr:.1f} / {tf:.1f} / {th:.1f} "
              f"| **{ratio:.2f}** | {today:.2f} |")
    ratios = [r[9] for r in rows]
    todays = [r[10] for r in rows]
    if ratios:
        print(f"\nlargest ÷ smallest: now {max(ratios) / min(ratios):.2f} (target ≤ 1.5), "
              f"today {max(todays) / min(todays):.2f}")
    if args.fit and fit_rows:
        fit(fit_rows)
    return 0


def fit(rows) -> None:
    """Rates that bring every part's estimate closest to its toolpath (relative error, least
    squares, non-negative): skin, pocket, corner layers, floor, wall and freeform rates."""
    from scipy.optimize import nnls

    names = ("skin_rate_cm2_min", "pocket_rate_cm3_min", "1 / rest_minutes_per_layer", "finishing_rate_cm2_min",
             "wall_rate_cm2_min", "freeform_finish_rate_cm2_min")
    a = np.array([[float(c.skin_cm2), float(c.inside_cm3), float(c.rest_layers), float(c.floor_cm2), float(c.wall_cm2),
                   float(c.freeform_cm2)] for c, _, _, _ in rows])
    ref = np.array([r for _, r, _, _ in rows])
    per_minute, _ = nnls(a / ref[:, None], np.ones(len(ref)))
    print("\nfitted (minutes per unit → rate):")
    for name, k in zip(names, per_minute, strict=True):
        print(f"  {name} = {1 / k:.1f}" if k > 0 else f"  {name}: no weight")
    print("  ratio per part with these:", np.round(a @ per_minute / ref, 2))


if __name__ == "__main__":
    sys.exit(main())
