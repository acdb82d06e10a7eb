"""The rate card: what a shop charges, as data.

A rate card is read from TOML text, a TOML file or a plain dict (the portal keeps an editable copy
in its database) and becomes frozen dataclasses. Every amount is a `Decimal`: TOML numbers are
parsed straight into `Decimal`, and floats in a dict go through `str()` first, so 0.2 stays 0.2.

Anything wrong raises `GeometryError("bad_rate_card", ...)` with the dotted name of the bad key,
for example `processes.cnc_milling.materials.al6061.price_per_kg`.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

from geometry.limits import INFILLS, LAYERS
from geometry.model import GeometryError

Kind = Literal["milling", "turning", "printing"]
KINDS: tuple[str, ...] = ("milling", "turning", "printing")
TECHNOLOGIES: tuple[str, ...] = ("fdm", "sla", "sls")


@dataclass(frozen=True)
class Material:
    id: str
    name: str
    material_class: str  # "aluminium", "steel", "plastic", "resin", ...
    density_g_cm3: Decimal
    price_per_kg: Decimal
    # CNC: machinability (1 = the reference aluminium; lower is slower to cut).
    # Printing: build-rate factor (1 = the process's nominal build rate).
    factor: Decimal
    name_ru: str = ""  # the name on Russian pages; empty: the English name
    # FDM: what the shop prints with unless the customer chooses otherwise
    default_infill_percent: int = 20
    default_layer_mm: Decimal = Decimal("0.2")


@dataclass(frozen=True)
class CncRates:
    removal_rate_cm3_min: Decimal  # material removal rate at machinability 1
    finishing_rate_cm2_min: Decimal  # finishing passes over the part's surface at machinability 1
    hole_minutes: Decimal  # per hole, when the number of holes is known (STEP)
    stock_allowance_mm: Decimal  # added on each side of the part to size the stock (turning)
    # milling from how the part is cut (`geometry.machining`); each has a default for older cards
    stock_side_allowance_mm: Decimal = Decimal(2)  # plate sawn to size: this much on each side
    stock_top_allowance_mm: Decimal = Decimal(1)  # faced off each machined side
    plate_thicknesses_mm: tuple[Decimal, ...] = ()  # stock plate sizes; empty: the part's own
    skin_rate_cm2_min: Decimal = Decimal(10)  # facing and contouring the allowance (stock sides, tops)
    drill_feed_mm_min: Decimal = Decimal(600)  # drilling, on top of `hole_minutes` a hole
    pocket_rate_cm3_min: Decimal = Decimal(0)  # removal inside the part's box; 0: the removal rate
    wall_rate_cm2_min: Decimal = Decimal(0)  # the end mill down the walls, layer by layer
    freeform_finish_rate_cm2_min: Decimal = Decimal(0)  # 3D surfaces, ball nose; 0: a third of it
    setup_hours_per_setup: Decimal = Decimal("0.5")  # once per order, for each setup after the first
    setup_minutes_per_part: Decimal = Decimal(2)  # each part, each setup: clamping and zeroing
    deep_hole_factor: Decimal = Decimal("2.5")  # a hole deeper than 6 × D: peck drilling
    nonstandard_hole_factor: Decimal = Decimal("2")  # a hole no standard drill makes: milled
    roughing_tool_mm: Decimal = Decimal(10)  # inside corners tighter than this end mill leaves ...
    rest_minutes_per_layer: Decimal = Decimal("0.25")  # ... are cleared layer by layer with their own
    deep_pocket_factor: Decimal = Decimal("1.5")  # pockets deeper than 4 × their end mill: this longer
    undercut_manual_quote: bool = True  # faces no 3-axis direction reaches: no instant price


@dataclass(frozen=True)
class PrintRates:
    build_rate_cm3_h: Decimal  # deposited / cured / sintered volume per hour
    layer_hours_per_mm: Decimal  # time per mm of build height (layer changes, recoating)
    support_fraction: Decimal  # support or waste material, as a fraction of the part volume
    # "fdm": priced from a slice (or the estimate calibrated against one); "sla", "sls" or "":
    # from the build rate and the build height
    technology: str = ""


@dataclass(frozen=True)
class Process:
    id: str
    name: str
    kind: Kind
    hourly_rate: Decimal
    setup_hours: Decimal  # once per part design in an order
    handling_per_part: Decimal  # money: deburring, support removal, cleaning, inspection
    envelope_mm: tuple[Decimal, Decimal, Decimal]
    min_wall_mm: Decimal
    materials: tuple[Material, ...]
    cnc: CncRates | None = None  # set for milling and turning
    printing: PrintRates | None = None  # set for printing
    name_ru: str = ""

    def material(self, material_id: str) -> Material | None:
        return next((m for m in self.materials if m.id == material_id), None)


@dataclass(frozen=True)
class Finish:
    id: str
    name: str
    per_part: Decimal
    per_cm2: Decimal
    extra_days: int
    processes: tuple[str, ...]
    material_classes: tuple[str, ...] = ()  # empty: any material
    name_ru: str = ""

    def applies_to(self, process_id: str, material_class: str) -> bool:
        if process_id not in self.processes:
            return False
        return not self.material_classes or material_class in self.material_classes


@dataclass(frozen=True)
class Tolerance:
    id: str
    name: str
    multiplier: Decimal  # on machine time and setup
    processes: tuple[str, ...]
    name_ru: str = ""


@dataclass(frozen=True)
class LeadTime:
    id: str
    name: str
    multiplier: Decimal
    days: int
    name_ru: str = ""


@dataclass(frozen=True)
class QuantityBreak:
    quantity: int
    discount: Decimal  # fraction, 0.10 is 10 % off


@dataclass(frozen=True)
class RateCard:
    name: str
    version: str
    currency: str
    vat_rate: Decimal
    minimum_order: Decimal  # net of VAT
    production_hours_per_day: Decimal
    default_tolerance: str
    default_lead_time: str
    processes: tuple[Process, ...]
    finishes: tuple[Finish, ...]
    tolerances: tuple[Tolerance, ...]  # loosest first; multipliers never fall
    lead_times: tuple[LeadTime, ...]  # slowest first; multipliers never fall, days never rise
    quantity_breaks: tuple[QuantityBreak, ...]  # from quantity 1 up; discounts never fall

    def process(self, process_id: str) -> Process | None:
        return next((p for p in self.processes if p.id == process_id), None)

    def finish(self, finish_id: str) -> Finish | None:
        return next((f for f in self.finishes if f.id == finish_id), None)

    def tolerance(self, tolerance_id: str) -> Tolerance | None:
        return next((t for t in self.tolerances if t.id == tolerance_id), None)

    def lead_time(self, lead_time_id: str) -> LeadTime | None:
        return next((t for t in self.lead_times if t.id == lead_time_id), None)

    def tolerances_for(self, process_id: str) -> tuple[Tolerance, ...]:
        return tuple(t for t in self.tolerances if process_id in t.processes)

    def finishes_for(self, process_id: str, material_class: str) -> tuple[Finish, ...]:
        return tuple(f for f in self.finishes if f.applies_to(process_id, material_class))

    def discount_for(self, quantity: int) -> Decimal:
        discount = Decimal(0)
        for brk in self.quantity_breaks:
            if brk.quantity <= quantity:
                discount = brk.discount
        return discount


# --- reading -------------------------------------------------------------------------------


def load_rate_card(source: str | bytes | os.PathLike | Mapping[str, Any]) -> RateCard:
    """Read a rate card from a dict, a path to a TOML file, or TOML text."""
    if isinstance(source, Mapping):
        return parse_rate_card(source)
    if isinstance(source, bytes):
        source = source.decode("utf-8")
    if isinstance(source, os.PathLike) or (
        isinstance(source, str) and "\n" not in source and source.strip().endswith(".toml")
    ):
        try:
            source = Path(source).read_text(encoding="utf-8")
        except OSError as exc:
            raise GeometryError("bad_rate_card", key="the file", problem=f"cannot be read ({exc})") from exc
    if not isinstance(source, str):
        raise GeometryError("bad_rate_card", key="the card", problem="must be TOML text, a path or a dict")
    try:
        data = tomllib.loads(source, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise GeometryError("bad_rate_card", key="the card", problem=f"is not valid TOML ({exc})") from exc
    return parse_rate_card(data)


def _bad(key: str, problem: str) -> GeometryError:
    return GeometryError("bad_rate_card", key=key, problem=problem)


class _Table:
    """One TOML table being read: remembers its dotted path and refuses keys nobody asked for."""

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, Mapping):
            raise _bad(path or "the card", "must be a table")
        self.data = data
        self.path = path
        self.used: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def raw(self, name: str, default: Any = ...) -> Any:
        self.used.add(name)
        if name not in self.data:
            if default is ...:
                raise _bad(self.key(name), "is missing")
            return default
        return self.data[name]

    def text(self, name: str, default: Any = ...) -> str:
        value = self.raw(name, default)
        if not isinstance(value, str) or not value.strip():
            raise _bad(self.key(name), "must be a non-empty string")
        return value

    def optional_text(self, name: str) -> str:
        value = self.raw(name, "")
        if not isinstance(value, str):
            raise _bad(self.key(name), "must be a string")
        return value.strip()

    def number(
        self,
        name: str,
        *,
        minimum: str = "0",
        positive: bool = False,
        below: str | None = None,
        default: Any = ...,
    ) -> Decimal:
        value = self.raw(name, default)
        amount = _decimal(value, self.key(name))
        if positive and amount <= 0:
            raise _bad(self.key(name), f"must be greater than 0 (got {value!r})")
        if amount < Decimal(minimum):
            raise _bad(self.key(name), f"must be at least {minimum} (got {value!r})")
        if below is not None and amount >= Decimal(below):
            raise _bad(self.key(name), f"must be below {below} (got {value!r})")
        return amount

    def integer(self, name: str, *, minimum: int = 0, default: Any = ...) -> int:
        value = self.raw(name, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise _bad(self.key(name), f"must be a whole number (got {value!r})")
        if value < minimum:
            raise _bad(self.key(name), f"must be at least {minimum} (got {value!r})")
        return value

    def names(self, name: str, default: Any = ...) -> tuple[str, ...]:
        value = self.raw(name, default)
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v for v in value):
            raise _bad(self.key(name), "must be a list of names")
        return tuple(value)

    def table(self, name: str) -> _Table:
        return _Table(self.raw(name), self.key(name))

    def tables(self, name: str) -> list[_Table]:
        value = self.raw(name)
        if not isinstance(value, list) or not value:
            raise _bad(self.key(name), "must be a non-empty list of tables")
        return [_Table(item, f"{self.key(name)}[{i}]") for i, item in enumerate(value)]

    def done(self) -> None:
        extra = sorted(str(k) for k in self.data if k not in self.used)
        if extra:
            raise _bad(self.key(extra[0]), "is not a known setting")


def _decimal(value: Any, key: str) -> Decimal:
    if isinstance(value, bool):
        raise _bad(key, f"must be a number (got {value!r})")
    if isinstance(value, float):
        value = str(value)
    try:
        amount = Decimal(value) if isinstance(value, int | str | Decimal) else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise _bad(key, f"must be a number (got {value!r})")
    return amount


def _ident(name: Any, key: str) -> str:
    if not isinstance(name, str) or not name or not name.replace("_", "").isalnum():
        raise _bad(key, "must be a name of letters, digits and underscores")
    return name


def parse_rate_card(data: Mapping[str, Any]) -> RateCard:
    card = _Table(data, "")
    name = card.text("name")
    version = card.text("version")
    currency = card.text("currency")
    vat_rate = card.number("vat_rate", below="1")
    minimum_order = card.number("minimum_order")
    hours_per_day = card.number("production_hours_per_day", positive=True, default=Decimal(16))
    default_tolerance = card.text("default_tolerance")
    default_lead_time = card.text("default_lead_time")

    processes = _processes(card.table("processes"))
    process_ids = {p.id for p in processes}
    finishes = _finishes(card.table("finishes"), process_ids) if "finishes" in data else ()
    card.used.add("finishes")
    tolerances = _tolerances(card, process_ids)
    lead_times = _lead_times(card)
    breaks = _quantity_breaks(card)
    card.done()

    if not any(t.id == default_tolerance for t in tolerances):
        raise _bad("default_tolerance", f"names no tolerance ({default_tolerance!r})")
    if not any(t.id == default_lead_time for t in lead_times):
        raise _bad("default_lead_time", f"names no lead time ({default_lead_time!r})")
    for process in processes:
        if not any(process.id in t.processes for t in tolerances):
            raise _bad(f"processes.{process.id}", "has no tolerance class")

    return RateCard(
        name=name,
        version=version,
        currency=currency,
        vat_rate=vat_rate,
        minimum_order=minimum_order,
        production_hours_per_day=hours_per_day,
        default_tolerance=default_tolerance,
        default_lead_time=default_lead_time,
        processes=processes,
        finishes=finishes,
        tolerances=tolerances,
        lead_times=lead_times,
        quantity_breaks=breaks,
    )


def _processes(table: _Table) -> tuple[Process, ...]:
    processes = []
    for process_id in table.data:
        key = _ident(process_id, table.key(str(process_id)))
        processes.append(_process(process_id, table.table(key)))
    if not processes:
        raise _bad("processes", "must list at least one process")
    return tuple(processes)


def _process(process_id: str, t: _Table) -> Process:
    kind = t.text("kind")
    if kind not in KINDS:
        raise _bad(t.key("kind"), f"must be one of {', '.join(KINDS)} (got {kind!r})")
    envelope = t.raw("envelope_mm")
    if not isinstance(envelope, list | tuple) or len(envelope) != 3:
        raise _bad(t.key("envelope_mm"), "must be three lengths [x, y, z]")
    envelope_mm = tuple(_decimal(v, t.key("envelope_mm")) for v in envelope)
    if any(v <= 0 for v in envelope_mm):
        raise _bad(t.key("envelope_mm"), "must be three positive lengths")

    cnc = printing = None
    if kind == "printing":
        technology = t.optional_text("technology") or (process_id if process_id in TECHNOLOGIES else "")
        if technology and technology not in TECHNOLOGIES:
            raise _bad(t.key("technology"), f"must be one of {', '.join(TECHNOLOGIES)} (got {technology!r})")
        printing = PrintRates(
            build_rate_cm3_h=t.number("build_rate_cm3_h", positive=True),
            layer_hours_per_mm=t.number("layer_hours_per_mm"),
            support_fraction=t.number("support_fraction"),
            technology=technology,
        )
    else:
        cnc = CncRates(
            removal_rate_cm3_min=t.number("removal_rate_cm3_min", positive=True),
            finishing_rate_cm2_min=t.number("finishing_rate_cm2_min", positive=True),
            hole_minutes=t.number("hole_minutes"),
            stock_allowance_mm=t.number("stock_allowance_mm"),
            **_milling_rates(t),
        )

    materials_table = t.table("materials")
    fdm = printing is not None and printing.technology == "fdm"
    materials = tuple(
        _material(m_id, materials_table.table(_ident(m_id, materials_table.key(str(m_id)))), fdm)
        for m_id in materials_table.data
    )
    if not materials:
        raise _bad(t.key("materials"), "must list at least one material")

    process = Process(
        id=process_id,
        name=t.text("name"),
        kind=kind,  # type: ignore[arg-type]
        hourly_rate=t.number("hourly_rate", positive=True),
        setup_hours=t.number("setup_hours"),
        handling_per_part=t.number("handling_per_part", default=Decimal(0)),
        envelope_mm=envelope_mm,  # type: ignore[arg-type]
        min_wall_mm=t.number("min_wall_mm", positive=True),
        materials=materials,
        cnc=cnc,
        printing=printing,
        name_ru=t.optional_text("name_ru"),
    )
    t.done()
    return process


def _milling_rates(t: _Table) -> dict:
    """The keys that follow how a part is milled, each optional (older cards keep loading)."""
    removal = t.number("removal_rate_cm3_min", positive=True)
    finishing = t.number("finishing_rate_cm2_min", positive=True)
    rates = {
        "stock_side_allowance_mm": t.number("stock_side_allowance_mm", default=Decimal(2)),
        "stock_top_allowance_mm": t.number("stock_top_allowance_mm", default=Decimal(1)),
        "skin_rate_cm2_min": t.number("skin_rate_cm2_min", positive=True, default=Decimal(10)),
        "drill_feed_mm_min": t.number("drill_feed_mm_min", positive=True, default=Decimal(600)),
        "pocket_rate_cm3_min": t.number("pocket_rate_cm3_min", positive=True, default=removal),
        "wall_rate_cm2_min": t.number("wall_rate_cm2_min", positive=True, default=finishing),
        "freeform_finish_rate_cm2_min": t.number(
            "freeform_finish_rate_cm2_min", positive=True, default=finishing / 3
        ),
        "setup_hours_per_setup": t.number("setup_hours_per_setup", default=Decimal("0.5")),
        "setup_minutes_per_part": t.number("setup_minutes_per_part", default=Decimal(2)),
        "deep_hole_factor": t.number("deep_hole_factor", minimum="1", default=Decimal("2.5")),
        "nonstandard_hole_factor": t.number("nonstandard_hole_factor", minimum="1", default=Decimal(2)),
        "roughing_tool_mm": t.number("roughing_tool_mm", positive=True, default=Decimal(10)),
        "rest_minutes_per_layer": t.number("rest_minutes_per_layer", default=Decimal("0.25")),
        "deep_pocket_factor": t.number("deep_pocket_factor", minimum="1", default=Decimal("1.5")),
    }
    plates = t.raw("plate_thicknesses_mm", [])
    if not isinstance(plates, list | tuple):
        raise _bad(t.key("plate_thicknesses_mm"), "must be a list of thicknesses")
    sizes = tuple(sorted(_decimal(v, t.key("plate_thicknesses_mm")) for v in plates))
    if any(v <= 0 for v in sizes):
        raise _bad(t.key("plate_thicknesses_mm"), "must be positive thicknesses")
    rates["plate_thicknesses_mm"] = sizes
    manual = t.raw("undercut_manual_quote", True)
    if isinstance(manual, str) and manual.strip().lower() in ("true", "false"):  # as a form sends it
        manual = manual.strip().lower() == "true"
    if not isinstance(manual, bool):
        raise _bad(t.key("undercut_manual_quote"), "must be true or false")
    rates["undercut_manual_quote"] = manual
    return rates


def _material(material_id: str, t: _Table, fdm: bool = False) -> Material:
    material = Material(
        id=material_id,
        name=t.text("name"),
        material_class=t.text("class"),
        density_g_cm3=t.number("density_g_cm3", positive=True),
        price_per_kg=t.number("price_per_kg"),
        factor=t.number("factor", positive=True),
        name_ru=t.optional_text("name_ru"),
    )
    if fdm:  # the shop's defaults; a card saved before they existed prints at 20 % and 0.2 mm
        infill = t.integer("default_infill_percent", default=20)
        if infill not in INFILLS:
            raise _bad(t.key("default_infill_percent"), f"must be one of {', '.join(map(str, INFILLS))}")
        layer = t.number("default_layer_mm", positive=True, default=Decimal("0.2"))
        if float(layer) not in LAYERS:
            raise _bad(t.key("default_layer_mm"), f"must be one of {', '.join(map(str, LAYERS))}")
        material = replace(material, default_infill_percent=infill, default_layer_mm=layer)
    t.done()
    return material


def _finishes(table: _Table, process_ids: set[str]) -> tuple[Finish, ...]:
    finishes = []
    for finish_id in table.data:
        t = table.table(_ident(finish_id, table.key(str(finish_id))))
        finish = Finish(
            id=finish_id,
            name=t.text("name"),
            per_part=t.number("per_part", default=Decimal(0)),
            per_cm2=t.number("per_cm2", default=Decimal(0)),
            extra_days=t.integer("extra_days", default=0),
            processes=_known(t, "processes", process_ids),
            material_classes=t.names("material_classes", default=[]),
            name_ru=t.optional_text("name_ru"),
        )
        t.done()
        finishes.append(finish)
    return tuple(finishes)


def _known(t: _Table, name: str, process_ids: set[str]) -> tuple[str, ...]:
    names = t.names(name)
    for process_id in names:
        if process_id not in process_ids:
            raise _bad(t.key(name), f"names an unknown process {process_id!r}")
    return names


def _unique(items: list, key: str) -> None:
    ids = [item.id for item in items]
    for item_id in ids:
        if ids.count(item_id) > 1:
            raise _bad(key, f"lists {item_id!r} twice")


def _tolerances(card: _Table, process_ids: set[str]) -> tuple[Tolerance, ...]:
    tolerances = []
    for t in card.tables("tolerances"):
        tolerances.append(
            Tolerance(
                id=_ident(t.raw("id"), t.key("id")),
                name=t.text("name"),
                multiplier=t.number("multiplier", positive=True),
                processes=_known(t, "processes", process_ids),
                name_ru=t.optional_text("name_ru"),
            )
        )
        t.done()
    _unique(tolerances, "tolerances")
    for looser, finer in zip(tolerances, tolerances[1:], strict=False):
        if finer.multiplier < looser.multiplier:
            raise _bad(
                f"tolerances ({finer.id})",
                f"must not cost less than the looser {looser.id}: list tolerances loosest first",
            )
    return tuple(tolerances)


def _lead_times(card: _Table) -> tuple[LeadTime, ...]:
    lead_times = []
    for t in card.tables("lead_times"):
        lead_times.append(
            LeadTime(
                id=_ident(t.raw("id"), t.key("id")),
                name=t.text("name"),
                multiplier=t.number("multiplier", positive=True),
                days=t.integer("days", minimum=1),
                name_ru=t.optional_text("name_ru"),
            )
        )
        t.done()
    _unique(lead_times, "lead_times")
    for slower, faster in zip(lead_times, lead_times[1:], strict=False):
        if faster.multiplier < slower.multiplier or faster.days > slower.days:
            raise _bad(
                f"lead_times ({faster.id})",
                f"must be faster and not cheaper than {slower.id}: list lead times slowest first",
            )
    return tuple(lead_times)


def _quantity_breaks(card: _Table) -> tuple[QuantityBreak, ...]:
    breaks = []
    for t in card.tables("quantity_breaks"):
        breaks.append(
            QuantityBreak(
                quantity=t.integer("quantity", minimum=1),
                discount=t.number("discount", below="1"),
            )
        )
        t.done()
    if breaks[0].quantity != 1:
        raise _bad("quantity_breaks", "must start at quantity 1")
    for smaller, larger in zip(breaks, breaks[1:], strict=False):
        if larger.quantity <= smaller.quantity:
            raise _bad("quantity_breaks", f"must rise: {larger.quantity} after {smaller.quantity}")
        if larger.discount < smaller.discount:
            raise _bad(
                "quantity_breaks",
                f"discount for {larger.quantity} must not be below that for {smaller.quantity}",
            )
    return tuple(breaks)
