"""Working folders and upload parts a killed process left behind are swept, at start and on a
schedule, in both modes; fresh ones, and those a running analysis holds, stay."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from portal.app import create_app
from portal.files.scratch import sweep, working_folder
from tests.integration.conftest import run_queued_jobs

HOUR = 3600


def left_behind(temp: Path, name: str, age_seconds: float) -> Path:
    """An analysis folder with a model and previews in it, as a killed worker leaves it."""
    folder = temp / name
    (folder / "previews-x").mkdir(parents=True)
    (folder / "model").write_bytes(b"solid x")
    (folder / "previews-x" / "thumb.png").write_bytes(b"png")
    make_old(folder, age_seconds)
    return folder


def make_old(path: Path, age_seconds: float) -> None:
    when = time.time() - age_seconds
    for root, folders, files in os.walk(path):
        for name in folders + files:
            os.utime(os.path.join(root, name), (when, when))
    os.utime(path, (when, when))


def test_stale_folders_and_parts_go_fresh_and_held_ones_stay(tmp_path) -> None:
    stale = left_behind(tmp_path, "analysis-stale", HOUR)
    fresh = left_behind(tmp_path, "analysis-fresh", 60)
    stale_part = tmp_path / "upload-stale"
    stale_part.write_bytes(b"half a file")
    make_old(stale_part, HOUR)
    fresh_part = tmp_path / "upload-fresh"
    fresh_part.write_bytes(b"arriving")
    with working_folder(tmp_path, "analysis-") as running:
        (running / "model").write_bytes(b"solid y")
        make_old(running, HOUR)  # a long analysis: old, but its lock is held
        assert sweep(tmp_path, 240) == 2
        assert running.exists()
    assert not stale.exists() and not stale_part.exists()
    assert fresh.exists() and fresh_part.exists()
    assert not running.exists()  # the analysis removes its own folder when it ends


@pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True)
async def test_the_sweep_runs_at_start_in_both_modes(settings) -> None:
    temp = settings.storage.root / "tmp"
    temp.mkdir(parents=True, exist_ok=True)
    stale = left_behind(temp, "analysis-killed", HOUR)
    fresh = left_behind(temp, "analysis-running", 10)
    if settings.redis.url:
        await run_queued_jobs(settings, scheduled=True)  # the worker's cron runs it at startup
    else:
        app = create_app(settings)
        async with app.lifespan():  # the in-process runner runs the schedule at start
            async with asyncio.timeout(30):
                while stale.exists():
                    await asyncio.sleep(0.05)
    assert not stale.exists()
    assert fresh.exists()
