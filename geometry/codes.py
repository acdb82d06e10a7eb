"""Every error and finding code the library gives, with its severity and English message.

The codes are stable: the portal translates by code, formatting the template of its own
language with the same ``params`` (``str.format`` syntax; format specs such as ``{x:.2f}``
are part of the template). Params are numbers, identifiers (process ids) or sizes already
written with digits (``"100 × 60 × 30"``), never English prose — except where a code's note
says otherwise (`bad_rate_card`, for staff). A `GeometryError` may also carry a ``detail``:
English text for logs and staff, never shown translated.

Severities: ``error`` (the file cannot be measured or priced: no analysis at all),
``blocking`` (measured, but it cannot be made: no price), ``warning`` (priced, the customer
should look), ``info`` (for the record). A blocking finding can also be raised as an error by
the pricing engine, under the finding's own code and params.

Audiences: ``customer`` (shown to whoever uploaded the file) or ``staff`` (notes about our own
processing, such as points joined or facets dropped: for staff pages and logs only). Every
finding carries its code's audience, so a page can filter by it.

Change a template's wording freely; never rename or reuse a code, never drop a param a
template uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "blocking", "warning", "info"]
Audience = Literal["customer", "staff"]

# notes about our own processing: for staff pages and logs, never for customers
STAFF_CODES = frozenset({"gaps_closed", "degenerate_facets", "inverted_normals"})


@dataclass(frozen=True)
class Code:
    code: str
    severity: Severity
    template: str
    audience: Audience = "customer"


def _codes(*entries: tuple[str, Severity, str]) -> dict[str, Code]:
    catalogue: dict[str, Code] = {}
    for code, severity, template in entries:
        assert code not in catalogue, code
        audience: Audience = "staff" if code in STAFF_CODES else "customer"
        catalogue[code] = Code(code, severity, template, audience)
    return catalogue


CATALOGUE: dict[str, Code] = _codes(
    # --- reading the file ------------------------------------------------------------------
    ("not_found", "error", "The file {name} does not exist."),
    ("unreadable", "error",
     "The file could not be read: it may be damaged. Export it again from your CAD program."),
    ("empty_model", "error",
     "The file contains no 3D geometry (no facets, surfaces or solids): check that it is the "
     "model itself and export it again."),
    ("file_too_large", "error",
     "The file is larger than {limit_mb:,} MB: simplify the model or export it with a coarser "
     "tessellation."),
    ("too_many_facets", "error",
     "The model has {count:,} facets; the limit is {limit:,}. Export it with a coarser "
     "tessellation."),
    ("unknown_format", "error",
     "This is not a 3D model we can read (STL, STEP, 3MF or OBJ): export it again in one of "
     "these formats."),
    ("stl_truncated", "error",
     "The STL file is truncated or damaged: its header announces {facets:,} facets "
     "({expected_bytes:,} bytes) but the file has {size:,} bytes. Export it again."),
    ("invalid_stl", "error",
     "The STL file is damaged: it is not valid ASCII STL, and as a binary STL it is truncated "
     "or its facet count does not match its size. Export the model again."),
    ("invalid_obj", "error", "The OBJ file is damaged at line {line:,}: export it again."),
    ("invalid_3mf", "error", "The 3MF file is damaged or not valid 3MF: export it again."),
    ("invalid_step", "error",
     "The STEP file could not be read: it is damaged or not valid STEP. Export it again from "
     "your CAD program (AP203, AP214 or AP242)."),
    ("zip_too_many_members", "error",
     "The 3MF archive has {count:,} members (the limit is {limit:,}): it is not a normal 3MF "
     "file."),
    ("zip_too_large", "error",
     "The 3MF archive would unpack to {size_mb:,.0f} MB (the limit is {limit_mb:,.0f} MB)."),
    ("zip_bomb", "error",
     "The 3MF archive is compressed {ratio:,.0f}:1, which only a zip bomb does: it was not "
     "unpacked."),
    ("invalid_coordinates", "error",
     "The model has coordinates that are not numbers (NaN or infinity): repair it or export "
     "it again."),
    ("coordinates_out_of_range", "error",
     "The model has coordinates beyond ±{limit_mm:,.0f} mm: check the units or the export "
     "settings."),
    ("degenerate_model", "error",
     "Every facet of the model is degenerate (zero area): there is no surface to measure."),
    # --- the sandbox -----------------------------------------------------------------------
    ("timeout", "error",
     "The file took too long to read (limit {seconds:g} s): it may be damaged or far too "
     "complex. Try exporting it again, or simplify the model."),
    ("crashed", "error",
     "The file could not be read (the reader stopped unexpectedly): it may be damaged. Try "
     "exporting it again from your CAD program."),
    ("out_of_memory", "error",
     "The model needs more memory than is allowed: it is too large or too complex. Try a "
     "simpler export (fewer facets or bodies)."),
    ("sandbox_unavailable", "error", "The model reader could not be started: try again later."),
    ("internal", "error",
     "The model could not be processed because of a fault on our side: staff have been told."),
    # --- pricing ---------------------------------------------------------------------------
    ("bad_part", "error", "The part has no volume or surface to price: check the model."),
    ("unknown_process", "error", "Unknown process {value!r}. Choose one of: {choices}."),
    ("unknown_material", "error",
     "Unknown material {value!r} for {process}. Choose one of: {choices}."),
    ("unknown_finish", "error",
     "Unknown finish {value!r} for {process} in {material}. Choose one of: {choices}."),
    ("unknown_tolerance", "error",
     "Unknown tolerance {value!r} for {process}. Choose one of: {choices}."),
    ("unknown_lead_time", "error", "Unknown lead time {value!r}. Choose one of: {choices}."),
    ("bad_quantity", "error", "Quantity must be a whole number from 1 to {max:,}."),
    # note: `problem` is English text, for the staff who edit the rate card
    ("bad_rate_card", "error", "The rate card is not valid: {key} {problem}."),
    # --- slicing (the price stays an estimate) ---------------------------------------------
    ("slicer_missing", "error",
     "The print time and material are estimated: the slicer is not installed on this server."),
    ("slice_failed", "error",
     "The slicer could not slice this model, so the print time and material are estimated. "
     "A closed, solid model slices best."),
    ("slice_timeout", "error",
     "Slicing took longer than {seconds:g} s, so the print time and material are estimated."),
    ("bad_slice_option", "error", "Unknown {option} {value!r} for slicing. Choose one of: {choices}."),
    # --- findings: the mesh ----------------------------------------------------------------
    ("not_watertight", "warning",
     "The mesh is not closed ({open_edges:,} open edges, {nonmanifold_edges:,} edges shared "
     "by more than two facets), so its volume is an estimate. Repair the model (close the "
     "holes) for an exact price."),
    ("inconsistent_normals", "warning",
     "Some facets face the wrong way ({edges:,} edges join facets of opposite orientation), "
     "so the volume may be wrong. Repair the model's normals."),
    ("normals_repaired", "info",
     "{facets:,} facets faced the other way from their neighbours; they were turned to match "
     "the rest of their shell before the part was measured."),
    ("inverted_normals", "info",
     "The facets of {count:,} shell(s) face inwards (inside out); they were measured as if "
     "they faced outwards."),
    ("multiple_bodies", "warning",
     "The file holds {count:,} separate bodies: they are priced as one part. If they are "
     "separate parts, upload them as separate files."),
    ("internal_voids", "info",
     "The part encloses {count:,} sealed cavities: powder or resin cannot drain from a sealed "
     "cavity in SLS or SLA; add drain holes if it should be hollow."),
    ("degenerate_facets", "info",
     "{count:,} facets have coinciding corners and were ignored."),
    ("gaps_closed", "info",
     "{points:,} points up to {distance_mm:.2g} mm apart were joined, closing {edges:,} open "
     "edges (points closer than {tolerance_mm:.2g} mm count as one)."),
    ("units_suspect_small", "warning",
     "The part is only {longest_mm:.3g} mm along its longest side: it would be "
     "{as_inches_mm:,.1f} mm if the file is in inches ({as_metres_mm:,.0f} mm if in metres). "
     "Check the units the file was exported in."),
    ("units_suspect_large", "warning",
     "The part is {longest_m:.3g} m ({longest_mm:,.0f} mm) along its longest side: it would be "
     "{as_micrometres_mm:,.2f} mm if the file is in micrometres. Check the units the file was "
     "exported in."),
    ("units_suggest_inches", "warning",
     "The file has no units; read in millimetres the part is {size_mm} mm, read in inches it "
     "is {size_in} in ({size_in_mm} mm), which looks more like a real part. Check which units "
     "it was exported in."),
    # --- findings: assemblies --------------------------------------------------------------
    ("assembly_missing_part", "warning",
     "{count:,} instances in the assembly refer to parts that are not in the file; they were "
     "left out."),
    ("assembly_cycle", "warning",
     "The assembly structure refers back to itself ({count:,} times); those references were "
     "left out."),
    ("assembly_unnamed_parts", "info",
     "{count:,} parts have no name in the file; they are numbered instead."),
    ("assembly_too_many_parts", "warning",
     "The file holds more than {limit:,} different parts; only the first {limit:,} are listed. "
     "Split the assembly into smaller files."),
    ("bad_part_index", "error",
     "The file has {parts:,} parts; there is no part number {index:,}."),
    # --- findings: a process ---------------------------------------------------------------
    ("exceeds_envelope", "blocking",
     "At {size} mm the part does not fit the {process} envelope of {envelope} mm: split it "
     "into pieces or choose another process."),
    ("thin_wall", "warning",
     "Walls down to {thickness_mm:.2f} mm thick (near x={x:.1f}, y={y:.1f}, z={z:.1f} mm); "
     "{process} needs at least {min_wall_mm:g} mm. Thicken the walls or choose another "
     "process."),
    ("thin_wall_unchecked", "info",
     "Wall thickness could not be checked automatically on this mesh (too many long, thin "
     "facets): staff will check thin walls by hand."),
    # --- findings: STEP --------------------------------------------------------------------
    ("no_solid", "blocking",
     "The file has surfaces but no closed solid: export the part as a solid body."),
    ("closed_shell", "info",
     "The file holds closed surfaces rather than a solid body; they enclose a volume and were "
     "measured as a solid."),
    # --- findings: milling (from the machining features) -----------------------------------
    # each also carries `triangles`: [start, end) runs of the preview tessellation's triangles
    ("undercut", "warning",
     "{count:,} faces cannot be reached by a tool from any side of a 3-axis mill (undercuts): "
     "the part needs 5-axis machining and is quoted by hand for milling."),
    ("deep_pocket", "warning",
     "A pocket {depth_mm:.1f} mm deep has inside corners of radius {radius_mm:.2g} mm: the "
     "{tool_mm:g} mm end mill they need cuts only about {reach_mm:.0f} mm deep at full speed. "
     "Enlarge the corner radius or make the pocket shallower; it is priced at a slower cut."),
    ("sharp_inside_corner", "warning",
     "{count:,} inside corners along the tool's axis are sharp: a milling cutter leaves them "
     "rounded to its own radius. Give them a radius (1 mm or more), or ask for a manual quote "
     "if they must be sharp."),
    ("deep_hole", "warning",
     "{count:,} holes are deeper than 6 × their diameter (down to Ø{diameter_mm:.2g} × "
     "{depth_mm:.1f} mm): they need peck drilling and are priced as such."),
    ("nonstandard_hole", "info",
     "{count:,} holes have a diameter that is no standard drill size (such as Ø{diameter_mm:.2f} "
     "mm): they are milled or reamed, which takes longer than drilling."),
)


def lookup(code: str) -> Code:
    try:
        return CATALOGUE[code]
    except KeyError:
        raise KeyError(f"{code!r} is not in geometry.codes.CATALOGUE") from None


def render(code: str, params: dict) -> str:
    """The English message of `code` with `params` filled in."""
    return lookup(code).template.format(**params)
