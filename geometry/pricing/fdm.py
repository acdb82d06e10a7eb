"""The instant FDM estimate: what a slice will say, from the part's volume, surface and height.

A printed part is not solid. Its walls are covered by perimeters, its top and bottom faces by
solid skins, and its inside is filled at the infill density; the printer lays the perimeters
slowly, the skins and the infill faster, and pays a few seconds at every layer change. From
what the instant quote knows (volume V, surface A, build height H):

    horizontal surface  Ah = min(A, 2 V / H)       (top and bottom of a prism of that volume)
    vertical surface    Av = A − Ah
    shell   = min(V, Av × wall + Ah × skin(layer))
    infill  = (V − shell) × infill density
    mass    = (shell + infill) × density
    time    = wall shell / wall flow + skin shell / skin flow + infill × seconds per mm³(density)
              (all flows scale with the layer height: the same speed lays a thicker bead)
              + layers × layer time + start

The constants were fitted to PrusaSlicer's own slices with our profiles (geometry/slicer_profiles,
PLA: 63 slices of 8 generated and 15 real parts at 0.1–0.3 mm and 15–100 %) by
bench/slicer_calibration.py, which reports the error per model. Supports are not in it: a part
that needs them is underestimated until its slice replaces the estimate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

REFERENCE_LAYER_MM = 0.2
REFERENCE_BUILD_RATE_CM3_H = 18  # a card's FDM build rate scales the speeds (18: the fitted printer)

WALL_MM = 0.99  # two 0.45 mm perimeters, overlapping
SKIN_MM = 0.38  # top and bottom solid layers, per side pair: SKIN_MM + SKIN_PER_LAYER × layer
SKIN_PER_LAYER = 2.54

# seconds per mm³ at 0.2 mm layers
WALL_S_MM3 = 0.4145  # perimeters at 25–45 mm/s with the accelerations: 2.4 mm³/s
SKIN_S_MM3 = 0.303  # solid skins at 40–80 mm/s: 3.3 mm³/s
INFILL_S_MM3 = 0.0549  # sparse gyroid: the denser, the tighter its curves and the slower ...
INFILL_S_MM3_PER_DENSITY = 0.8037  # ... (20 %: 4.6 mm³/s; 40 %: 2.7 mm³/s)
SOLID_S_MM3 = 0.1632  # 100 %: straight rectilinear lines, 6.1 mm³/s
LAYER_SECONDS = 5.79  # layer change, retractions, travel
START_SECONDS = 7.9


@dataclass(frozen=True)
class PrintEstimate:
    shell_cm3: float
    infill_cm3: float
    mass_g: float
    hours: float
    layers: int


def estimate_print(
    volume_mm3: float,
    area_mm2: float,
    height_mm: float,
    layer_mm: float,
    infill: float,
    density_g_cm3: float,
    speed_factor: float = 1.0,
) -> PrintEstimate:
    """`infill` is a fraction (0.2 for 20 %); `speed_factor` is the material's (1 = PLA)."""
    infill = min(max(infill, 0.0), 1.0)
    height = max(height_mm, layer_mm)
    horizontal = min(area_mm2, 2 * volume_mm3 / height)
    vertical = area_mm2 - horizontal
    walls = vertical * WALL_MM
    skins = horizontal * (SKIN_MM + SKIN_PER_LAYER * layer_mm)
    shell = min(volume_mm3, walls + skins)
    if walls + skins > 0:  # a part that is all shell: its walls and skins in the same proportion
        walls, skins = shell * walls / (walls + skins), shell * skins / (walls + skins)
    filled = (volume_mm3 - shell) * infill
    per_infill = SOLID_S_MM3 if infill >= 1 else INFILL_S_MM3 + INFILL_S_MM3_PER_DENSITY * infill
    layers = max(1, math.ceil(height / layer_mm))
    scale = layer_mm / REFERENCE_LAYER_MM
    seconds = (walls * WALL_S_MM3 + skins * SKIN_S_MM3 + filled * per_infill) / scale
    seconds = (seconds + layers * LAYER_SECONDS + START_SECONDS) / speed_factor
    return PrintEstimate(
        shell_cm3=shell / 1000,
        infill_cm3=filled / 1000,
        mass_g=(shell + filled) / 1000 * density_g_cm3,
        hours=seconds / 3600,
        layers=layers,
    )
