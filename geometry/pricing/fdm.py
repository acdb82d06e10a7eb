"""The instant FDM estimate: what a slice will say, from the part's volume, surface and height.

A printed part is not solid. Its surface is covered by a shell (perimeters on the walls, solid
layers on top and bottom) and its inside is filled at the infill density; the printer lays the
shell slowly and the infill fast, and pays a little at every layer change. So:

    shell   = surface × shell thickness        (at most the whole volume: thin parts are all shell)
    infill  = (volume − shell) × infill density
    mass    = (shell + infill) × density
    time    = shell / shell flow + infill / infill flow + layers × layer time

The flows are volume per second at 0.2 mm layers and scale with the layer height (the printer
moves at the same speed, laying a thicker bead). The constants were fitted to PrusaSlicer's own
slices with our profiles (geometry/slicer_profiles, PLA) by bench/slicer_calibration.py; the
bench reports the error per model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SHELL_MM = 0.85  # two 0.45 mm perimeters on walls; 0.7–1.0 mm of solid layers on top and bottom
SHELL_MM_PER_LAYER_MM = 1.0  # thicker layers make thicker top and bottom skins
SHELL_FLOW_MM3_S = 3.0  # at 0.2 mm layers: perimeters at 25–45 mm/s, with the acceleration
INFILL_FLOW_MM3_S = 6.0  # at 0.2 mm layers: sparse infill at 80 mm/s, with the travel between
LAYER_SECONDS = 3.0  # layer change, retraction, the skirt's first layers
START_SECONDS = 60.0  # homing, the first layer's slow lines
REFERENCE_LAYER_MM = 0.2
REFERENCE_BUILD_RATE_CM3_H = 18  # a card's FDM build rate scales these speeds (18: as fitted)


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
    shell_mm = SHELL_MM + SHELL_MM_PER_LAYER_MM * (layer_mm - REFERENCE_LAYER_MM)
    shell = min(volume_mm3, area_mm2 * shell_mm)
    filled = (volume_mm3 - shell) * min(infill, 1.0)
    layers = max(1, math.ceil(height_mm / layer_mm))
    scale = layer_mm / REFERENCE_LAYER_MM
    seconds = (
        shell / (SHELL_FLOW_MM3_S * scale)
        + filled / (INFILL_FLOW_MM3_S * scale)
        + layers * LAYER_SECONDS
        + START_SECONDS
    ) / speed_factor
    return PrintEstimate(
        shell_cm3=shell / 1000,
        infill_cm3=filled / 1000,
        mass_g=(shell + filled) / 1000 * density_g_cm3,
        hours=seconds / 3600,
        layers=layers,
    )
