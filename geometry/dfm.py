"""Manufacturability rules: figures the library has measured → findings with stable codes.

The codes, severities and messages are in `geometry.codes`. This module only decides which
findings a part gets; the wall thickness comes from `geometry.rays` (the quick check) or
`geometry.thickness` (the map), the figures from `geometry.measure` or `geometry.step`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from geometry.limits import INCH_MM, UNITS_LARGE_MM, UNITS_SMALL_MM
from geometry.model import Finding, ProcessLimits
from geometry.rays import Wall, thin_wall


def _size(extents: Sequence[float]) -> str:
    def mm(value: float) -> str:
        if value >= 100:
            return f"{value:,.0f}"
        if value >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"

    return " × ".join(mm(float(v)) for v in extents)


def units_findings(bbox_mm: Sequence[float], units: dict | None = None) -> list[Finding]:
    """A part under 1 mm or over 3 m along its longest side has suspicious units; a larger file
    without units that reads more plausibly in inches (`units`: `geometry.units.read_units`)
    says so too."""
    longest = max(float(v) for v in bbox_mm)
    if 0 < longest < UNITS_SMALL_MM:
        return [
            Finding.of(
                "units_suspect_small",
                longest_mm=longest,
                as_inches_mm=longest * INCH_MM,
                as_metres_mm=longest * 1000,
            )
        ]
    if longest > UNITS_LARGE_MM:
        return [
            Finding.of(
                "units_suspect_large",
                longest_m=longest / 1000,
                longest_mm=longest,
                as_micrometres_mm=longest / 1000,
            )
        ]
    if units is not None and units["declared"] is None and units["suggested"] == "in":
        return [
            Finding.of(
                "units_suggest_inches",
                size_mm=_size(units["sizes"]["mm"]),
                size_in=" × ".join(f"{v:g}" for v in _rounded(units["sizes"]["mm"])),
                size_in_mm=_size(units["sizes"]["in"]),
            )
        ]
    return []


def _rounded(values: Sequence[float]) -> list[float]:
    return [round(float(v), 4) for v in values]


def envelope_findings(extents_mm: Sequence[float], limits: Sequence[ProcessLimits]) -> list[Finding]:
    """Blocking for each process whose build envelope / machine travel the part cannot fit.

    The part may be turned any way, so its box (largest side first) is compared with the
    envelope sorted the same way.
    """
    part = sorted((float(v) for v in extents_mm), reverse=True)
    findings = []
    for limit in limits:
        room = sorted((float(v) for v in limit.envelope_mm), reverse=True)
        if any(p > r for p, r in zip(part, room, strict=True)):
            findings.append(
                Finding.of(
                    "exceeds_envelope",
                    process=limit.name,
                    size=_size(part),
                    envelope=_size(limit.envelope_mm),
                )
            )
    return findings


def topology_findings(metrics: Any) -> list[Finding]:
    """Findings from a `geometry.measure.MeshMetrics`."""
    findings = []
    if metrics.gaps is not None:
        gaps = metrics.gaps
        findings.append(
            Finding.of(
                "gaps_closed",
                points=gaps.points,
                edges=gaps.edges,
                distance_mm=gaps.distance_mm,
                tolerance_mm=gaps.tolerance_mm,
            )
        )
    if not metrics.watertight:
        findings.append(
            Finding.of(
                "not_watertight",
                open_edges=metrics.open_edges,
                nonmanifold_edges=metrics.nonmanifold_edges,
            )
        )
    if metrics.turned_facets:
        findings.append(Finding.of("normals_repaired", facets=metrics.turned_facets))
    if metrics.misoriented_edges:
        findings.append(Finding.of("inconsistent_normals", edges=metrics.misoriented_edges))
    if metrics.inverted_shells:
        findings.append(Finding.of("inverted_normals", count=metrics.inverted_shells))
    if metrics.bodies > 1:
        findings.append(Finding.of("multiple_bodies", count=metrics.bodies))
    if metrics.voids:
        findings.append(Finding.of("internal_voids", count=metrics.voids))
    if metrics.degenerate:
        findings.append(Finding.of("degenerate_facets", count=metrics.degenerate))
    return findings


def parts_findings(truncated: bool) -> list[Finding]:
    """A file with more distinct parts than are listed says so."""
    from geometry.limits import PARTS_MAX

    return [Finding.of("assembly_too_many_parts", limit=PARTS_MAX)] if truncated else []


def thin_wall_findings(wall: Wall | None, limits: Sequence[ProcessLimits]) -> list[Finding]:
    if wall is None:
        return []
    if not wall.complete:
        return [Finding.of("thin_wall_unchecked")]
    x, y, z = wall.at_mm
    return [
        Finding.of(
            "thin_wall",
            process=limit.name,
            thickness_mm=wall.thickness_mm,
            x=x,
            y=y,
            z=z,
            min_wall_mm=limit.min_wall_mm,
        )
        for limit in limits
        if wall.thickness_mm < limit.min_wall_mm
    ]


_UNSET: Any = object()


def mesh_findings(
    metrics: Any, limits: Sequence[ProcessLimits], wall: Any = _UNSET, units: dict | None = None
) -> list[Finding]:
    """Every finding for a measured mesh (`wall`: a thin-wall result computed already;
    `units`: the units reading, `geometry.units.read_units`)."""
    findings = topology_findings(metrics)
    findings += units_findings(metrics.bbox_mm, units)
    findings += envelope_findings(metrics.obb_mm, limits)
    if wall is _UNSET:
        wall = thin_wall(
            vertices=metrics.vertices,
            faces=metrics.faces,
            face_areas=metrics.face_areas,
            face_size=metrics.face_size,
            bbox_min=metrics.bbox_min,
            bbox_max=metrics.bbox_max,
            limits=limits,
            outward=-1.0 if metrics.signed_volume_mm3 < 0 else 1.0,
            face_shell=metrics.face_shell,
        )
    findings += thin_wall_findings(wall, limits)
    return findings
