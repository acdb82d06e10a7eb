"""Rate cards kept in the database, and the instant quote: measurements + options + rate card →
`geometry.pricing` → an itemised quote, cached per (file hash, units, options, rate-card version).
"""

from __future__ import annotations

import copy
import tomllib
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from threading import Lock
from typing import Any

import holidays
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from litestar.exceptions import NotFoundException
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from geometry.limits import INFILLS, LAYERS, ORIENTATIONS
from geometry.model import Finding, GeometryError
from geometry.pricing import (
    Part,
    Quote,
    QuoteOptions,
    RateCard,
    default_rate_card_text,
    load_rate_card,
    price,
    process_limits,
    quote,
    setup_charge,
)
from geometry.pricing.engine import MAX_QUANTITY, part_extents
from portal.core.forms import FieldError
from portal.core.i18n import N_, local_name
from portal.core.lru import LruCache
from portal.db.models import RateCardVersion, User
from portal.db.turns import take_turns
from portal.quotes.ratecard_history import Change, changes, same_card

# "in" is what the units question answers; "inch" what earlier answers were kept as.
UNITS = {"mm": Decimal(1), "in": Decimal("25.4"), "inch": Decimal("25.4"), "m": Decimal(1000),
         "um": Decimal("0.001")}
# Findings that depend on the part's size: they are measured again after a change of units.
SIZE_FINDINGS = {"units_suspect_small", "units_suspect_large", "exceeds_envelope"}
# Params that are lengths on the part: they scale with it when the units change.
LENGTH_PARAMS = {"thin_wall": ("thickness_mm", "x", "y", "z"), "gaps_closed": ("distance_mm", "tolerance_mm")}


# --------------------------------------------------------------------------- rate cards

CARD_CHANGED = N_("The card changed since you opened it: the fields that differ from the card as it is now are "
                  "marked. Check them and save again.")


def plain(value: Any) -> Any:
    """A card as JSON-ready data: Decimals become text (the card reader takes them exactly)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def default_card_data() -> dict[str, Any]:
    return plain(tomllib.loads(default_rate_card_text(), parse_float=Decimal))


def named_entries(data: dict[str, Any]):
    """(place, entry) for every process, material, finish, tolerance and lead time of a card."""
    for process_id, process in data.get("processes", {}).items():
        yield f"processes.{process_id}", process
        for material_id, material in process.get("materials", {}).items():
            yield f"processes.{process_id}.materials.{material_id}", material
    for finish_id, finish in data.get("finishes", {}).items():
        yield f"finishes.{finish_id}", finish
    for section in ("tolerances", "lead_times"):
        for entry in data.get(section, []):
            yield f"{section}.{entry.get('id')}", entry


def with_russian_names(data: dict[str, Any]) -> dict[str, Any]:
    """A card saved before names in Russian: each entry gets the built-in card's Russian name
    where it has the built-in code and English name, else an empty one for staff to fill."""
    data = copy.deepcopy(data)
    built_in = dict(named_entries(default_card_data()))
    for place, entry in named_entries(data):
        if "name_ru" not in entry:
            known = built_in.get(place, {})
            entry["name_ru"] = known.get("name_ru", "") if known.get("name") == entry.get("name") else ""
    return data


@dataclass(frozen=True)
class CurrentCard:
    card: RateCard
    number: int  # 0: the built-in default, never saved
    data: dict[str, Any]
    key: Any = None  # the saved version's row id: what a cached quote was priced with


_cards: dict[Any, CurrentCard] = {}  # by row id: saved versions never change, so a parsed card is kept
_cards_lock = Lock()


def _default_card() -> CurrentCard:
    with _cards_lock:
        if None not in _cards:
            data = default_card_data()
            _cards[None] = CurrentCard(load_rate_card(data), 0, data)
        return _cards[None]


class RateCardRepository(SQLAlchemyAsyncRepository[RateCardVersion]):
    model_type = RateCardVersion


class RateCardService(SQLAlchemyAsyncRepositoryService[RateCardVersion, RateCardRepository]):
    repository_type = RateCardRepository

    async def current(self) -> CurrentCard:
        session = self.repository.session
        latest = (
            await session.execute(
                select(RateCardVersion.id, RateCardVersion.number).order_by(RateCardVersion.number.desc()).limit(1)
            )
        ).first()
        if latest is None:
            return _default_card()
        row_id, number = latest
        cached = _cards.get(row_id)
        if cached is not None:
            return cached
        row = await self.get(row_id)
        data = with_russian_names(row.data)
        current = CurrentCard(load_rate_card(data), number, data, row_id)
        with _cards_lock:
            _cards[row_id] = current
        return current

    async def save(self, data: dict[str, Any], user_id: Any, base: int | None = None) -> RateCardVersion | None:
        """Validate and store a new version (it prices new quotes at once); None, and no version,
        when nothing differs from the current card.

        `base` is the version the editor was opened at: the form carries every field, so saving it
        over a newer version would silently undo that version's changes; it is refused instead.
        Saves take turns (PostgreSQL), and the unique version number refuses the loser of a race
        the turns do not cover (SQLite's readers do not wait): numbers stay unique and consecutive.

        Raises GeometryError("bad_rate_card") naming the bad key; FieldError("base", CARD_CHANGED).
        """
        session = self.repository.session
        await take_turns(session, "rate-card")
        current = await self.current()
        if same_card(current.data, data):
            return None
        if base is not None and base != current.number:
            raise FieldError("base", CARD_CHANGED)
        number = current.number + 1
        data = {**data, "version": f"{date.today():%Y-%m}.{number}"}
        load_rate_card(data)  # the same reader that prices: it names the bad key
        row = RateCardVersion(number=number, version=data["version"], data=plain(data), created_by_id=user_id)
        try:
            async with session.begin_nested():
                session.add(row)
                await session.flush()
        except IntegrityError as error:  # another save took this number meanwhile
            raise FieldError("base", CARD_CHANGED) from error
        return row

    async def history(self, limit: int = 20) -> list[SavedVersion]:
        """The latest versions, newest first: who saved each, and what it changed from the one before."""
        session = self.repository.session
        query = (
            select(RateCardVersion, User.full_name)
            .outerjoin(User, User.id == RateCardVersion.created_by_id)
            .order_by(RateCardVersion.number.desc())
            .limit(limit + 1)  # the one before the oldest shown, to tell what that one changed
        )
        rows = (await session.execute(query)).all()
        datas = [with_russian_names(row.data) for row, _ in rows]
        if len(rows) <= limit:
            datas.append(default_card_data())  # the first saved version changed the built-in card
        return [
            SavedVersion(row, author, changes(datas[index + 1], datas[index]), datas[index + 1], datas[index])
            for index, (row, author) in enumerate(rows[:limit])
        ]

    async def restore(self, number: int, user_id: Any) -> RateCardVersion | None:
        """An old version saved again as the newest; None when it is the current card already.
        Raises FieldError("base", CARD_CHANGED) when another save took the number meanwhile."""
        session = self.repository.session
        row = await session.scalar(select(RateCardVersion).where(RateCardVersion.number == number))
        if row is None:
            raise NotFoundException()
        return await self.save(with_russian_names(row.data), user_id)


@dataclass
class SavedVersion:
    row: RateCardVersion
    author: str | None  # None: the account is gone
    changes: list[Change]
    before: dict[str, Any]  # the card it changed, and the card it is (for the changes' labels)
    after: dict[str, Any]


def limits_of(card: RateCard):
    """What the analysis checks against: each process's envelope and minimum wall."""
    return process_limits(card)


# --------------------------------------------------------------------------- the part


def findings_in(findings: list[dict[str, Any]], units: str, card: RateCard) -> list[dict[str, Any]]:
    """The file's findings after the customer's choice of units: lengths scaled, the size
    findings left to the quote form, and the thin wall checked again against each process."""
    if units == "mm" or units not in UNITS:
        return findings
    scale = float(UNITS[units])
    kept, wall = [], None
    for finding in findings:
        if finding["code"] in SIZE_FINDINGS:
            continue
        lengths = LENGTH_PARAMS.get(finding["code"], ())
        params = {k: v * scale if k in lengths else v for k, v in (finding.get("params") or {}).items()}
        if finding["code"] == "thin_wall":
            wall = wall or {k: params[k] for k in lengths}  # one per process, all of the same wall
        else:
            kept.append({**finding, "params": params})
    if wall is not None:
        kept += [
            asdict(Finding.of("thin_wall", process=p.id, **wall, min_wall_mm=float(p.min_wall_mm)))
            for p in card.processes
            if wall["thickness_mm"] < p.min_wall_mm
        ]
    return kept


def part_of(metrics: dict[str, Any], findings: list[dict[str, Any]], units: str, card: RateCard) -> Part:
    """The part as pricing sees it, in millimetres after the customer's choice of units."""
    scale = UNITS.get(units, Decimal(1))
    kept = [
        Finding(f["code"], f["severity"], f["message"], f.get("process"), f.get("params") or {})
        for f in findings_in(findings, units, card)
    ]
    return Part(
        volume_mm3=Decimal(str(metrics["volume_mm3"])) * scale**3,
        area_mm2=Decimal(str(metrics["area_mm2"])) * scale**2,
        bbox_mm=tuple(Decimal(str(v)) * scale for v in metrics["bbox_mm"]),
        obb_mm=tuple(Decimal(str(v)) * scale for v in metrics["obb_mm"]) if metrics.get("obb_mm") else None,
        holes=metrics.get("holes"),
        findings=tuple(kept),
        machining=machining_in(metrics.get("machining"), scale),
        printing=printing_in(metrics.get("printing"), float(scale)),
    )


def printing_in(printing: dict[str, Any] | None, scale: float) -> dict[str, Any] | None:
    """The print figures (per orientation) after the customer's choice of units: lengths,
    areas and volumes scaled as such."""
    if not printing or scale == 1:
        return printing
    powers = {"height_mm": 1, "wall_mm2": 2, "skin_mm2": 2, "overhang_mm2": 2, "column_mm3": 3}
    return {
        orientation: {key: value * scale ** powers.get(key, 0) for key, value in figures.items()}
        for orientation, figures in printing.items()
    }


def machining_in(machining: dict[str, Any] | None, scale: Decimal) -> dict[str, Any] | None:
    """The machining figures as pricing takes them: as measured when the file is read in
    millimetres; after another choice of units only the counts (setups, undercut faces), since
    its lengths, radii and end mills were worked out for the other reading."""
    if not machining or scale == 1:
        return machining
    return {key: machining[key] for key in ("setups", "undercut_faces") if key in machining}


def scaled_metrics(metrics: dict[str, Any], units: str) -> dict[str, Any]:
    scale = float(UNITS.get(units, Decimal(1)))
    if scale == 1:
        return metrics
    return {
        **metrics,
        "volume_mm3": metrics["volume_mm3"] * scale**3,
        "area_mm2": metrics["area_mm2"] * scale**2,
        "bbox_mm": [v * scale for v in metrics["bbox_mm"]],
        "obb_mm": [v * scale for v in metrics.get("obb_mm") or metrics["bbox_mm"]],
    }


def fits(part: Part, envelope: tuple) -> bool:
    sides = part_extents(part)
    room = sorted((Decimal(v) for v in envelope), reverse=True)
    return all(side <= space for side, space in zip(sides, room, strict=True))


def blocking(part: Part, process_id: str | None = None) -> list[Finding]:
    """Blocking findings that stop an instant price (the envelope is handled per process)."""
    return [
        f
        for f in part.findings
        if f.severity == "blocking" and f.code != "exceeds_envelope" and f.process in (None, process_id)
    ]


# --------------------------------------------------------------------------- the form


@dataclass
class Choice:
    value: str
    label: str
    disabled_reason: str | None = None  # a message id (translated where shown) or None
    reason_args: dict[str, Any] = field(default_factory=dict)


@dataclass
class QuoteForm:
    """What the customer chose (made valid against the card and the part) and what is on offer."""

    options: QuoteOptions
    processes: list[Choice]
    materials: list[Choice]
    finishes: list[Choice]
    tolerances: list[Choice]
    lead_times: list[Choice]
    quantity_text: str
    errors: dict[str, str] = field(default_factory=dict)
    # FDM only (empty for other processes): how the part is printed
    infills: list[Choice] = field(default_factory=list)
    layers: list[Choice] = field(default_factory=list)
    orientations: list[Choice] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        o = self.options
        chosen = {
            "process": o.process,
            "material": o.material,
            "finish": o.finish or "",
            "tolerance": o.tolerance,
            "lead_time": o.lead_time,
            "quantity": o.quantity,
        }
        if self.infills:
            chosen.update(infill=o.infill, layer=f"{o.layer_mm:g}", orientation=o.orientation)
        return chosen


def _quantity(raw: Any) -> tuple[int | None, str]:
    text = str(raw if raw is not None else "").strip()
    try:
        value = int(text)
    except ValueError:
        return None, text
    return (value, text) if 1 <= value <= MAX_QUANTITY else (None, text)


def build_form(part: Part, card: RateCard, wanted: dict[str, Any]) -> QuoteForm:
    """Resolve the wanted options against the card and the part: an option that does not fit
    falls back to the nearest one that does, and every choice says why it is disabled."""
    errors: dict[str, str] = {}
    processes = []
    for p in card.processes:
        reason = None
        if not fits(part, p.envelope_mm):
            reason = "too_large"
        elif blocking(part, p.id):
            reason = "blocked"
        envelope = " × ".join(f"{v:.0f}" for v in sorted(p.envelope_mm, reverse=True))
        processes.append(Choice(p.id, local_name(p), reason, {"envelope": envelope}))
    usable = [c.value for c in processes if c.disabled_reason is None]
    process_id = wanted.get("process")
    if process_id not in usable:
        process_id = usable[0] if usable else card.processes[0].id
    process = card.process(process_id)
    assert process is not None

    # Only what the chosen process offers is listed: a list of mostly disabled entries helps nobody.
    materials = [Choice(m.id, local_name(m)) for m in process.materials]
    material_id = wanted.get("material")
    material = process.material(material_id) if isinstance(material_id, str) else None
    material = material or process.materials[0]

    finishes = [Choice("", "", None)]  # none: as machined / as printed
    for f in card.finishes:
        if process.id not in f.processes:
            continue
        reason, args = None, {}
        if f.material_classes and material.material_class not in f.material_classes:
            reason, args = "material_class", {"classes": tuple(f.material_classes)}
        finishes.append(Choice(f.id, local_name(f), reason, args))
    finish_id = wanted.get("finish") or None
    if not any(c.value == finish_id and c.disabled_reason is None for c in finishes if c.value):
        finish_id = None

    tolerances = [Choice(t.id, local_name(t)) for t in card.tolerances if process.id in t.processes]
    tolerance_id = wanted.get("tolerance") or card.default_tolerance
    allowed = [c.value for c in tolerances if c.disabled_reason is None]
    if tolerance_id not in allowed:
        tolerance_id = card.default_tolerance if card.default_tolerance in allowed else allowed[0]

    lead_times = [Choice(t.id, local_name(t)) for t in card.lead_times]
    lead_time_id = wanted.get("lead_time") or card.default_lead_time
    if card.lead_time(lead_time_id) is None:
        lead_time_id = card.default_lead_time

    quantity, quantity_text = _quantity(wanted.get("quantity", 1))
    if quantity is None:
        errors["quantity"] = "bad_quantity"
        quantity = 1
    printed = print_settings(process, material, wanted)
    options = QuoteOptions(
        process=process.id,
        material=material.id,
        quantity=quantity,
        finish=finish_id,
        tolerance=tolerance_id,
        lead_time=lead_time_id,
        **(printed.options if printed else {}),
    )
    form = QuoteForm(options, processes, materials, finishes, tolerances, lead_times, quantity_text, errors)
    if printed:
        form.infills, form.layers, form.orientations = printed.infills, printed.layers, printed.orientations
    return form


@dataclass
class PrintChoices:
    options: dict[str, Any]
    infills: list[Choice]
    layers: list[Choice]
    orientations: list[Choice]


def print_settings(process, material, wanted: dict[str, Any]) -> PrintChoices | None:
    """Infill, layer height and orientation of an FDM print: what the customer chose where it is
    on offer, else the material's defaults in the card (None for any other process)."""
    if process.printing is None or process.printing.technology != "fdm":
        return None
    infill = _one_of(wanted.get("infill"), INFILLS, int, material.default_infill_percent)
    layer = _one_of(wanted.get("layer"), LAYERS, float, float(material.default_layer_mm))
    orientation = _one_of(wanted.get("orientation"), ORIENTATIONS, str, ORIENTATIONS[0])
    return PrintChoices(
        {"infill": infill, "layer_mm": layer, "orientation": orientation},
        [Choice(str(v), f"{v} %") for v in INFILLS],
        [Choice(f"{v:g}", f"{v:g}") for v in LAYERS],
        [Choice(v, ORIENTATION_NAMES[v]) for v in ORIENTATIONS],
    )


ORIENTATION_NAMES = {"as_uploaded": N_("as uploaded"), "flat": N_("lying flat"),
                     "fewest_supports": N_("fewest supports")}


def _one_of(raw: Any, offered: tuple, kind: type, default: Any) -> Any:
    try:
        value = kind(raw)
    except (TypeError, ValueError):
        return default
    return value if value in offered else default


# --------------------------------------------------------------------------- quoting


@dataclass(frozen=True)
class QuoteOutcome:
    quote: Quote | None
    review_reason: str | None = None  # why a manual review is needed: a geometry code, or "too_large_for_all"
    review_params: dict[str, Any] = field(default_factory=dict)
    ship_by: date | None = None


class QuoteService:
    """Prices parts; the same (file hash, units, options, rate-card version) is priced once.
    `slices`: where an FDM quote's exact figures come from, once its slice is made (instant
    first, exact next: see `portal.files.slicing`)."""

    def __init__(self, cache_size: int = 4096, slices: Any = None) -> None:
        self.slices = slices
        self._cache: LruCache[Quote] = LruCache(cache_size)
        self._in_order: LruCache[tuple[Quote, Decimal]] = LruCache(cache_size)

    def quote(
        self,
        content_key: str,
        part: Part,
        options: QuoteOptions,
        card: RateCard,
        card_key: Any = None,
        sliced: Any = None,
        keep: bool = True,
    ) -> Quote:
        """Raises GeometryError when the part cannot be priced with these options.

        `content_key` names the measurements (the file's hash and units); `card_key` the rate
        card's saved version (the card's own name and version when it has none); `sliced` the
        part's slice for these options (`portal.files.slicing`): FDM prices from it. `keep=False`
        prices with a card that is not saved (the editor's preview): nothing is kept or reused.
        """
        if not keep:
            return quote(part, card, options, sliced=sliced)
        key = (content_key, options, card_key or (card.name, card.version), sliced)
        return self._cache.get_or_make(key, lambda: quote(part, card, options, sliced=sliced))

    def in_order(
        self,
        content_key: str,
        part: Part,
        options: QuoteOptions,
        card: RateCard,
        card_key: Any = None,
        sliced: Any = None,
    ) -> tuple[Quote, Decimal]:
        """The part as one line of an order (without its setup and the minimum order, which the
        order charges once) and its design's setup charge, net of VAT; `sliced` as for `quote`."""
        key = ("in_order", content_key, options, card_key or (card.name, card.version), sliced)
        return self._in_order.get_or_make(
            key, lambda: (price(part, card, options, sliced, alone=False), setup_charge(part, card, options))
        )

    def outcome(
        self,
        content_key: str,
        part: Part,
        form: QuoteForm,
        card: RateCard,
        card_key: Any = None,
        today: date | None = None,
        sliced: Any = None,
        keep: bool = True,
    ) -> QuoteOutcome:
        stops = blocking(part, form.options.process)
        if stops:
            return QuoteOutcome(None, stops[0].code, dict(stops[0].params))
        if not any(c.disabled_reason is None for c in form.processes):
            return QuoteOutcome(None, "too_large_for_all")
        try:
            priced = self.quote(content_key, part, form.options, card, card_key, sliced, keep)
        except GeometryError as exc:
            return QuoteOutcome(None, exc.code, dict(exc.params))
        return QuoteOutcome(priced, ship_by=ship_by(today or date.today(), priced.lead_time_days))


def ship_by(start: date, business_days: int) -> date:
    """The date `business_days` Russian working days after `start`: no weekends, no public holidays,
    and the government's moved days off (a Saturday made a working day counts)."""
    day = start
    left = business_days
    while left > 0:
        day += timedelta(days=1)
        if _russian_calendar(day.year).is_working_day(day):
            left -= 1
    return day


@lru_cache(maxsize=8)
def _russian_calendar(year: int) -> holidays.HolidayBase:
    # one calendar per year, only ever asked about that year: it is never filled in while read
    return holidays.country_holidays("RU", years=year)
