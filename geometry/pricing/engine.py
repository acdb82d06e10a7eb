"""The calculation: a part's measurements + options + rate card → an itemised quote.

All money is `Decimal` at full precision until the very end, where each line is rounded once to
0.01. The order of the lines is the order of the calculation:

    material + machine_time + handling + setup + finish        (the base)
    tolerance      = (tolerance multiplier − 1) × (machine time + setup)
    lead_time      = (lead-time multiplier − 1) × everything above
    quantity_discount = −discount × everything above
    minimum_order  = what is missing to reach the card's minimum order value
    subtotal, vat, total

`unit_price_net` is the full-precision subtotal divided by the quantity, rounded once, and
`unit_price` adds VAT to it; both never rise with the quantity. For one part the unit price is
the total; for more, `unit_price × quantity` may differ from `total` by a few kopecks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, is_dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from geometry.limits import INFILLS, LAYERS, ORIENTATIONS
from geometry.model import Analysis, Finding, GeometryError
from geometry.pricing.fdm import REFERENCE_BUILD_RATE_CM3_H as FDM_REFERENCE_BUILD_RATE
from geometry.pricing.fdm import Surfaces, estimate_print
from geometry.pricing.figures import Driver, PerPart, _dec, _shown, part_extents
from geometry.pricing.milling import milling_per_part
from geometry.pricing.ratecard import Finish, LeadTime, Material, Process, RateCard, Tolerance

CENT = Decimal("0.01")
PI = Decimal("3.141592653589793238462643383")
MAX_QUANTITY = 100_000


def money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


# --- inputs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """What pricing needs of a model: build one from stored figures, or `Part.of(analysis)`."""

    volume_mm3: float
    area_mm2: float
    bbox_mm: tuple[float, float, float]
    obb_mm: tuple[float, float, float] | None = None  # largest first
    holes: int | None = None  # cylindrical holes, known for STEP only
    findings: tuple[Finding, ...] = ()
    machining: dict | None = None  # `geometry.machining`: setups, undercuts, corners, holes
    printing: dict | None = None  # `Analysis.printing`: per print orientation, its height and surfaces

    @classmethod
    def of(cls, source: Part | Analysis) -> Part:
        """The part of an `Analysis` (or a `Part` as it is)."""
        if isinstance(source, Part):
            return source
        return cls(
            volume_mm3=source.volume_mm3,
            area_mm2=source.area_mm2,
            bbox_mm=source.bbox_mm,
            obb_mm=source.obb_mm,
            holes=source.holes,
            findings=tuple(source.findings),
            machining=source.machining,
            printing=source.printing,
        )


@dataclass(frozen=True)
class QuoteOptions:
    process: str
    material: str
    quantity: int = 1
    finish: str | None = None  # None: as machined / as printed
    tolerance: str | None = None  # None: the card's default
    lead_time: str | None = None  # None: the card's default
    # FDM only (ignored for other processes); None: the material's default in the card
    infill: int | None = None  # percent, one of geometry.limits.INFILLS
    layer_mm: float | None = None  # one of geometry.limits.LAYERS
    orientation: str | None = None  # one of geometry.limits.ORIENTATIONS; None: "as_uploaded"


@dataclass(frozen=True)
class Sliced:
    """The slicer's figures for one part (a `geometry.slicer.SliceResult` has these fields and
    more): used for an FDM quote whose material, layer, infill and orientation they were sliced
    with, and ignored for any other."""

    material: str
    layer_mm: float
    infill_percent: int
    orientation: str
    print_seconds: float
    mass_g: float


# --- outputs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    code: str
    label: str
    amount: Decimal


@dataclass(frozen=True)
class PriceBreak:
    quantity: int
    unit_price: Decimal
    total: Decimal


@dataclass(frozen=True)
class Suggestion:
    """Re-priced with one option changed; only made when it saves money per part."""

    code: str  # "lead_time", "quantity", "tolerance", "material"
    label: str
    option: str  # the option that changes
    value: str | int  # its new value
    unit_price: Decimal
    total: Decimal
    saving_per_unit: Decimal
    saving_total: Decimal  # negative for a larger quantity: more parts, less per part
    lead_time_days: int


@dataclass(frozen=True)
class Quote:
    process: str
    material: str
    quantity: int
    finish: str | None
    tolerance: str
    lead_time: str
    currency: str
    lines: tuple[Line, ...]
    unit_price: Decimal  # including VAT
    unit_price_net: Decimal
    subtotal: Decimal
    vat: Decimal
    total: Decimal
    lead_time_days: int
    drivers: tuple[Driver, ...]
    rate_card_name: str
    rate_card_version: str
    price_table: tuple[PriceBreak, ...] = ()
    suggestions: tuple[Suggestion, ...] = ()

    def line(self, code: str) -> Decimal:
        return next(line.amount for line in self.lines if line.code == code)

    def as_dict(self) -> dict:
        return _plain(self)


def _plain(value: Any) -> Any:
    """Dataclasses to dicts, Decimals to strings: ready for json.dumps or a database column."""
    if is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


# --- choosing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """Options resolved against the card: the objects, not their names."""

    process: Process
    material: Material
    quantity: int
    finish: Finish | None
    tolerance: Tolerance
    lead_time: LeadTime
    printing: PrintSettings | None = None  # FDM only
    sliced: Any = None  # a `Sliced` (or a SliceResult) of this part, when there is one


@dataclass(frozen=True)
class PrintSettings:
    infill_percent: int
    layer_mm: float
    orientation: str


def _print_settings(process: Process, material: Material, options: QuoteOptions) -> PrintSettings | None:
    if process.printing is None or process.printing.technology != "fdm":
        return None
    settings = PrintSettings(
        infill_percent=material.default_infill_percent if options.infill is None else options.infill,
        layer_mm=float(material.default_layer_mm if options.layer_mm is None else options.layer_mm),
        orientation=options.orientation or ORIENTATIONS[0],
    )
    if settings.infill_percent not in INFILLS or isinstance(settings.infill_percent, bool):
        raise _unknown("bad_slice_option", settings.infill_percent, [str(v) for v in INFILLS], option="infill")
    if not any(abs(settings.layer_mm - v) < 1e-9 for v in LAYERS):
        raise _unknown("bad_slice_option", options.layer_mm, [str(v) for v in LAYERS], option="layer")
    if settings.orientation not in ORIENTATIONS:
        raise _unknown("bad_slice_option", settings.orientation, list(ORIENTATIONS), option="orientation")
    return settings


def _unknown(code: str, value: object, choices: list[str], **where: str) -> GeometryError:
    return GeometryError(code, value=value, choices=", ".join(choices) if choices else "none", **where)


def resolve(card: RateCard, options: QuoteOptions) -> Choice:
    process = card.process(options.process)
    if process is None:
        raise _unknown("unknown_process", options.process, [p.id for p in card.processes])
    material = process.material(options.material)
    if material is None:
        raise _unknown(
            "unknown_material", options.material, [m.id for m in process.materials], process=process.id
        )
    quantity = options.quantity
    if (
        isinstance(quantity, bool)
        or not isinstance(quantity, int)
        or not (1 <= quantity <= MAX_QUANTITY)
    ):
        raise GeometryError("bad_quantity", max=MAX_QUANTITY)
    finish: Finish | None = None
    if options.finish is not None:
        allowed = card.finishes_for(process.id, material.material_class)
        finish = next((f for f in allowed if f.id == options.finish), None)
        if finish is None:
            raise _unknown(
                "unknown_finish",
                options.finish,
                [f.id for f in allowed],
                process=process.id,
                material=material.id,
            )
    tolerance_id = options.tolerance or card.default_tolerance
    allowed_tolerances = card.tolerances_for(process.id)
    tolerance = next((t for t in allowed_tolerances if t.id == tolerance_id), None)
    if tolerance is None:
        raise _unknown(
            "unknown_tolerance", tolerance_id, [t.id for t in allowed_tolerances], process=process.id
        )
    lead_time = card.lead_time(options.lead_time or card.default_lead_time)
    if lead_time is None:
        raise _unknown("unknown_lead_time", options.lead_time, [t.id for t in card.lead_times])
    printing = _print_settings(process, material, options)
    return Choice(process, material, quantity, finish, tolerance, lead_time, printing)


# --- measuring for a process ---------------------------------------------------------------


def check_part(part: Part, process: Process) -> None:
    """Refuse what cannot be priced: no volume, blocking findings, too large for the machine.

    A blocking finding is raised as a `GeometryError` under the finding's own code and params.
    """
    try:
        volume = _dec(part.volume_mm3)
        area = _dec(part.area_mm2)
        sides = part_extents(part)
    except (AttributeError, TypeError, ValueError, ArithmeticError) as exc:
        raise GeometryError("bad_part", type(exc).__name__) from exc
    if not (volume.is_finite() and area.is_finite() and volume > 0 and area > 0) or not all(
        s.is_finite() and s > 0 for s in sides
    ):
        raise GeometryError("bad_part", "no volume, area or extents")
    for finding in part.findings:
        if finding.severity == "blocking" and finding.process in (None, process.id):
            raise GeometryError(finding.code, "a blocking finding", **finding.params)
    machining = getattr(part, "machining", None) or {}
    rates = process.cnc
    if (
        process.kind == "milling"
        and rates is not None
        and rates.undercut_manual_quote
        and machining.get("undercut_faces")
    ):
        raise GeometryError("undercut", "no 3-axis price", count=int(machining["undercut_faces"]))
    envelope = sorted(process.envelope_mm, reverse=True)
    if any(side > room for side, room in zip(sides, envelope, strict=True)):
        raise GeometryError(
            "exceeds_envelope",
            process=process.id,
            size=" × ".join(f"{s:.1f}" for s in sides),
            envelope=" × ".join(f"{e:.0f}" for e in envelope),
        )


def _cnc_per_part(part: Part, process: Process, material: Material) -> PerPart:
    rates = process.cnc
    assert rates is not None
    if process.kind == "milling":
        return milling_per_part(part, process, material)
    allowance = 2 * rates.stock_allowance_mm
    length, width, height = part_extents(part)
    if process.kind == "turning":
        # a round bar along the longest side, as wide as the larger of the other two
        diameter = max(width, height) + allowance
        stock_mm3 = PI / 4 * diameter * diameter * (length + allowance)
        stock_label = f"Bar stock Ø{diameter:.0f} × {length + allowance:.0f} mm"
        stock_params = {"shape": "bar", "diameter_mm": f"{diameter:.0f}", "length_mm": f"{length + allowance:.0f}"}
    else:
        stock_mm3 = (length + allowance) * (width + allowance) * (height + allowance)
        stock_label = (
            f"Block stock {length + allowance:.0f} × {width + allowance:.0f}"
            f" × {height + allowance:.0f} mm"
        )
        size = " × ".join(f"{e + allowance:.0f}" for e in (length, width, height))
        stock_params = {"shape": "block", "size_mm": size}
    volume_mm3 = _dec(part.volume_mm3)
    removed_cm3 = max(stock_mm3 - volume_mm3, Decimal(0)) / 1000
    area_cm2 = _dec(part.area_mm2) / 100
    stock_kg = stock_mm3 / 1000 * material.density_g_cm3 / 1000

    roughing_min = removed_cm3 / (rates.removal_rate_cm3_min * material.factor)
    finishing_min = area_cm2 / (rates.finishing_rate_cm2_min * material.factor)
    holes = getattr(part, "holes", None)
    holes_min = rates.hole_minutes * holes if holes else Decimal(0)
    hours = (roughing_min + finishing_min + holes_min) / 60

    drivers = [
        Driver("stock", stock_label, _shown(stock_kg, "0.001"), "kg", params=stock_params),
        Driver("removed_volume", "Material removed per part", _shown(removed_cm3), "cm³"),
        Driver("roughing_time", "Roughing per part", _shown(roughing_min), "min"),
        Driver("finishing_time", "Finishing passes per part", _shown(finishing_min), "min"),
    ]
    if holes:
        drivers.append(Driver("holes", f"{holes} holes per part", _shown(holes_min), "min", params={"count": holes}))
    drivers.append(Driver("machine_hours", "Machine time per part", _shown(hours), "h"))
    return PerPart(
        material=stock_kg * material.price_per_kg,
        machine_time=hours * process.hourly_rate,
        machine_hours=hours,
        drivers=tuple(drivers),
    )


def _print_per_part(part: Part, process: Process, material: Material) -> PerPart:
    rates = process.printing
    assert rates is not None
    volume_cm3 = _dec(part.volume_mm3) / 1000
    support_cm3 = volume_cm3 * rates.support_fraction
    used_kg = (volume_cm3 + support_cm3) * material.density_g_cm3 / 1000
    build_height_mm = part_extents(part)[2]  # printed lying flat: the smallest side is up
    build_h = (volume_cm3 + support_cm3) / (rates.build_rate_cm3_h * material.factor)
    layers_h = build_height_mm * rates.layer_hours_per_mm
    hours = build_h + layers_h
    drivers = (
        Driver(
            "material_used", "Material used per part, with supports", _shown(used_kg, "0.001"), "kg"
        ),
        # no slicer for resin or powder here: the build-rate figures are an estimate, said so
        Driver("material_mass", "Material per part", _shown(used_kg * 1000, "0.1"), "g", "estimate"),
        Driver("print_time", "Print time per part", _shown(hours), "h", "estimate"),
        Driver("part_volume", "Part volume", _shown(volume_cm3), "cm³"),
        Driver("build_height", "Build height, printed lying flat", _shown(build_height_mm), "mm"),
        Driver("machine_hours", "Machine time per part", _shown(hours), "h"),
    )
    return PerPart(
        material=used_kg * material.price_per_kg,
        machine_time=hours * process.hourly_rate,
        machine_hours=hours,
        drivers=drivers,
    )


def _slice_for(choice: Choice | None, material: Material) -> Any:
    """The choice's slice when it was sliced with exactly these settings, else None."""
    sliced, settings = (choice.sliced, choice.printing) if choice is not None else (None, None)
    if sliced is None or settings is None:
        return None
    same = (
        sliced.material == material.id
        and abs(float(sliced.layer_mm) - settings.layer_mm) < 1e-9
        and int(sliced.infill_percent) == settings.infill_percent
        and sliced.orientation == settings.orientation
    )
    return sliced if same else None


def _build_height(part: Part, orientation: str) -> Decimal:
    """Without the analysis' figures: as uploaded, the file's own Z; turned by us, lying flat
    with the smallest side up."""
    if orientation == "as_uploaded" and len(part.bbox_mm) == 3 and _dec(part.bbox_mm[2]) > 0:
        return _dec(part.bbox_mm[2])
    return part_extents(part)[2]


def _fdm_per_part(part: Part, process: Process, material: Material, choice: Choice | None) -> PerPart:
    """From the slice when there is one for these settings, else from the calibrated estimate."""
    rates = process.printing
    assert rates is not None
    settings = choice.printing if choice is not None and choice.printing else PrintSettings(
        material.default_infill_percent, float(material.default_layer_mm), ORIENTATIONS[0]
    )
    volume_cm3 = _dec(part.volume_mm3) / 1000
    sliced = _slice_for(choice, material)
    if sliced is not None:
        hours = _dec(sliced.print_seconds) / 3600
        mass_g = _dec(sliced.mass_g)
        source = "slicer"
    else:
        # the build rate in the card scales the estimate's speed (18 cm³/h: the calibrated one)
        speed = material.factor * rates.build_rate_cm3_h / FDM_REFERENCE_BUILD_RATE
        figures = (part.printing or {}).get(settings.orientation)
        estimate = estimate_print(
            volume_mm3=float(part.volume_mm3),
            area_mm2=float(part.area_mm2),
            height_mm=float(figures["height_mm"]) if figures else float(_build_height(part, settings.orientation)),
            layer_mm=settings.layer_mm,
            infill=settings.infill_percent / 100,
            density_g_cm3=float(material.density_g_cm3),
            speed_factor=float(speed),
            surfaces=Surfaces.of(figures) if figures else None,
        )
        hours, mass_g, source = _dec(estimate.hours), _dec(estimate.mass_g), "estimate"
    drivers = (
        Driver("material_mass", "Material per part", _shown(mass_g, "0.1"), "g", source),
        Driver("print_time", "Print time per part", _shown(hours), "h", source),
        Driver("part_volume", "Part volume", _shown(volume_cm3), "cm³"),
        Driver("infill", "Infill", Decimal(settings.infill_percent), "%"),
        Driver("layer_height", "Layer height", _shown(_dec(settings.layer_mm)), "mm"),
        Driver("machine_hours", "Machine time per part", _shown(hours), "h"),
    )
    return PerPart(
        material=mass_g / 1000 * material.price_per_kg,
        machine_time=hours * process.hourly_rate,
        machine_hours=hours,
        drivers=drivers,
    )


def per_part_costs(part: Part, process: Process, material: Material, choice: Choice | None = None) -> PerPart:
    if process.kind == "printing":
        if process.printing is not None and process.printing.technology == "fdm":
            return _fdm_per_part(part, process, material, choice)
        return _print_per_part(part, process, material)
    return _cnc_per_part(part, process, material)


# --- pricing -------------------------------------------------------------------------------


LABELS = {
    "material": "Material",
    "machine_time": "Machine time",
    "handling": "Handling and inspection",
    "setup": "Setup and programming (once per part design)",
    "finish": "Finish",
    "tolerance": "Tolerance",
    "lead_time": "Lead time",
    "quantity_discount": "Quantity discount",
    "minimum_order": "Minimum order top-up",
    "subtotal": "Subtotal",
    "vat": "VAT",
    "total": "Total",
}


def price(
    part: Part | Analysis, card: RateCard, options: QuoteOptions, sliced: Any = None, *, alone: bool = True
) -> Quote:
    """Price one choice of options: the lines, unit price and lead time, nothing more.

    `alone`: the part as an order of its own, with its setup and the minimum order top-up. An
    order of several lines charges those once, at the order (see `setup_charge`).
    `sliced`: the part's slice (`Sliced` or `geometry.slicer.SliceResult`); FDM prices from it
    when it matches the options, and from the estimate otherwise."""
    part = Part.of(part)
    choice = replace(resolve(card, options), sliced=sliced)
    check_part(part, choice.process)
    return price_choice(part, card, choice, setup=alone, minimum=alone)


def setup_charge(part: Part | Analysis, card: RateCard, options: QuoteOptions) -> Decimal:
    """The setup and programming of one part design, net of VAT, as its options price it (its
    tolerance and lead time apply to it too): charged once per design in an order."""
    part = Part.of(part)
    choice = resolve(card, options)
    check_part(part, choice.process)
    with_setup = price_choice(part, card, choice, setup=True, minimum=False)
    return with_setup.subtotal - price_choice(part, card, choice, setup=False, minimum=False).subtotal


def price_choice(part: Part, card: RateCard, choice: Choice, *, setup: bool = True, minimum: bool = True) -> Quote:
    process, material, quantity = choice.process, choice.material, choice.quantity
    q = Decimal(quantity)
    each = per_part_costs(part, process, material, choice)
    setup_hours = each.setup_hours if each.setup_hours is not None else process.setup_hours
    area_cm2 = _dec(part.area_mm2) / 100

    finish_each = Decimal(0)
    if choice.finish is not None:
        finish_each = choice.finish.per_part + choice.finish.per_cm2 * area_cm2

    full: dict[str, Decimal] = {
        "material": each.material * q,
        "machine_time": each.machine_time * q,
        "handling": process.handling_per_part * q,
        "setup": setup_hours * process.hourly_rate if setup else Decimal(0),
        "finish": finish_each * q,
    }
    full["tolerance"] = (choice.tolerance.multiplier - 1) * (full["machine_time"] + full["setup"])
    full["lead_time"] = (choice.lead_time.multiplier - 1) * sum(full.values())
    discount = card.discount_for(quantity)
    full["quantity_discount"] = -discount * sum(full.values())
    net_full = sum(full.values())

    full["minimum_order"] = max(card.minimum_order - net_full, Decimal(0)) if minimum else Decimal(0)
    net_full += full["minimum_order"]

    # Rounded once, here: each line is the step between rounded running totals, so the lines
    # add up exactly to the rounded subtotal (a line may differ from its own rounding by 0.01).
    amounts: dict[str, Decimal] = {}
    running, shown = Decimal(0), Decimal(0)
    for code, amount in full.items():
        running += amount
        amounts[code] = money(running) - shown
        shown += amounts[code]
    subtotal = shown  # == money(net_full)
    vat = money(subtotal * card.vat_rate)
    total = subtotal + vat

    unit_net = money(net_full / q)
    unit_gross = money(unit_net * (1 + card.vat_rate))

    lines = [
        Line(code, _label(code, choice, discount, card), amount) for code, amount in amounts.items()
    ]
    lines += [
        Line("subtotal", LABELS["subtotal"], subtotal),
        Line("vat", _label("vat", choice, discount, card), vat),
        Line("total", LABELS["total"], total),
    ]

    machine_hours_order = each.machine_hours * q + setup_hours  # the shop's time, charged or not
    production_days = math.ceil(machine_hours_order / card.production_hours_per_day)
    days = choice.lead_time.days + (choice.finish.extra_days if choice.finish else 0)
    days += max(production_days - 1, 0)

    drivers = each.drivers + (
        Driver("setup_hours", "Setup and programming, once per part design", setup_hours, "h"),
    )
    return Quote(
        process=process.id,
        material=material.id,
        quantity=quantity,
        finish=choice.finish.id if choice.finish else None,
        tolerance=choice.tolerance.id,
        lead_time=choice.lead_time.id,
        currency=card.currency,
        lines=tuple(lines),
        unit_price=unit_gross,
        unit_price_net=unit_net,
        subtotal=subtotal,
        vat=vat,
        total=total,
        lead_time_days=days,
        drivers=drivers,
        rate_card_name=card.name,
        rate_card_version=card.version,
    )


def _label(code: str, choice: Choice, discount: Decimal, card: RateCard) -> str:
    if code == "material":
        return f"{LABELS['material']}: {choice.material.name}"
    if code == "machine_time":
        return f"{LABELS['machine_time']}: {choice.process.name}"
    if code == "finish":
        return f"{LABELS['finish']}: {choice.finish.name}" if choice.finish else "No finish"
    if code == "tolerance":
        return f"{LABELS['tolerance']}: {choice.tolerance.name}"
    if code == "lead_time":
        return f"{LABELS['lead_time']}: {choice.lead_time.name}"
    if code == "quantity_discount":
        return f"{LABELS['quantity_discount']} {_percent(discount)} %"
    if code == "vat":
        return f"VAT {_percent(card.vat_rate)} %"
    return LABELS[code]


def _percent(fraction: Decimal) -> str:
    """0.125 → "12.5", 0.2 → "20"."""
    text = f"{fraction * 100:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def price_table(part: Part, card: RateCard, choice: Choice) -> tuple[PriceBreak, ...]:
    rows = []
    for brk in card.quantity_breaks:
        if brk.quantity > MAX_QUANTITY:
            continue
        quoted = price_choice(part, card, replace(choice, quantity=brk.quantity))
        rows.append(PriceBreak(brk.quantity, quoted.unit_price, quoted.total))
    return tuple(rows)

