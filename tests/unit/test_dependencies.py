"""Every third-party module the code imports is declared in pyproject.toml.

A module that is only present because something else pulled it in (or because it was installed by
hand) works on one machine and breaks a fresh install.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUR_PACKAGES = {"portal", "geometry", "jobs", "tests", "bench", "migrations"}
SOURCE_FOLDERS = ["portal", "geometry", "jobs", "tests", "bench", "migrations"]


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        requirements += extra
    return {_normalise(re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0]) for requirement in requirements}


def _imported_top_level_modules() -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for folder in SOURCE_FOLDERS:
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if not (path.parent / f"{top}.py").exists():  # a sibling module put on sys.path
                        modules.setdefault(top, path)
    return modules


def test_every_imported_package_is_declared():
    declared = _declared()
    providers = packages_distributions()
    undeclared = []
    for module, path in sorted(_imported_top_level_modules().items()):
        if module in OUR_PACKAGES or module in sys.stdlib_module_names or module == "__future__":
            continue
        distributions = {_normalise(name) for name in providers.get(module, [])}
        if not distributions & declared:
            source = sorted(distributions) or "nothing installed"
            undeclared.append(f"{module} (imported in {path.relative_to(ROOT)}; from {source})")
    assert not undeclared, "declare these in pyproject.toml: " + "; ".join(undeclared)
