"""Figures shared by the calculation and its per-process parts: drivers, per-part costs."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


def _shown(amount: Decimal, places: str = "0.01") -> Decimal:
    """A driver's value, rounded for reading (drivers are not money)."""
    return amount.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def _dec(value: float | int | Decimal) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


@dataclass(frozen=True)
class Driver:
    """A number that drives the price, shown so a customer can see why."""

    code: str
    label: str
    value: Decimal
    unit: str
    source: str | None = None  # print time and mass: "slicer" or "estimate"


@dataclass(frozen=True)
class PerPart:
    """Costs of one part (money), machine hours per part, and the drivers behind them."""

    material: Decimal
    machine_time: Decimal
    machine_hours: Decimal
    drivers: tuple[Driver, ...]
    setup_hours: Decimal | None = None  # once per order; None: the process's own


def part_extents(part) -> tuple[Decimal, Decimal, Decimal]:
    """The part's box, largest side first: the oriented box when known, else the axis box."""
    obb = part.obb_mm
    sides = obb if obb is not None and len(obb) == 3 and all(v > 0 for v in obb) else part.bbox_mm
    return tuple(sorted((_dec(v) for v in sides), reverse=True))  # type: ignore[return-value]


