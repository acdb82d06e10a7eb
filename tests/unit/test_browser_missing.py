"""A machine without Chromium skips the browser tests; a CI run without it fails them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]
ONE_BROWSER_TEST = "tests/e2e/test_served.py::test_a_forwarded_for_header_from_the_client_is_not_believed"


def _run_without_chromium(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "CI"}
    env["E2E_CHROMIUM"] = str(tmp_path / "no-chromium")
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", ONE_BROWSER_TEST],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


def test_without_chromium_the_browser_tests_are_skipped(tmp_path) -> None:
    done = _run_without_chromium(tmp_path, None)
    assert done.returncode == 0, done.stdout[-2000:]
    assert "1 skipped" in done.stdout and "Chromium not found" in done.stdout


@pytest.mark.parametrize("ci", ["true", "1"])
def test_on_ci_without_chromium_the_browser_tests_fail(tmp_path, ci) -> None:
    done = _run_without_chromium(tmp_path, ci)
    assert done.returncode == 1, done.stdout[-2000:]
    assert "1 error" in done.stdout and "Chromium not found" in done.stdout
