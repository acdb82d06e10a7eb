"""The library's house rules: one catalogue of codes, no import cycles, no global side effects."""

from __future__ import annotations

import ast
import re
import string
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np
from models import box, sphere

from geometry.codes import CATALOGUE
from geometry.measure import measure
from geometry.model import Finding, GeometryError

PACKAGE = Path(__file__).resolve().parents[3] / "geometry"


def _sources():
    return sorted(PACKAGE.rglob("*.py"))


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_every_code_the_library_gives_is_in_the_catalogue():
    used = set()
    for path in _sources():
        text = path.read_text()
        used |= set(re.findall(r'GeometryError\(\s*"([a-z_0-9]+)"', text))
        used |= set(re.findall(r'Finding\.of\(\s*"([a-z_0-9]+)"', text))
    assert used, "the pattern found no code at all"
    missing = used - set(CATALOGUE)
    assert not missing, missing


def test_templates_name_their_params_and_render():
    for code, entry in CATALOGUE.items():
        names = {field for _, field, _, _ in string.Formatter().parse(entry.template) if field}
        params = {name: 1.5 if "mm" in name or name in ("ratio", "seconds") else 2 for name in names}
        message = GeometryError(code, **params).message
        assert message and "{" not in message, code
        assert entry.severity in ("error", "blocking", "warning", "info")


def test_no_two_codes_share_a_message():
    templates = [entry.template for entry in CATALOGUE.values()]
    assert len(set(templates)) == len(templates)


def test_finding_carries_severity_message_and_params():
    finding = Finding.of("thin_wall", "fdm", thickness_mm=0.4, x=1, y=2, z=3, min_wall_mm=1.0)
    assert finding.severity == "warning"
    assert finding.params["process"] == "fdm" and finding.params["thickness_mm"] == 0.4
    assert "0.40 mm" in finding.message and "fdm needs at least 1 mm" in finding.message


def test_error_as_dict_is_translatable_by_code():
    error = GeometryError("too_many_facets", "from the header", count=30_000_000, limit=20_000_000)
    data = error.as_dict()["error"]
    assert data["code"] == "too_many_facets"
    assert data["params"] == {"count": 30_000_000, "limit": 20_000_000}
    assert "30,000,000" in data["message"] and data["detail"] == "from the header"


def _imports(path: Path) -> set[str]:
    """Every geometry module this file imports, at the top or inside a function."""
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] == "geometry":
                for alias in node.names:
                    candidate = f"{node.module}.{alias.name}"
                    found.add(candidate if (PACKAGE.parent / candidate.replace(".", "/")).with_suffix(".py").exists()
                              else node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "geometry"}
    return found


def test_no_import_cycles():
    graph = {_module_name(p): _imports(p) - {_module_name(p)} for p in _sources()}
    # a package's __init__ is imported with each of its modules: that edge is not a cycle
    for name, deps in graph.items():
        graph[name] = {d for d in deps if not name.startswith(d + ".")}
    state: dict[str, int] = {}

    def visit(node, trail):
        if state.get(node) == 1:
            raise AssertionError("import cycle: " + " → ".join(trail[trail.index(node):] + [node]))
        if state.get(node) == 2:
            return
        state[node] = 1
        for dep in sorted(graph.get(node, ())):
            visit(dep, trail + [node])
        state[node] = 2

    for node in sorted(graph):
        visit(node, [])


def test_measure_changes_no_process_wide_state():
    interval = sys.getswitchinterval()
    measure(np.concatenate([sphere(4), box(at=(50, 0, 0))]).astype(np.float32))
    assert sys.getswitchinterval() == interval


def test_notes_about_our_processing_are_for_staff():
    joined = Finding.of("gaps_closed", points=288, edges=12, distance_mm=2.7e-16, tolerance_mm=1e-5)
    assert joined.audience == "staff"
    assert Finding.of("degenerate_facets", count=3).audience == "staff"
    assert Finding.of("not_watertight", open_edges=3, nonmanifold_edges=0).audience == "customer"
    assert asdict(joined)["audience"] == "staff"
    assert {entry.audience for entry in CATALOGUE.values()} == {"customer", "staff"}
