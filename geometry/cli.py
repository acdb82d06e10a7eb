"""`python -m geometry analyze | part | quote | preview | catalog`.

Heavy modules are imported inside each command so that `analyze` of an STL does not pay for
OpenCASCADE. Whatever happens, the process answers with exit 0 or 2, never with a traceback.
"""

from __future__ import annotations

import argparse

from geometry.model import GeometryError
from geometry.output import print_result


def cmd_analyze(args: argparse.Namespace) -> int:
    from geometry.analyze import analyze_file, describe

    analysis = analyze_file(args.file, units=args.units)
    print_result(analysis.as_dict(), args.json, describe(analysis))
    return 0


def cmd_part(args: argparse.Namespace) -> int:
    from geometry.extract import extract_part

    kind, data = extract_part(args.file, args.index, units=args.units)
    if not args.out.lower().endswith(f".{kind}"):
        raise SystemExit(f"part: this part can be written as .{kind} only")
    with open(args.out, "wb") as fh:
        fh.write(data)
    print_result({"out": args.out, "format": kind, "bytes": len(data)}, args.json, f"wrote {args.out}")
    return 0


def cmd_quote(args: argparse.Namespace) -> int:
    from geometry.pricing.commands import run_quote

    return run_quote(args)


def cmd_catalog(args: argparse.Namespace) -> int:
    from geometry.pricing.commands import run_catalog

    return run_catalog(args)


def cmd_preview(args: argparse.Namespace) -> int:
    from geometry.analyze import default_limits, load_mesh
    from geometry.preview import write_previews

    if not (args.png or args.glb or args.thickness_glb):
        raise SystemExit("preview: give at least one of --png, --glb, --thickness-glb")
    mesh = load_mesh(args.file)
    if args.png or args.glb:
        write_previews(mesh, png_path=args.png, glb_path=args.glb)
    data: dict = {"png": args.png, "glb": args.glb, "thickness_glb": args.thickness_glb}
    written = [p for p in (args.png, args.glb) if p]
    if args.thickness_glb:
        from geometry.limits import GLB_MAX_FACES
        from geometry.thickness import legend, reach_for, thickness_map, write_thickness_glb

        minimum = args.min_wall or max((lim.min_wall_mm for lim in default_limits()), default=1.0)
        measured = thickness_map(mesh, reach_for(minimum))
        write_thickness_glb(mesh, measured.facet_mm, minimum, args.thickness_glb, GLB_MAX_FACES)
        data["thickness"] = legend(minimum, measured)
        thinnest = data["thickness"]["thinnest_mm"]
        written.append(
            f"{args.thickness_glb} (red below {minimum:g} mm; thinnest wall "
            + (f"{thinnest:.2f} mm" if thinnest is not None else f"over {2 * minimum:g} mm")
            + (f"; measured on {measured.rays:,} of {measured.facets:,} facets" if measured.sampled else "")
            + ")"
        )
    print_result(data, args.json, "wrote " + ", ".join(written))
    return 0


def _sandbox_for_one_command(args: argparse.Namespace) -> None:
    """A STEP file is read in the sandbox: one command runs a job or two there, so its warm
    parent skips the warm-up that only a long-lived worker gains from (1-2 s)."""
    from geometry.formats import detect_format

    try:
        is_step = bool(getattr(args, "file", None)) and detect_format(args.file) == "step"
    except GeometryError:  # the command itself says what is wrong with the file, in its turn
        return
    if is_step:
        from geometry.sandbox import few_jobs_default

        few_jobs_default()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m geometry")
    commands = parser.add_subparsers(dest="command", required=True)

    analyze = commands.add_parser("analyze", help="measure a model and check it")
    analyze.add_argument("file")
    analyze.add_argument("--json", action="store_true")
    analyze.add_argument(
        "--units", choices=("mm", "in"), help="read an STL/OBJ's numbers in these units (default: mm)"
    )
    analyze.set_defaults(handler=cmd_analyze)

    part = commands.add_parser("part", help="write one distinct part of a file as a file of its own")
    part.add_argument("file")
    part.add_argument("--index", type=int, required=True, help="the part's place in analyze's parts, from 0")
    part.add_argument("--out", required=True, help="part.stl for a mesh, part.step for a STEP file")
    part.add_argument("--units", choices=("mm", "in"), help="read an STL/OBJ's numbers in these units")
    part.add_argument("--json", action="store_true")
    part.set_defaults(handler=cmd_part)

    quote = commands.add_parser("quote", help="price a model")
    quote.add_argument("file")
    quote.add_argument("--process", required=True)
    quote.add_argument("--material", required=True)
    quote.add_argument("--quantity", type=int, default=1)
    quote.add_argument("--finish")
    quote.add_argument("--tolerance")
    quote.add_argument("--lead-time", dest="lead_time")
    quote.add_argument("--infill", type=int, help="FDM: percent (15, 20, 40, 100); default: the material's")
    quote.add_argument("--layer", type=float, help="FDM: layer height in mm (0.1, 0.2, 0.3)")
    quote.add_argument("--orientation", help="FDM: as_uploaded (default), flat, fewest_supports")
    quote.add_argument("--slicer", default="prusa-slicer", help="FDM: the PrusaSlicer program to slice with")
    quote.add_argument("--no-slice", dest="no_slice", action="store_true", help="FDM: the instant estimate only")
    quote.add_argument("--json", action="store_true")
    quote.set_defaults(handler=cmd_quote)

    preview = commands.add_parser("preview", help="render a PNG thumbnail, a GLB, a wall-thickness GLB")
    preview.add_argument("file")
    preview.add_argument("--png")
    preview.add_argument("--glb")
    preview.add_argument("--thickness-glb", dest="thickness_glb", help="the model coloured by wall thickness")
    preview.add_argument(
        "--min-wall", dest="min_wall", type=float, help="mm; red below it (default: the largest process minimum)"
    )
    preview.add_argument("--json", action="store_true")
    preview.set_defaults(handler=cmd_preview)

    catalog = commands.add_parser("catalog", help="list the default rate card's options")
    catalog.add_argument("--json", action="store_true")
    catalog.set_defaults(handler=cmd_catalog)
    return parser


def main(argv: list[str] | None = None) -> int:
    from geometry.tuning import tune_process

    args = build_parser().parse_args(argv)
    tune_process()
    try:
        _sandbox_for_one_command(args)
        return args.handler(args)
    except GeometryError as exc:
        error = exc
    except MemoryError:
        error = GeometryError("out_of_memory")
    except Exception as exc:  # the last guard: a person gets a message, never a traceback
        error = GeometryError("internal", type(exc).__name__)
    print_result(error.as_dict(), getattr(args, "json", False), f"error: {error.message}")
    return 2
