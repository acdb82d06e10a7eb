"""Milling time from how the part is cut (`geometry.machining`'s figures, when known).

- Stock: a plate sawn to size — the part's footprint plus the side allowance, the next plate
  thickness at least the part's height plus the top allowance (twice that when both faces are
  machined).
- Removal by engagement: the allowance around the part's box is faced and contoured (a rate
  per area of the stock's sides and faced tops); what lies inside the box is pockets, slots and
  steps (a rate per volume); inside corners tighter than the roughing end mill leaves are
  cleared with their own end mill, layer by layer (deep pockets' layers take longer).
- Walls: the end mill passes down each wall at every layer (a roughing rate per area of wall).
- Finishing per kind of surface: floors and freeform (3D) surfaces (the mean of their shadow
  along the setup's direction and their area) at their own rates; the faces left as the stock came are not finished.
- Setups: each part is clamped once per setup; the order pays the first setup at the
  process's setup hours and each further one at `setup_hours_per_setup`.
- Holes: drilled per hole, deep ones and those no standard drill makes at their factors.
- Orientation: each axis the setups use is tried as "up"; the fastest is priced.

Without machining figures (old analyses, meshes of several bodies) the part lies flat on its
smallest side, in one setup, its whole surface finished as floors.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from geometry.pricing.figures import Driver, PerPart, _dec, _shown, part_extents
from geometry.pricing.ratecard import CncRates, Material, Process

DEEP_HOLE_RATIO = Decimal(6)


def plate_thickness(height: Decimal, rates: CncRates) -> Decimal:
    """The thinnest stock plate at least `height` thick (the height itself beyond the list)."""
    return next((t for t in rates.plate_thicknesses_mm if t >= height), height)


def _axes(directions: list[str]) -> list[int]:
    return sorted({"XYZ".index(d[-1]) for d in directions}) or [2]


def _two_sided(up: int, directions: list[str]) -> bool:
    axis = "XYZ"[up]
    return f"+{axis}" in directions and f"-{axis}" in directions


def _stock(extents, up: int, directions: list[str], rates: CncRates):
    two_sided = _two_sided(up, directions)
    height = extents[up]
    top = rates.stock_top_allowance_mm * (2 if two_sided else 1)
    thick = plate_thickness(height + top, rates)
    length, width = (extents[a] + 2 * rates.stock_side_allowance_mm for a in range(3) if a != up)
    return length, width, thick


@dataclass(frozen=True)
class Cut:
    """What the time is made of; each figure goes at its own rate (see `minutes`)."""

    stock_mm: tuple[Decimal, Decimal, Decimal]  # length, width, plate thickness
    skin_cm2: Decimal  # the allowance to face and contour: stock sides and machined tops
    inside_cm3: Decimal  # removed inside the part's box (pockets, slots, steps)
    rest_layers: Decimal  # layers of the small end mills inside corners need (deep ones count more)
    floor_cm2: Decimal
    wall_cm2: Decimal
    freeform_cm2: Decimal  # as a raster sees it: between its shadow along the setup's direction and its area
    tool_mm: Decimal | None  # the end mill the smallest inside radius allows


def cut_of(part, rates: CncRates) -> Cut:
    """The cut of a part in its fastest orientation (the axes its setups use)."""
    m = getattr(part, "machining", None) or {}
    if m.get("extents_mm"):
        extents = tuple(_dec(v) for v in m["extents_mm"])
        directions = list(m.get("directions") or ["+Z"])
    else:  # lying flat on its smallest side, machined from the top
        extents = part_extents(part)  # largest first: the smallest side is up
        directions = ["+Z"]
    box = extents[0] * extents[1] * extents[2]
    tool = None
    radius = m.get("min_inside_radius_mm")
    if radius is not None:
        from geometry.machining import end_mill_for

        tool = _dec(end_mill_for(float(radius)))
    # corners tighter than the roughing end mill leaves are cleared with their own, in layers
    # of half its diameter: the time goes with the corner's depth over the tool's size
    rest_layers = Decimal(0)
    deep = {(p["depth_mm"], p["radius_mm"]) for p in m.get("deep_pockets") or ()}
    for corner in m.get("inside_corners") or ():
        small = _dec(corner["tool_mm"])
        if small < rates.roughing_tool_mm:
            layers = _dec(corner["depth_mm"]) / (small / 2)
            if (corner["depth_mm"], corner["radius_mm"]) in deep:
                layers *= rates.deep_pocket_factor
            rest_layers += layers
    surfaces = m.get("surfaces_mm2")
    if surfaces:
        floor, wall = _dec(surfaces.get("floor", 0)) / 100, _dec(surfaces.get("wall", 0)) / 100
        # a raster runs over a slope's shadow where it follows the slope's contour and over its
        # whole area where it climbs it: the mean of the two, slopes lying every way
        true = _dec(surfaces.get("freeform", 0))
        freeform = (true + _dec(surfaces.get("freeform_projected", true))) / 2 / 100
    else:
        floor, wall, freeform = _dec(part.area_mm2) / 100, Decimal(0), Decimal(0)
    inside = max(box - _dec(part.volume_mm3), Decimal(0)) / 1000
    best = None
    for up in _axes(directions):
        length, width, thick = _stock(extents, up, directions, rates)
        faced = 2 if _two_sided(up, directions) else 1
        skin = (2 * (length + width) * thick + faced * length * width) / 100
        if best is None or skin < best[1]:
            best = ((length, width, thick), skin)
    return Cut(best[0], best[1], inside, rest_layers, floor, wall, freeform, tool)


def minutes(cut: Cut, rates: CncRates) -> tuple[Decimal, Decimal]:
    """(roughing, finishing) minutes at machinability 1. Walls go with roughing: the end mill
    passes down each wall at every layer."""
    roughing = (
        cut.skin_cm2 / rates.skin_rate_cm2_min
        + cut.inside_cm3 / rates.pocket_rate_cm3_min
        + cut.rest_layers * rates.rest_minutes_per_layer
        + cut.wall_cm2 / rates.wall_rate_cm2_min
    )
    finishing = cut.floor_cm2 / rates.finishing_rate_cm2_min + cut.freeform_cm2 / rates.freeform_finish_rate_cm2_min
    return roughing, finishing


def milling_per_part(part, process: Process, material: Material) -> PerPart:
    rates = process.cnc
    assert rates is not None
    m = getattr(part, "machining", None) or {}
    directions = list(m.get("directions") or ["+Z"]) if m.get("extents_mm") else ["+Z"]
    setups = max(int(m.get("setups") or 1), 1)
    cut = cut_of(part, rates)
    length, width, thick = cut.stock_mm
    stock_mm3 = length * width * thick
    roughing_min, finishing_min = minutes(cut, rates)
    roughing_min /= material.factor
    finishing_min /= material.factor
    tool, radius = cut.tool_mm, m.get("min_inside_radius_mm")
    removed_cm3 = max(stock_mm3 - _dec(part.volume_mm3), Decimal(0)) / 1000

    holes_min, holes_label, holes_params = _holes(part, m, rates)
    clamping_min = rates.setup_minutes_per_part * setups
    holes_min /= material.factor
    hours = (roughing_min + finishing_min + holes_min + clamping_min) / 60
    stock_kg = stock_mm3 / 1000 * material.density_g_cm3 / 1000

    drivers = [
        Driver(
            "stock", f"Plate {thick:.0f} mm, sawn {length:.0f} × {width:.0f} mm", _shown(stock_kg, "0.001"), "kg",
            params={"shape": "plate", "thickness_mm": f"{thick:.0f}", "length_mm": f"{length:.0f}",
                    "width_mm": f"{width:.0f}"},
        ),
        Driver("removed_volume", "Material removed per part", _shown(removed_cm3), "cm³"),
        Driver("roughing_time", "Roughing per part", _shown(roughing_min), "min"),
        Driver("finishing_time", "Finishing passes per part", _shown(finishing_min), "min"),
        Driver(
            "setups",
            f"{setups} setup{'s' if setups > 1 else ''} ({', '.join(directions)})",
            _shown(clamping_min),
            "min",
            params={"count": setups, "directions": ", ".join(directions)},
        ),
    ]
    if tool is not None:
        drivers.append(Driver(
            "inside_radius",
            f"Smallest inside radius {_dec(radius).normalize():f} mm → {tool.normalize():f} mm end mill",
            tool,
            "mm",
            params={"radius_mm": f"{_dec(radius).normalize():f}", "tool_mm": f"{tool.normalize():f}"},
        ))
    if m.get("deep_pockets"):
        deepest = max(_dec(p["depth_mm"]) for p in m["deep_pockets"])
        drivers.append(Driver(
            "deep_pockets", f"{len(m['deep_pockets'])} deep pocket(s), down to {deepest:.1f} mm", deepest, "mm",
            params={"count": len(m["deep_pockets"]), "depth_mm": f"{deepest:.1f}"},
        ))
    if holes_label:
        drivers.append(Driver("holes", holes_label, _shown(holes_min), "min", params=holes_params))
    drivers.append(Driver("machine_hours", "Machine time per part", _shown(hours), "h"))
    extra_setups = Decimal(setups - 1) * rates.setup_hours_per_setup
    return PerPart(
        material=stock_kg * material.price_per_kg,
        machine_time=hours * process.hourly_rate,
        machine_hours=hours,
        drivers=tuple(drivers),
        setup_hours=process.setup_hours + extra_setups,
    )


def _holes(part, m: dict, rates: CncRates) -> tuple[Decimal, str, dict]:
    """Drilling minutes, the driver's label and its params (count, deep, nonstandard)."""
    holes = m.get("holes")
    if holes is None:  # only a count is known
        count = getattr(part, "holes", None) or 0
        return rates.hole_minutes * count, f"{count} holes" if count else "", {"count": count}
    if not holes:
        return Decimal(0), "", {}
    minutes = Decimal(0)
    deep = odd = 0
    for hole in holes:
        each = rates.hole_minutes + _dec(hole["depth_mm"]) / rates.drill_feed_mm_min
        if _dec(hole["depth_mm"]) > DEEP_HOLE_RATIO * _dec(hole["diameter_mm"]):
            each *= rates.deep_hole_factor
            deep += 1
        if not hole.get("standard", True):
            each *= rates.nonstandard_hole_factor
            odd += 1
        minutes += each
    label = f"{len(holes)} holes"
    notes = []
    if deep:
        notes.append(f"{deep} deeper than 6×D")
    if odd:
        notes.append(f"{odd} not a standard drill size")
    params = {"count": len(holes), "deep": deep, "nonstandard": odd}
    return minutes, label + (", " + ", ".join(notes) if notes else ""), params
