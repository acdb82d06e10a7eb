"""Upload finished → price shown, in a real browser (targets: under 2 s; a 2 MB freeform STEP
of 300 B-spline faces under 2.5 s).

    .venv/bin/python bench/upload_to_price.py         # --runs 5, --only "freeform STEP"
    .venv/bin/python bench/upload_to_price.py --compare ../other-checkout   # two versions, alternated

The portal runs as `portal run` (embedded default: the analysis job runs in-process, in the
warm sandbox). Chromium (Playwright) opens the upload page and chooses the file, as a person
does; the clock starts when the upload's response arrives in the browser and stops when the
priced total is on the file page (status polled every second, the quote rendered with the
ready state). Three parts, each run with fresh bytes so that no earlier analysis is reused:
a 50,000-facet STL, a STEP plate of about 100 B-rep faces built with cadquery, and the freeform
ring of `bench/freeform_part.py` cut into 300 B-spline faces (2.05 MB).

Where the time goes, per part (medians): "to analysed" is from the upload's response to the
row's `analysed_at` (queue, the job taking the file, fetching it from storage, measuring in
the warm sandbox, writing the result), "to price" from there to the price on the page (the
status poll waking, the quote computed and rendered, the browser swapping it in); "measure"
is the warm sandbox's measuring alone (`ModelAnalyzer.analyze(previews=False)`), timed in this
process on the same file after the browser runs.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import trimesh
from portal_server import ROOT, running_portal

sys.path.insert(0, str(ROOT))
from geometry.stl import write_binary  # noqa: E402

CHROMIUM = "/usr/bin/chromium"


def stl_part(folder: Path, run: int) -> Path:
    mesh = trimesh.creation.uv_sphere(radius=30.0 + run * 0.01, count=[125, 201])
    path = folder / f"sphere-{run}.stl"
    write_binary(path, mesh.triangles)
    return path


def step_part(folder: Path, run: int) -> Path:
    import cadquery as cq

    holes = [(x, y) for x in range(-45, 46, 10) for y in range(-20, 21, 5)]  # 90 holes: 96 faces
    plate = cq.Workplane("XY").box(100 + run * 0.01, 60, 8).faces(">Z").workplane().pushPoints(holes).hole(3)
    path = folder / f"plate-{run}.step"
    cq.exporters.export(plate, str(path))
    return path


def freeform_part(folder: Path, run: int) -> Path:
    from freeform_part import build

    path = folder / f"freeform-{run}.step"
    build(path, 20, 15, 3, ring_radius=60.0 + run * 0.01)
    return path


def time_to_price(page, part: Path) -> tuple[float, float]:
    """(seconds from the upload's response to the price on the page, wall-clock time of that
    response) — the second to set beside the row's timestamps."""
    page.goto("/")
    with page.expect_response(lambda r: r.url.endswith("/files") and r.request.method == "POST") as answer:
        page.get_by_test_id("upload-input").set_input_files(str(part))
    answer.value.finished()
    started, uploaded = time.monotonic(), time.time()
    # the panel's answer for the part's default process: its price, or (a part no 3-axis mill can
    # cut, like the freeform ring) the notice that it is quoted by hand
    page.locator("[data-testid=quote-total], [data-testid=needs-review]").first.wait_for(
        state="visible", timeout=180_000
    )
    return time.monotonic() - started, uploaded


def analysed_at(data_dir: Path, name: str) -> float:
    with sqlite3.connect(data_dir / "portal.sqlite3") as db:
        (value,) = db.execute("SELECT analysed_at FROM model_file WHERE name = ? ORDER BY created_at DESC LIMIT 1",
                              (name,)).fetchone()
    when = datetime.fromisoformat(str(value).replace(" ", "T"))
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def measure_alone(parts: list[Path]) -> list[float]:
    from geometry.pricing import default_process_limits
    from portal.files.analysis import ModelAnalyzer

    analyzer = ModelAnalyzer(memory_mb=2048, cpu_seconds=120, wall_seconds=120)
    analyzer.start()
    try:
        times = []
        for part in parts:
            started = time.monotonic()
            analyzer.analyze(part, default_process_limits(), previews=False)
            times.append(time.monotonic() - started)
        return times
    finally:
        analyzer.close()


PARTS = (("50k-facet STL", stl_part, 2.0), ("STEP plate", step_part, 2.0), ("freeform STEP", freeform_part, 2.5))


def compare(other: Path, runs: int, parts) -> None:
    """This checkout's portal and another's (`--compare DIR`, e.g. a worktree of the code before a
    change), started side by side; the same fresh files uploaded to one then the other, the
    order swapped every run, so that both see the same load."""
    import contextlib

    import portal_server
    from playwright.sync_api import sync_playwright

    checkouts = {"this": ROOT, "other": other.resolve()}
    with contextlib.ExitStack() as stack:
        portals = {}
        for name, root in checkouts.items():
            portal_server.ROOT = root  # the portal's PYTHONPATH and working directory
            portals[name] = stack.enter_context(running_portal())
        portal_server.ROOT = ROOT
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        browser = stack.enter_context(sync_playwright()).chromium.launch(executable_path=CHROMIUM,
                                                                         args=["--no-sandbox"])
        pages = {name: browser.new_context(base_url=p[0]).new_page() for name, p in portals.items()}
        for page in pages.values():
            time_to_price(page, stl_part(folder, 999))  # warm: the sandbox starts with the first job
        loads = [os.getloadavg()[0]]
        for part_name, make, target in parts:
            made = [make(folder, run) for run in range(2 * runs)]
            times: dict[str, list[float]] = {name: [] for name in pages}
            for run in range(runs):
                order = list(pages) if run % 2 == 0 else list(pages)[::-1]
                for k, name in enumerate(order):
                    times[name].append(time_to_price(pages[name], made[2 * run + k])[0])
                    loads.append(os.getloadavg()[0])
            for name, values in times.items():
                print(f"{part_name:16} {name} ({checkouts[name]}): median {statistics.median(values):.2f} s "
                      f"(runs: {', '.join(f'{t:.2f}' for t in values)}) — target < {target} s")
        browser.close()
    print(f"load average during the runs: {min(loads):.1f}–{max(loads):.1f} (2 CPUs)")


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", help="one part's name, e.g. 'freeform STEP'")
    parser.add_argument("--compare", type=Path, help="another checkout: both portals, uploads alternated")
    args = parser.parse_args()
    parts = [p for p in PARTS if args.only in (None, p[0])]
    if args.compare:
        compare(args.compare, args.runs, parts)
        return
    with tempfile.TemporaryDirectory() as folder, running_portal() as (base, _, data_dir), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_context(base_url=base).new_page()
        time_to_price(page, stl_part(Path(folder), 999))  # warm: the sandbox starts with the first job
        made = {name: [make(Path(folder), run) for run in range(args.runs)] for name, make, _ in parts}
        times: dict[str, list[tuple[float, float]]] = {name: [] for name, _, _ in parts}
        for run in range(args.runs):  # the parts alternate, so that all see the same load
            for name, _, _ in parts:
                part = made[name][run]
                total, uploaded = time_to_price(page, part)
                times[name].append((total, analysed_at(data_dir, part.name) - uploaded))
                print(f"run {run + 1}, {name}: {total:.2f} s, to analysed {times[name][-1][1]:.2f} s",
                      file=sys.stderr, flush=True)
        browser.close()
        alone = {name: measure_alone(made[name]) for name, _, _ in parts}
        sizes = {name: made[name][0].stat().st_size / 1e6 for name, _, _ in parts}
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (2 CPUs)")
    for name, _, target in parts:
        totals = [t for t, _ in times[name]]
        to_analysed = statistics.median(a for _, a in times[name])
        median = statistics.median(totals)
        size = sizes[name]
        print(f"{name:16} ({size:.2f} MB) median {median:.2f} s, max {max(totals):.2f} s "
              f"(runs: {', '.join(f'{t:.2f}' for t in totals)}) — target < {target} s: "
              f"{'PASS' if median < target else 'FAIL'}")
        print(f"{'':16} to analysed {to_analysed:.2f} s (measure alone {statistics.median(alone[name]):.2f} s), "
              f"analysed to price {statistics.median(t - a for t, a in times[name]):.2f} s")


if __name__ == "__main__":
    main()
