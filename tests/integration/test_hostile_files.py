"""Hostile files go through the whole path and end `failed` with a reason a person can act on;
the worker survives each of them and goes on to the next file."""

from __future__ import annotations

import os

import pytest

from tests.integration.hostile import CRASH, HANG, step_text
from tests.integration.uploads import box_stl, hostile_analyzer, run_worker, status_of, upload_id, wait_final
from tests.unit.geometry.models import write_zip_bomb

pytestmark = pytest.mark.slow


def lying_stl(size: int = 84 + 50 * 10) -> bytes:
    """A binary STL whose header announces far more facets than the file holds."""
    header = b"\0" * 80 + (1_000_000).to_bytes(4, "little")
    return header + b"\0" * (size - 84)


async def test_files_that_are_no_model_fail_at_once_with_a_reason(client, tmp_path) -> None:
    good = box_stl(tmp_path / "good.stl").read_bytes()
    cases = {
        "lying-header.stl": lying_stl(),
        "truncated.stl": good[: len(good) - 17],
        "random.stl": os.urandom(4096),
        "empty.stl": b"",
    }
    for name, content in cases.items():
        file_id = await upload_id(client, name, content)
        status, page = await status_of(client, file_id)
        assert status == "failed", (name, page)
        assert "role=\"alert\"" in page and any(
            words in page for words in ("not a 3D model", "truncated", "no 3D geometry")
        ), (name, page)
        assert "Traceback" not in page


async def test_the_worker_survives_bombs_crashes_and_hangs(client, settings, tmp_path) -> None:
    bomb = write_zip_bomb(tmp_path / "bomb.3mf").read_bytes()
    truncated_step = step_text(b"nothing")[:40]
    files = {
        "bomb.3mf": await upload_id(client, "bomb.3mf", bomb),
        "crash.step": await upload_id(client, "crash.step", step_text(CRASH)),
        "hang.step": await upload_id(client, "hang.step", step_text(HANG)),
        "truncated.step": await upload_id(client, "truncated.step", truncated_step),
        "good.stl": await upload_id(client, "good.stl", box_stl(tmp_path / "good.stl").read_bytes()),
    }
    await run_worker(settings, analyzer=hostile_analyzer(settings, wall_seconds=4))

    reasons = {
        "bomb.3mf": "zip bomb",
        "crash.step": "stopped unexpectedly",
        "hang.step": "took too long",
        "truncated.step": "STEP file could not be read",
    }
    for name, file_id in files.items():
        status, page = await wait_final(client, file_id, timeout=5)
        if name == "good.stl":
            assert status == "ready", page
        else:
            assert status == "failed", (name, page)
            assert reasons[name] in page, (name, page)
