"""The instant FDM estimate: what a slice will say, from the part's surfaces, volume and height.

A printed part is not solid. Its walls are covered by perimeters, its top and bottom faces by
solid skins, its inside is filled at the infill density, and what hangs over air stands on
support material; the printer lays each at its own speed and pays a few seconds at every layer
change. The analysis measures, for each orientation the quote form offers
(`geometry.overhang`): the build height H, the surface as the layers' outlines sweep it (walls,
Aw = Σ area × sin of its angle to the bed), the surface as skins cover it (Ah = Σ area × |cos|),
and the overhang steeper than the support threshold: its area seen from above (Ao) and that
area × its height above the bed (the room under it, Co). With the volume V:

    line(layer)  = (width − layer × (1 − π/4)) × layer   one extruded line's cross-section
    walls   = Aw × perimeters × line / layer                 (the profile's two 0.45 mm perimeters)
    skins   = (Ah / 2 − Aw / H × walls' width) × (top + bottom thickness(layer))
              (each side's skin, less the band the perimeters already cover; the thicknesses as the
              profile has them: 5 top layers and 4 bottom ones, at least 0.7 and 0.5 mm)
    shell   = min(V, walls + skins)
    infill  = (V − shell) × density + Aw × anchor           (infill lines anchored on the perimeters)
    support = Co × support fill + Ao × support top
    mass    = (shell + infill + support) × material density
    time    = (walls × s_wall + skins × s_skin + infill × s_infill(density) + support × s_support)
              × line(0.2) / line(layer)                      (the same speeds lay a smaller line)
              + layers × layer time + start

Only the constants of `FITTED` are fitted: to 75 slices of PrusaSlicer with our profiles
(geometry/slicer_profiles, PLA: 10 generated and 15 real parts at 0.1–0.3 mm and 15–100 %) by
`bench/slicer_calibration.py --fit`, which also fits them on the generated parts alone and
reports the real parts' error with those. The rest comes from the profile. Without the
orientation's figures (an analysis made before they were measured) the surfaces are split as
a prism of the part's volume and height would have them, and supports are left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

REFERENCE_LAYER_MM = 0.2
REFERENCE_BUILD_RATE_CM3_H = 18  # a card's FDM build rate scales the speeds (18: the fitted printer)

# from the profiles (geometry/slicer_profiles/pla.ini and printer.ini), not fitted
LINE_WIDTH_MM = 0.45  # perimeter_extrusion_width
PERIMETERS = 2
TOP_LAYERS, TOP_MIN_MM = 5, 0.7  # top_solid_layers, top_solid_min_thickness
BOTTOM_LAYERS, BOTTOM_MIN_MM = 4, 0.5  # bottom_solid_layers, bottom_solid_min_thickness


@dataclass(frozen=True)
class Constants:
    """The fitted constants; seconds per mm³ at 0.2 mm layers."""

    anchor_mm: float  # infill anchored along the perimeters, per mm² of wall
    support_fill: float  # share of the room under an overhang the support fills (its sparse lines)
    support_top_mm: float  # solid per mm² of overhang: interface layers and the support's spread
    wall_s_mm3: float  # perimeters at 25–45 mm/s with the accelerations
    skin_s_mm3: float  # solid skins at 40–80 mm/s
    infill_s_mm3: float  # sparse gyroid: the denser, the tighter its curves and the slower ...
    infill_s_mm3_per_density: float  # ... per mm³
    solid_s_mm3: float  # 100 %: straight rectilinear lines
    support_s_mm3: float  # support lines at 50 mm/s, with their travel
    layer_seconds: float  # layer change, retractions, travel
    start_seconds: float

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


FITTED = Constants(
    anchor_mm=0.164,
    support_fill=0.148,
    support_top_mm=1.21,
    wall_s_mm3=0.514,
    skin_s_mm3=0.291,
    infill_s_mm3=0.154,
    infill_s_mm3_per_density=0.582,
    solid_s_mm3=0.183,
    support_s_mm3=0.285,
    layer_seconds=4.67,
    start_seconds=10.9,
)


@dataclass(frozen=True)
class Surfaces:
    """A part's surfaces as one orientation prints them (`geometry.overhang.Overhang`)."""

    wall_mm2: float
    skin_mm2: float
    overhang_mm2: float = 0.0
    column_mm3: float = 0.0

    @classmethod
    def of(cls, figures: dict) -> Surfaces:
        """From an orientation's figures in an analysis (`Analysis.printing[orientation]`)."""
        return cls(
            wall_mm2=float(figures["wall_mm2"]),
            skin_mm2=float(figures["skin_mm2"]),
            overhang_mm2=float(figures.get("overhang_mm2", 0.0)),
            column_mm3=float(figures.get("column_mm3", 0.0)),
        )

    @classmethod
    def of_prism(cls, volume_mm3: float, area_mm2: float, height_mm: float) -> Surfaces:
        """Without the figures: the top and bottom of a prism of this volume and height, the rest walls."""
        skin = min(area_mm2, 2 * volume_mm3 / height_mm) if height_mm > 0 else area_mm2
        return cls(wall_mm2=area_mm2 - skin, skin_mm2=skin)


@dataclass(frozen=True)
class PrintEstimate:
    shell_cm3: float
    infill_cm3: float
    support_cm3: float
    mass_g: float
    hours: float
    layers: int


def line_mm2(layer_mm: float) -> float:
    """Cross-section of one extruded line: a rectangle with round sides, as PrusaSlicer takes it."""
    return (LINE_WIDTH_MM - layer_mm * (1 - math.pi / 4)) * layer_mm


def estimate_print(
    volume_mm3: float,
    area_mm2: float,
    height_mm: float,
    layer_mm: float,
    infill: float,
    density_g_cm3: float,
    speed_factor: float = 1.0,
    surfaces: Surfaces | None = None,
    constants: Constants = FITTED,
) -> PrintEstimate:
    """`infill` is a fraction (0.2 for 20 %); `speed_factor` is the material's (1 = PLA);
    `surfaces`: the orientation's measured surfaces (None: guessed from a prism, no supports)."""
    c = constants
    infill = min(max(infill, 0.0), 1.0)
    height = max(height_mm, layer_mm)
    if surfaces is None:
        surfaces = Surfaces.of_prism(volume_mm3, area_mm2, height)
    wall_width = PERIMETERS * line_mm2(layer_mm) / layer_mm
    skin_width = max(TOP_LAYERS * layer_mm, TOP_MIN_MM) + max(BOTTOM_LAYERS * layer_mm, BOTTOM_MIN_MM)
    walls = surfaces.wall_mm2 * wall_width
    skins = max(surfaces.skin_mm2 / 2 - surfaces.wall_mm2 / height * wall_width, 0.0) * skin_width
    shell = min(volume_mm3, walls + skins)
    if walls + skins > 0:  # a part that is all shell: its walls and skins in the same proportion
        walls, skins = shell * walls / (walls + skins), shell * skins / (walls + skins)
    room = volume_mm3 - shell
    filled = room * infill + min(surfaces.wall_mm2 * c.anchor_mm, room * (1 - infill))
    support = surfaces.column_mm3 * c.support_fill + surfaces.overhang_mm2 * c.support_top_mm
    per_infill = c.solid_s_mm3 if infill >= 1 else c.infill_s_mm3 + c.infill_s_mm3_per_density * infill
    layers = max(1, math.ceil(height / layer_mm - 1e-9))
    scale = line_mm2(layer_mm) / line_mm2(REFERENCE_LAYER_MM)
    seconds = (walls * c.wall_s_mm3 + skins * c.skin_s_mm3 + filled * per_infill + support * c.support_s_mm3) / scale
    seconds = (seconds + layers * c.layer_seconds + c.start_seconds) / speed_factor
    return PrintEstimate(
        shell_cm3=shell / 1000,
        infill_cm3=filled / 1000,
        support_cm3=support / 1000,
        mass_g=(shell + filled + support) / 1000 * density_g_cm3,
        hours=seconds / 3600,
        layers=layers,
    )
