"""`python -m geometry quote` and `python -m geometry catalog`.

Errors are raised as `GeometryError`; `geometry.cli` turns them into exit 2 and a JSON error.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from geometry.model import GeometryError
from geometry.output import print_result
from geometry.pricing import QuoteOptions, catalog, default_rate_card, quote
from geometry.pricing.engine import Choice, Quote, resolve

if TYPE_CHECKING:
    from geometry.slicer import SliceResult


def run_quote(args: argparse.Namespace) -> int:
    card = default_rate_card()
    options = QuoteOptions(
        process=args.process,
        material=args.material,
        quantity=args.quantity,
        finish=args.finish,
        tolerance=args.tolerance,
        lead_time=args.lead_time,
        infill=args.infill,
        layer_mm=args.layer,
        orientation=args.orientation,
    )
    choice = resolve(card, options)  # check the options before reading the file: a typo answers at once

    from geometry.analyze import analyze_file

    analysis = analyze_file(args.file)
    sliced, why_not = None, None
    if choice.printing is not None and not args.no_slice:
        sliced, why_not = slice_for_quote(args.file, choice, args.slicer)
    result = quote(analysis, card, options, sliced=sliced)
    data = result.as_dict()
    text = describe_quote(result)
    if why_not is not None:  # the price stands on the estimate; say why
        data["slice_error"] = why_not.as_dict()["error"]
        text += f"\n\nPrint time and material are estimated: {why_not.message}"
    print_result(data, args.json, text)
    return 0


def slice_for_quote(path: str, choice: Choice, slicer: str) -> tuple[SliceResult | None, GeometryError | None]:
    """The part sliced with the quote's FDM settings, or why not (the quote keeps its estimate)."""
    from geometry.sandbox import Sandbox
    from geometry.slicer import SliceOptions, slice_model

    settings = choice.printing
    assert settings is not None
    options = SliceOptions(
        material=choice.material.id,
        density_g_cm3=float(choice.material.density_g_cm3),
        layer_mm=settings.layer_mm,
        infill_percent=settings.infill_percent,
        orientation=settings.orientation,
    )
    try:
        with Sandbox(preload=("geometry.slicer", "geometry.analyze"), warmup=()) as sandbox:
            return slice_model(path, options, slicer, sandbox), None
    except GeometryError as error:  # the part was measured: its price stands on the estimate
        return None, error


def run_catalog(args: argparse.Namespace) -> int:
    data = catalog(default_rate_card())
    print_result(data, args.json, describe_catalog(data))
    return 0


def describe_quote(q: Quote) -> str:
    cur = q.currency
    out = [
        f"{q.quantity} × {q.material} by {q.process}, tolerance {q.tolerance}, "
        f"lead time {q.lead_time} ({q.lead_time_days} days)"
        + (f", finish {q.finish}" if q.finish else ""),
        "",
    ]
    for line in q.lines:
        if line.code in ("subtotal", "total"):
            out.append("-" * 60)
        out.append(f"  {line.label:<44} {line.amount:>12} {cur}")
    out.append(f"  {'Unit price incl. VAT':<44} {q.unit_price:>12} {cur}")
    out += ["", "What drives the price (per part):"]
    out += [
        f"  {d.label:<44} {d.value:>12} {d.unit}" + (f"  ({d.source})" if d.source else "") for d in q.drivers
    ]
    out += ["", "Price by quantity:"]
    out += [
        f"  {row.quantity:>6} pcs  {row.unit_price:>12} {cur}/pc  {row.total:>14} {cur}"
        for row in q.price_table
    ]
    if q.suggestions:
        out += ["", "Cheaper if:"]
        out += [f"  {s.label}: {s.saving_per_unit} {cur} less per part" for s in q.suggestions]
    out += ["", f"Rate card: {q.rate_card_name}, version {q.rate_card_version}"]
    return "\n".join(out)


def describe_catalog(data: dict) -> str:
    out = [
        f"{data['name']} (version {data['version']}), prices in {data['currency']}, "
        f"VAT {data['vat_rate']}, minimum order {data['minimum_order']}",
        "",
    ]
    for p in data["processes"]:
        out.append(f"{p['id']}: {p['name']}")
        out.append("  materials: " + ", ".join(m["id"] for m in p["materials"]))
        out.append("  finishes: " + (", ".join(p["finishes"]) or "none"))
        out.append("  tolerances: " + ", ".join(p["tolerances"]))
    out.append("")
    out.append(
        "lead times: " + ", ".join(f"{t['id']} ({t['days']} days)" for t in data["lead_times"])
    )
    out.append("quantity breaks: " + ", ".join(str(b["quantity"]) for b in data["quantity_breaks"]))
    return "\n".join(out)
