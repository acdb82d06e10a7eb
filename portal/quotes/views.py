"""What the quote panel and the upload page show, assembled from the services for a template."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from geometry.model import GeometryError
from geometry.pricing import Part, RateCard
from portal.core.i18n import local_name
from portal.db.models import ModelFile, ReviewRequest
from portal.files.services import ModelFileService
from portal.files.slicing import slice_options
from portal.quotes.reviews import ReviewService
from portal.quotes.services import (
    UNITS,
    CurrentCard,
    QuoteForm,
    QuoteOutcome,
    QuoteService,
    build_form,
    findings_in,
    part_of,
    scaled_metrics,
)

# The units a file with units of its own may really be in, by the geometry's units finding.
UNIT_QUESTIONS = {"units_suspect_small": ("in", "m"), "units_suspect_large": ("um",)}


@dataclass(frozen=True)
class UnitsQuestion:
    """Which units the file's numbers are in: asked once for a format without units (STL, OBJ),
    and for a file whose declared units give an implausible size."""

    choices: tuple[tuple[str, list[float]], ...]  # (units, the part's size in mm if so)
    suggested: str  # pre-selected until the owner answers
    answered: bool


def units_question(file: ModelFile) -> UnitsQuestion | None:
    metrics = file.metrics or {}
    extents = metrics.get("bbox_mm")
    if not extents:
        return None
    read = metrics.get("units") or {}
    if read and not read.get("declared"):
        offered, suggested = ("mm", "in"), read.get("suggested") or "mm"
    else:
        codes = [f["code"] for f in file.findings or [] if f["code"] in UNIT_QUESTIONS]
        if not codes:
            return None
        offered, suggested = ("mm", *UNIT_QUESTIONS[codes[0]]), "mm"
    choices = tuple((units, [v * float(UNITS[units]) for v in extents]) for units in offered)
    return UnitsQuestion(choices, suggested, answered=file.units in UNITS)
# Notes about how the file was read, not about the part.
STAFF_NOTES = {"gaps_closed"}


@dataclass(frozen=True)
class PrintSource:
    """Where an FDM price's print time and material come from: the slicer (`sliced`), or the
    instant estimate while the slice is made (`pending`) or because it could not be (`error`)."""

    fdm: bool = False
    sliced: Any = None
    pending: bool = False
    error: str | None = None
    error_params: dict[str, Any] = field(default_factory=dict)

    @property
    def source(self) -> str | None:
        return None if not self.fdm else "slicer" if self.sliced is not None else "estimate"


async def slice_of(file: ModelFile, form: QuoteForm, card: RateCard, units: str, slices) -> PrintSource:
    """The kept slice for an FDM quote (the job that makes it is enqueued when there is none)."""
    if not form.infills:
        return PrintSource()
    if slices is None:
        return PrintSource(fdm=True, error="slicer_missing")
    try:
        wanted = slice_options(card, form.options, UNITS[units])
    except GeometryError as error:
        return PrintSource(fdm=True, error=error.code, error_params=dict(error.params))
    kept = await slices.kept_or_enqueue(file.sha256, wanted)
    if kept is None:
        return PrintSource(fdm=True, pending=True)
    if kept.result is None:
        return PrintSource(fdm=True, error=kept.error_code, error_params=kept.error_params)
    return PrintSource(fdm=True, sliced=kept.result)


@dataclass(frozen=True)
class Assembly:
    """A file of several bodies, not (yet) said to be one item: its distinct parts, each with its
    count, and the files cut out of it once it is split (by part index)."""

    parts: list[dict[str, Any]]
    bodies: int
    children: dict[int, ModelFile]


async def assembly_of(file: ModelFile, session) -> Assembly | None:
    if not file.is_assembly or file.whole:
        return None
    children = await ModelFileService(session=session).children(file) if file.split else []
    bodies = sum(int(part.get("count") or 1) for part in file.parts)
    return Assembly(file.parts, bodies, {child.part_index: child for child in children})


@dataclass
class QuotePanel:
    file: ModelFile
    card: RateCard
    card_number: int
    units: str
    units_question: UnitsQuestion | None  # "millimetres or inches?", when the file leaves it open
    metrics: dict[str, Any]
    findings: list[dict[str, Any]]
    form: QuoteForm
    outcome: QuoteOutcome
    review: ReviewRequest | None
    part: Part  # in millimetres after the choice of units, as pricing sees it
    assembly: Assembly | None = None  # priced part by part, not as one block
    printing: PrintSource = field(default_factory=lambda: PrintSource())

    @property
    def slicing(self) -> bool:
        """An FDM price from the estimate while its slice is being made: the panel asks again."""
        return self.printing.pending


# Findings that concern one kind of process although the analysis names none: how a cutter
# reaches the faces, its corner radius, drilled holes. Printing has none of these limits.
FINDING_PROCESS_KINDS = {
    "undercut": {"milling", "turning"},
    "deep_pocket": {"milling", "turning"},
    "sharp_inside_corner": {"milling", "turning"},
    "deep_hole": {"milling", "turning"},
    "nonstandard_hole": {"milling", "turning"},
}


def customer_findings(findings: list[dict[str, Any]], process: Any) -> list[dict[str, Any]]:
    """The findings a customer reads beside the chosen process (the rate card's entry, None if
    there is none): those of the part and of that process, each problem once. Notes on our own
    processing (points joined while reading) are for staff and the logs; a process that cannot
    make the part says why in the process list."""
    process_id, kind = (process.id, process.kind) if process is not None else (None, None)
    shown, seen = [], set()
    for finding in findings:
        if finding.get("audience") == "staff" or finding["code"] in STAFF_NOTES:
            continue
        if finding.get("process") not in (None, process_id):
            continue
        if kind not in FINDING_PROCESS_KINDS.get(finding["code"], {kind}):
            continue
        if finding["code"] not in seen:
            seen.add(finding["code"])
            shown.append(finding)
    return shown


def default_options(file: ModelFile) -> dict[str, Any]:
    return dict(file.quote_options or {})


async def quote_panel(
    file: ModelFile, wanted: dict[str, Any] | None, current: CurrentCard, quotes: QuoteService, session
) -> QuotePanel:
    wanted = dict(wanted) if wanted is not None else default_options(file)
    question = units_question(file)
    units = wanted.get("units") or file.units
    if units not in UNITS:  # not answered yet: the more plausible reading
        units = question.suggested if question else "mm"
    card = current.card
    findings = file.findings or []
    part = part_of(file.metrics or {}, findings, units, card)
    form = build_form(part, card, wanted)
    assembly = await assembly_of(file, session)
    if form.errors:  # no price for options the customer must correct: never a stale one
        outcome = QuoteOutcome(None, "bad_options")
    elif assembly is not None:  # several parts are not one milled block
        outcome = QuoteOutcome(None, "assembly")
    else:
        printing = await slice_of(file, form, card, units, quotes.slices)
        outcome = quotes.outcome(f"{file.sha256}:{units}", part, form, card, current.key, sliced=printing.sliced)
    # the part's request for a manual quote, priced or not; a demo part is everyone's, and its
    # panel is kept for everyone alike: one customer's request is not shown on it
    review = None
    if not form.errors and assembly is None and not file.is_demo:
        review = await ReviewService(session=session).latest_for(file.id)
    return QuotePanel(
        file=file,
        card=card,
        card_number=current.number,
        units=units,
        units_question=question,
        metrics=scaled_metrics(file.metrics or {}, units),
        findings=[f for f in customer_findings(findings_in(findings, units, card), card.process(form.options.process))
                  if not (question and f["code"] in UNIT_QUESTIONS)  # the question asks it already
                  and not (file.is_assembly and f["code"] == "multiple_bodies")],  # so do the parts
        form=form,
        outcome=outcome,
        review=review,
        part=part,
        assembly=assembly,
        printing=printing if not form.errors and assembly is None else PrintSource(),
    )


def rate_card_summary(card: RateCard) -> dict[str, Any]:
    """Processes, materials and lead times on offer, for the upload page (in its language)."""
    return {
        "processes": [
            {
                "name": local_name(p),
                "kind": p.kind,
                "envelope": " × ".join(f"{v:.0f}" for v in sorted(p.envelope_mm, reverse=True)),
                "materials": [local_name(m) for m in p.materials],
            }
            for p in card.processes
        ],
        "lead_times": [{"name": local_name(t), "days": t.days} for t in card.lead_times],
        "currency": card.currency,
    }
