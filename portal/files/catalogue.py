"""Geometry's error and finding codes in plain words, in the visitor's language.

`geometry.codes` is the one catalogue of codes; each carries params (numbers, sizes written
with digits, process ids). Here every code has its text as a message id (English, the same
template as the library's) so that the Russian catalogue translates it; the text is chosen by
the code and filled with the stored params. A test keeps this list and the library's in step.
"""

from __future__ import annotations

import re
from typing import Any

from portal.core.i18n import N_, gettext, local_name, local_number

TEXTS = {
    "not_found": N_("The file {name} does not exist."),
    "unreadable": N_("The file could not be read: it may be damaged. Export it again from your CAD program."),
    "empty_model": N_("The file contains no 3D geometry (no facets, surfaces or solids): check that it is the model itself and export it again."),
    "file_too_large": N_("The file is larger than {limit_mb:,} MB: simplify the model or export it with a coarser tessellation."),
    "too_many_facets": N_("The model has {count:,} facets; the limit is {limit:,}. Export it with a coarser tessellation."),
    "unknown_format": N_("This is not a 3D model we can read (STL, STEP, 3MF or OBJ): export it again in one of these formats."),
    "stl_truncated": N_("The STL file is truncated or damaged: its header announces {facets:,} facets ({expected_bytes:,} bytes) but the file has {size:,} bytes. Export it again."),
    "invalid_stl": N_("The STL file is damaged: it is not valid ASCII STL, and as a binary STL it is truncated or its facet count does not match its size. Export the model again."),
    "invalid_obj": N_("The OBJ file is damaged at line {line:,}: export it again."),
    "invalid_3mf": N_("The 3MF file is damaged or not valid 3MF: export it again."),
    "invalid_step": N_("The STEP file could not be read: it is damaged or not valid STEP. Export it again from your CAD program (AP203, AP214 or AP242)."),
    "zip_too_many_members": N_("The 3MF archive has {count:,} members (the limit is {limit:,}): it is not a normal 3MF file."),
    "zip_too_large": N_("The 3MF archive would unpack to {size_mb:,.0f} MB (the limit is {limit_mb:,.0f} MB)."),
    "zip_bomb": N_("The 3MF archive is compressed {ratio:,.0f}:1, which only a zip bomb does: it was not unpacked."),
    "invalid_coordinates": N_("The model has coordinates that are not numbers (NaN or infinity): repair it or export it again."),
    "coordinates_out_of_range": N_("The model has coordinates beyond ±{limit_mm:,.0f} mm: check the units or the export settings."),
    "degenerate_model": N_("Every facet of the model is degenerate (zero area): there is no surface to measure."),
    "timeout": N_("The file took too long to read (limit {seconds:g} s): it may be damaged or far too complex. Try exporting it again, or simplify the model."),
    "crashed": N_("The file could not be read (the reader stopped unexpectedly): it may be damaged. Try exporting it again from your CAD program."),
    "out_of_memory": N_("The model needs more memory than is allowed: it is too large or too complex. Try a simpler export (fewer facets or bodies)."),
    "sandbox_unavailable": N_("The model reader could not be started: try again later."),
    "internal": N_("The model could not be processed because of a fault on our side: staff have been told."),
    "bad_part": N_("The part has no volume or surface to price: check the model."),
    "unknown_process": N_("Unknown process {value!r}. Choose one of: {choices}."),
    "unknown_material": N_("Unknown material {value!r} for {process}. Choose one of: {choices}."),
    "unknown_finish": N_("Unknown finish {value!r} for {process} in {material}. Choose one of: {choices}."),
    "unknown_tolerance": N_("Unknown tolerance {value!r} for {process}. Choose one of: {choices}."),
    "unknown_lead_time": N_("Unknown lead time {value!r}. Choose one of: {choices}."),
    "bad_quantity": N_("Quantity must be a whole number from 1 to {max:,}."),
    "bad_rate_card": N_("The rate card is not valid: {key} {problem}."),
    "not_watertight": N_("The mesh is not closed ({open_edges:,} open edges, {nonmanifold_edges:,} edges shared by more than two facets), so its volume is an estimate. Repair the model (close the holes) for an exact price."),
    "inconsistent_normals": N_("Some facets face the wrong way ({edges:,} edges join facets of opposite orientation), so the volume may be wrong. Repair the model's normals."),
    "inverted_normals": N_("The facets of {count:,} shell(s) face inwards (inside out); they were measured as if they faced outwards."),
    "multiple_bodies": N_("The file holds {count:,} separate bodies: they are priced as one part. If they are separate parts, upload them as separate files."),
    "internal_voids": N_("The part encloses {count:,} sealed cavities: powder or resin cannot drain from a sealed cavity in SLS or SLA; add drain holes if it should be hollow."),
    "degenerate_facets": N_("{count:,} facets have coinciding corners and were ignored."),
    "gaps_closed": N_("{points:,} points up to {distance_mm:.2g} mm apart were joined, closing {edges:,} open edges (points closer than {tolerance_mm:.2g} mm count as one)."),
    "units_suspect_small": N_("The part is only {longest_mm:.3g} mm along its longest side: it would be {as_inches_mm:,.1f} mm if the file is in inches ({as_metres_mm:,.0f} mm if in metres). Check the units the file was exported in."),
    "units_suspect_large": N_("The part is {longest_m:.3g} m ({longest_mm:,.0f} mm) along its longest side: it would be {as_micrometres_mm:,.2f} mm if the file is in micrometres. Check the units the file was exported in."),
    "normals_repaired": N_("{facets:,} facets faced the other way from their neighbours; they were turned to match the rest of their shell before the part was measured."),
    "units_suggest_inches": N_("The file has no units; read in millimetres the part is {size_mm} mm, read in inches it is {size_in} in ({size_in_mm} mm), which looks more like a real part. Check which units it was exported in."),
    "assembly_missing_part": N_("{count:,} instances in the assembly refer to parts that are not in the file; they were left out."),
    "assembly_cycle": N_("The assembly structure refers back to itself ({count:,} times); those references were left out."),
    "assembly_unnamed_parts": N_("{count:,} parts have no name in the file; they are numbered instead."),
    "assembly_too_many_parts": N_("The file holds more than {limit:,} different parts; only the first {limit:,} are listed. Split the assembly into smaller files."),
    "bad_part_index": N_("The file has {parts:,} parts; there is no part number {index:,}."),
    "exceeds_envelope": N_("At {size} mm the part does not fit the {process} envelope of {envelope} mm: split it into pieces or choose another process."),
    "thin_wall": N_("Walls down to {thickness_mm:.2f} mm thick (near x={x:.1f}, y={y:.1f}, z={z:.1f} mm); {process} needs at least {min_wall_mm:g} mm. Thicken the walls or choose another process."),
    "thin_wall_unchecked": N_("Wall thickness could not be checked automatically on this mesh (too many long, thin facets): staff will check thin walls by hand."),
    "no_solid": N_("The file has surfaces but no closed solid: export the part as a solid body."),
    "closed_shell": N_("The file holds closed surfaces rather than a solid body; they enclose a volume and were measured as a solid."),
    "undercut": N_("{count:,} faces cannot be reached by a tool from any side of a 3-axis mill (undercuts): the part needs 5-axis machining and is quoted by hand for milling."),
    "deep_pocket": N_("A pocket {depth_mm:.1f} mm deep has inside corners of radius {radius_mm:.2g} mm: the {tool_mm:g} mm end mill they need cuts only about {reach_mm:.0f} mm deep at full speed. Enlarge the corner radius or make the pocket shallower; it is priced at a slower cut."),
    "sharp_inside_corner": N_("{count:,} inside corners along the tool's axis are sharp: a milling cutter leaves them rounded to its own radius. Give them a radius (1 mm or more), or ask for a manual quote if they must be sharp."),
    "deep_hole": N_("{count:,} holes are deeper than 6 × their diameter (down to Ø{diameter_mm:.2g} × {depth_mm:.1f} mm): they need peck drilling and are priced as such."),
    "nonstandard_hole": N_("{count:,} holes have a diameter that is no standard drill size (such as Ø{diameter_mm:.2f} mm): they are milled or reamed, which takes longer than drilling."),
    "slicer_missing": N_("The print time and material are estimated: the slicer is not installed on this server."),
    "slice_failed": N_("The slicer could not slice this model, so the print time and material are estimated. A closed, solid model slices best."),
    "slice_timeout": N_("Slicing took longer than {seconds:g} s, so the print time and material are estimated."),
    "bad_slice_option": N_("Unknown {option} {value!r} for slicing. Choose one of: {choices}."),
    # the portal's own: the worker gave up after retrying a fault that was not the file's
    "unavailable": N_("The model could not be analysed because of a problem on our side. Please upload it again later or contact us."),
    # the portal's own: a part of an assembly whose file went before the part was cut out of it
    "part_source_gone": N_("The file this part came from was deleted before the part could be cut out of it: upload the part on its own."),
}

STATUSES = {
    "pending": N_("Waiting"),
    "processing": N_("Analysing"),
    "extracting": N_("Being cut out"),
    "ready": N_("Ready"),
    "failed": N_("Failed"),
}

SEVERITY = {"info": N_("Note"), "warning": N_("Warning"), "blocking": N_("Blocking")}


class _Params(dict):
    def __missing__(self, key: str) -> str:
        return "?"


class _Float(float):
    """A float param whose format spec ("{x:,.1f}") writes it the reader's way."""

    def __format__(self, spec: str) -> str:
        return local_number(format(float(self), spec))


class _Int(int):
    def __format__(self, spec: str) -> str:
        return local_number(format(int(self), spec))


SIZE_TEXT = re.compile(r"^[\d.,]+( × [\d.,]+)*$")  # sizes the geometry library wrote out ("3,000 × 20.5")


def _local(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return _Int(value)
    if isinstance(value, float):
        return _Float(value)
    if isinstance(value, str) and SIZE_TEXT.match(value):
        return local_number(value)
    return value


def text_of(code: str | None, params: dict[str, Any] | None, fallback: str | None = None, card: Any = None) -> str:
    """The message for `code` in the current language, filled with `params`.

    A process id among the params is shown by the rate card's name for it.
    """
    template = TEXTS.get(code or "")
    if template is None:
        return fallback or gettext(TEXTS["unreadable"])
    values = _Params({key: _local(value) for key, value in (params or {}).items()})
    process_id = values.get("process")
    if card is not None and isinstance(process_id, str):
        process = card.process(process_id)
        values["process"] = local_name(process) if process else process_id
    try:
        return gettext(template).format_map(values)
    except (ValueError, TypeError, KeyError):  # a param of an unexpected type: say it plainly
        return fallback or gettext(template)


def failure_text(code: str | None, params: dict[str, Any] | None, message: str | None = None) -> str:
    return text_of(code, params, message)


def finding_text(finding: dict[str, Any], card: Any = None) -> str:
    return text_of(finding.get("code"), finding.get("params"), finding.get("message"), card)


def status_text(status: str) -> str:
    return gettext(STATUSES.get(status, status))


def severity_text(severity: str) -> str:
    return gettext(SEVERITY.get(severity, severity))


TEMPLATE_GLOBALS = {
    "status_text": status_text,
    "failure_text": failure_text,
    "finding_text": finding_text,
    "severity_text": severity_text,
}
