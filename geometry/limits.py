"""Every tolerance and limit of the library, in one place (lengths in millimetres)."""

from __future__ import annotations

import math

# --- input --------------------------------------------------------------------------------
COORD_LIMIT_MM = 1e6  # coordinates beyond ±1 km are refused (a unit mistake or garbage)
MAX_FACETS = 20_000_000  # bounds memory: a binary STL of this size is 1 GB
MAX_FILE_BYTES = 1_100_000_000

# 3MF (a ZIP): checked on the central directory before anything is inflated
ZIP_MAX_MEMBERS = 1000
ZIP_MAX_TOTAL_BYTES = 512_000_000  # a 3MF part of this size is ~5 M triangles of XML
ZIP_MAX_RATIO = 200.0  # deflate cannot do better than ~1030:1; real 3MF XML is ~5-30:1
ZIP_RATIO_FLOOR_BYTES = 1 << 20  # tiny members may compress far better without being bombs
THREEMF_MAX_DEPTH = 16  # nested components

# --- weld ---------------------------------------------------------------------------------
# Points of open edges closer than this (relative to the part's largest extent) are one point:
# 1e-5 of a 100 mm part is 1 µm, far below anything a machine makes, far above float32 noise.
WELD_TOLERANCE_REL = 1e-5
WELD_TOLERANCE_ULPS = 8  # ... and never below this many float32 steps of the largest coordinate
WELD_MAX_OPEN_POINTS = 2_000_000  # beyond this many open-edge points, no gap closing

# --- shells -------------------------------------------------------------------------------
CONTAINMENT_MAX_TESTS = 50_000_000  # ray/facet tests for "which shell encloses which"
MAX_SHELLS_NESTED = 2000  # beyond this many shells, voids are told by their facets' direction

# --- checks -------------------------------------------------------------------------------
UNITS_SMALL_MM = 1.0  # a part shorter than this along its longest side: units suspect
UNITS_LARGE_MM = 3000.0
INCH_MM = 25.4
# which reading of a file without units is plausible (`geometry.units`)
UNITS_INCH_BELOW_MM = 10.0  # a mm reading shorter than this suggests inches ...
UNITS_INCH_PART_MM = (5.0, 1500.0)  # ... when the inch reading's longest side is in this range
UNITS_GRID_MIN_VOTES = 1  # distinct values on an inch grid only, for the coordinates to vote
UNITS_GRID_MAX_VALUES = 300_000  # coordinate values looked at (an even sample beyond)
THIN_WALL_RAYS = 1024  # the quick check samples this many facets
THIN_WALL_MAX_PAIRS = 20_000_000  # ray/facet candidate pairs before the quick check gives up
THIN_WALL_BOX_PAIRS = 8_000_000  # box tests for large facets (sliver-heavy CAD meshes)

# --- assemblies ---------------------------------------------------------------------------
PARTS_MAX = 1000  # distinct parts listed at most (the rest: a finding)
PARTS_REL_TOL = 1e-3  # bodies are the same part when volume, area and moments agree this well
BODIES_MAX_GROUPED = 20_000  # beyond this many bodies, they are not grouped into parts

# --- thickness map ------------------------------------------------------------------------
MAP_MAX_RAYS = 200_000  # beyond this many facets, the map is measured on a sample of them
MAP_REACH = 2.0  # rays look this many times the process minimum deep; thicker is "neutral"
MAP_PASS_THROUGH = 8  # facets of other shells (touching bodies) a ray goes past at most

# --- STEP ---------------------------------------------------------------------------------
STEP_DEFLECTION_REL = 1e-3  # tessellation: linear deflection relative to the diagonal ...
STEP_DEFLECTION_MIN_MM = 0.01
STEP_DEFLECTION_MAX_MM = 2.0
STEP_ANGULAR_DEFLECTION = 0.5  # radians
HOLE_MIN_SPAN = 1.5 * math.pi  # a cylinder arc this wide (summed per axis) counts as a hole
HOLE_AXIS_TOL_MM = 1e-3
HOLE_ANGLE_TOL = 1e-6

# --- machining features -------------------------------------------------------------------
MACHINING_MESH_MAX_FACETS = 60_000  # meshes above this get no machining figures (the rays would
                                    # add more than the rest of the analysis takes)

# --- previews -----------------------------------------------------------------------------
GLB_MAX_FACES = 200_000
THUMBNAIL_PX = 256

# --- FDM slicing: what a customer may choose ----------------------------------------------
INFILLS = (15, 20, 40, 100)  # percent
LAYERS = (0.1, 0.2, 0.3)  # mm, for the 0.4 mm nozzle
ORIENTATIONS = ("as_uploaded", "flat", "fewest_supports")
PRINT_FIGURES_FACETS = 50_000  # the print figures of a larger mesh are summed over an even sample
                               # of this many of its facets (memory and time stay bounded)

# --- sandbox ------------------------------------------------------------------------------
SANDBOX_MEMORY_MB = 2048  # address space a job may add to the warm parent's
SANDBOX_CPU_S = 60.0
SANDBOX_WALL_S = 60.0
