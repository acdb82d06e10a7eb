"""Millimetres or inches? The one place the library decides which reading of a file is plausible.

STL and OBJ carry no units: the same numbers may be millimetres or inches. `read_units` takes a
model's extents (the numbers in the file, read as millimetres) and, when it has them, its
vertex coordinates, and returns both readings' sizes and the more plausible one. The rule:

1. A file that declares its units (STEP, 3MF: converted to millimetres on reading) is read as
   it says.
2. If the inch reading would not be an ordinary part (its longest side outside
   `UNITS_INCH_PART_MM`), the file is in millimetres.
3. A millimetre reading under `UNITS_SMALL_MM` (1 mm) along its longest side is not a part
   anyone machines: inches.
4. The coordinates vote. A number on the 1/64 in grid or with at most three decimals
   (0.001 in) but not on the 0.1 mm grid (1.375, 0.1875, 0.063) is inch evidence; a number on
   the 0.1 mm grid but not on the 1/64 in grid (1.6, 3.2) is millimetre evidence. Numbers on
   both (0.5, 2.5, 10) or on neither (points of a tessellated circle) say nothing. Distinct absolute
   values are counted once. Clear inch evidence (at least `UNITS_GRID_MIN_VOTES` values and
   more than three times the millimetre evidence) means inches; any larger millimetre
   evidence means millimetres.
5. Without a vote: a millimetre reading under `UNITS_INCH_BELOW_MM` (10 mm) along its longest
   side suggests inches (an ordinary machined part then), anything larger millimetres.

So a 5.0 × 2.5 × 1.375 bracket is in inches (127 × 63.5 × 34.9 mm), a 7 mm washer with a
3.2 mm hole stays in millimetres (its 1.6 mm radius votes), and a 2 m frame is in millimetres.

`INCH_MM` is the factor: analyse the triangles scaled by it (``python -m geometry analyze
--units in``, `geometry.analyze.analyze_file(..., units="in")`) when the customer says inches.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from geometry.limits import (
    INCH_MM,
    UNITS_GRID_MAX_VALUES,
    UNITS_GRID_MIN_VOTES,
    UNITS_INCH_BELOW_MM,
    UNITS_INCH_PART_MM,
    UNITS_SMALL_MM,
)

UNITS = ("mm", "in")
SCALE = {"mm": 1.0, "in": INCH_MM}


def _on_grid(values: np.ndarray, step: float) -> np.ndarray:
    """Values that are whole multiples of `step`, up to float32 precision."""
    steps = values / step
    return np.abs(steps - np.rint(steps)) <= 1e-6 * np.maximum(1.0, steps)


def grid_votes(coordinates: np.ndarray) -> tuple[int, int]:
    """(inch evidence, millimetre evidence): distinct absolute coordinate values on one grid
    only (see the module's rule 4)."""
    values = np.asarray(coordinates).reshape(-1)
    if len(values) > UNITS_GRID_MAX_VALUES:  # an even sample is enough to vote
        values = values[:: len(values) // UNITS_GRID_MAX_VALUES + 1]
    values = np.abs(values.astype(np.float64))
    values = values[np.isfinite(values) & (values > 0)]
    values = np.unique(values.astype(np.float32)).astype(np.float64)
    sixty_fourths = _on_grid(values, 1 / 64)
    mm = _on_grid(values, 0.1)
    inch = (sixty_fourths | _on_grid(values, 0.001)) & ~mm
    return int(np.count_nonzero(inch)), int(np.count_nonzero(mm & ~sixty_fourths))


def suggest(extents: Sequence[float], coordinates: np.ndarray | None = None) -> str:
    """"mm" or "in": the more plausible reading of numbers without units (rules 2-5)."""
    longest = max(float(v) for v in extents)
    low, high = UNITS_INCH_PART_MM
    if not low <= longest * INCH_MM <= high:
        return "mm"
    if longest < UNITS_SMALL_MM:
        return "in"
    if coordinates is not None:
        inch, mm = grid_votes(coordinates)
        if inch >= UNITS_GRID_MIN_VOTES and inch > 3 * mm:
            return "in"
        if mm > inch:
            return "mm"
    return "in" if longest < UNITS_INCH_BELOW_MM else "mm"


def read_units(
    extents: Sequence[float], coordinates: np.ndarray | None = None, declared: str | None = None
) -> dict:
    """JSON-ready: ``{"declared", "suggested", "sizes": {"mm": [...], "in": [...]}}``.

    `extents` are the model's sides as read (millimetres); ``sizes[u]`` is the part's size in
    millimetres if the file is in unit ``u``. `declared`: the file's own units, if it has any.
    """
    sizes = {unit: [float(v) * SCALE[unit] for v in extents] for unit in UNITS}
    suggested = declared if declared in UNITS else suggest(extents, coordinates)
    return {"declared": declared, "suggested": suggested, "sizes": sizes}


def scale_of(units: str | None) -> float:
    """The factor from a file's numbers to millimetres for a reading ("mm", "in" or None)."""
    if units is None:
        return 1.0
    try:
        return SCALE[units]
    except KeyError:
        raise ValueError(f"units must be one of {', '.join(UNITS)}, not {units!r}") from None
