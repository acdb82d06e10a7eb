"""FDM quotes from PrusaSlicer's slice: made once by the worker, kept beside the model, reused."""

from __future__ import annotations

import asyncio
import hashlib
import re
import shutil
import subprocess
from dataclasses import replace
from decimal import Decimal

import numpy as np
import pytest
from sqlalchemy import select

from geometry.pricing import QuoteOptions, default_rate_card, quote
from geometry.slicer import slicer_command
from geometry.stl import write_binary
from jobs.context import build_context, close_context
from jobs.inline import InlineRunner
from jobs.printing import slice_model
from portal.core.queue import JobQueue
from portal.db.models import ModelFile
from portal.files.slicing import SliceService, options_data, slice_options
from portal.files.storage import model_key
from portal.quotes.services import part_of
from tests.integration.uploads import box_stl, run_worker, upload_id, wait_final

pytestmark = pytest.mark.skipif(shutil.which("prusa-slicer") is None, reason="prusa-slicer is not installed")

CARD = default_rate_card()


async def analysed_part(client, settings, db, tmp_path, size=(40.0, 30.0, 12.0)):
    """Upload a generated box, let the worker measure it: its sha256 and its part for pricing."""
    file_id = await upload_id(client, "part.stl", box_stl(tmp_path / "part.stl", size).read_bytes())
    await run_worker(settings)
    async with db() as session:
        row = (await session.execute(select(ModelFile).where(ModelFile.id == file_id))).scalar_one()
    assert row.status == "ready", row.failure_message
    return row.sha256, part_of(row.metrics, row.findings or [], "mm", CARD)


def driver(priced, code):
    return next(d for d in priced.drivers if d.code == code)


def gcode_summary(settings, sha256: str, wanted, tmp_path) -> tuple[float, float]:
    """Hours and grams straight from PrusaSlicer's G-code comments for the stored model."""
    from geometry.slicer import parse_duration

    gcode = tmp_path / "check.gcode"
    model = settings.storage.root / "models" / sha256[:2] / sha256
    stl = tmp_path / "check.stl"
    shutil.copyfile(model, stl)
    command = slicer_command("prusa-slicer", wanted, stl, gcode, tmp_path / "config")
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    text = gcode.read_text()
    seconds = parse_duration(re.search(r"^; estimated printing time \(normal mode\) = (.+)$", text, re.M).group(1))
    cm3 = float(re.search(r"^; filament used \[cm3\] = ([\d.]+)$", text, re.M).group(1))
    return seconds / 3600, cm3 * wanted.density_g_cm3


async def test_fdm_quote_comes_from_the_slicer_and_matches_its_gcode(client, settings, db, tmp_path):
    sha256, part = await analysed_part(client, settings, db, tmp_path)
    options = QuoteOptions("fdm", "pla", infill=20, layer_mm=0.2)
    wanted = slice_options(CARD, options)
    ctx = build_context(settings)
    try:
        slices = SliceService(ctx["storage"], ctx["queue"])
        assert await slices.kept_or_enqueue(sha256, wanted) is None  # not yet: the job is queued
        estimated = quote(part, CARD, options)
        assert driver(estimated, "print_time").source == "estimate"

        await run_worker(settings)
        kept = await slices.kept_or_enqueue(sha256, wanted)
    finally:
        await close_context(ctx)
    assert kept is not None and kept.result is not None, kept
    priced = quote(part, CARD, options, sliced=kept.result)
    hours, grams = gcode_summary(settings, sha256, wanted, tmp_path)
    assert driver(priced, "print_time").source == driver(priced, "material_mass").source == "slicer"
    assert driver(priced, "print_time").value == Decimal(str(hours)).quantize(Decimal("0.01"))
    assert driver(priced, "material_mass").value == Decimal(str(grams)).quantize(Decimal("0.1"))
    assert priced.line("material") == (Decimal(str(grams)) / 1000 * Decimal(1600)).quantize(Decimal("0.01"))
    assert priced.line("machine_time") != estimated.line("machine_time")  # the total may be the minimum order


async def test_more_infill_slices_again_with_more_time_and_plastic(client, settings, db, tmp_path):
    sha256, part = await analysed_part(client, settings, db, tmp_path)
    ctx = build_context(settings)
    try:
        slices = SliceService(ctx["storage"], ctx["queue"])
        sparse, dense = (slice_options(CARD, QuoteOptions("fdm", "pla", infill=i)) for i in (15, 40))
        assert await slices.kept_or_enqueue(sha256, sparse) is None
        assert await slices.kept_or_enqueue(sha256, dense) is None
        await run_worker(settings)
        thin, thick = [(await slices.kept(sha256, o)).result for o in (sparse, dense)]
    finally:
        await close_context(ctx)
    assert thick.mass_g > thin.mass_g * 1.1
    assert thick.print_seconds > thin.print_seconds
    low = quote(part, CARD, QuoteOptions("fdm", "pla", infill=15), sliced=thin)
    high = quote(part, CARD, QuoteOptions("fdm", "pla", infill=40), sliced=thick)
    assert driver(high, "print_time").value > driver(low, "print_time").value
    assert driver(high, "material_mass").value > driver(low, "material_mass").value
    # a slice made with other settings is not used for this quote
    mismatched = quote(part, CARD, QuoteOptions("fdm", "pla", infill=40), sliced=thin)
    assert driver(mismatched, "print_time").source == "estimate"


class NoSlicing:
    """A slicer that must not be called: the kept slice is there."""

    calls = 0

    def slice(self, path, options):
        NoSlicing.calls += 1
        raise AssertionError("sliced again")

    def close(self):
        pass


async def test_a_kept_slice_is_reused_and_the_job_does_not_slice_again(client, settings, db, tmp_path):
    sha256, _ = await analysed_part(client, settings, db, tmp_path)
    wanted = slice_options(CARD, QuoteOptions("fdm", "petg", layer_mm=0.3))
    ctx = build_context(settings)
    try:
        assert await slice_model(ctx, sha256, options_data(wanted)) == "sliced"
        first = await SliceService(ctx["storage"]).kept(sha256, wanted)
        ctx["slicer"].close()
        ctx["slicer"] = NoSlicing()
        assert await slice_model(ctx, sha256, options_data(wanted)) == "kept"  # arq may run it twice
        again = await SliceService(ctx["storage"], ctx["queue"]).kept_or_enqueue(sha256, wanted)
    finally:
        await close_context(ctx)
    assert NoSlicing.calls == 0
    assert again == first and again.result.material == "petg" and again.result.layer_mm == 0.3


async def test_without_the_slicer_the_price_stays_an_estimate_and_says_why(client, settings, db, tmp_path):
    settings = replace(settings, analysis=replace(settings.analysis, slicer_path=str(tmp_path / "no-prusa-slicer")))
    sha256, part = await analysed_part(client, settings, db, tmp_path)
    options = QuoteOptions("fdm", "pla")
    wanted = slice_options(CARD, options)
    ctx = build_context(settings)
    try:
        slices = SliceService(ctx["storage"], ctx["queue"])
        assert await slices.kept_or_enqueue(sha256, wanted) is None
        await run_worker(settings)
        kept = await slices.kept_or_enqueue(sha256, wanted)
    finally:
        await close_context(ctx)
    assert kept.result is None and kept.error_code == "slicer_missing"
    priced = quote(part, CARD, options, sliced=kept.result)
    assert driver(priced, "print_time").source == driver(priced, "material_mass").source == "estimate"


async def test_a_slice_of_a_deleted_model_or_with_bad_arguments_ends_quietly(settings, tmp_path):
    ctx = build_context(settings)
    try:
        wanted = slice_options(CARD, QuoteOptions("fdm", "pla"))
        assert await slice_model(ctx, "0" * 64, options_data(wanted)) == "no model"
        assert await slice_model(ctx, "../" + "0" * 61, options_data(wanted)) == "refused"
        assert await slice_model(ctx, "0" * 64, {**options_data(wanted), "infill_percent": 33}) == "refused"
        assert not await ctx["storage"].exists(model_key("0" * 64))
    finally:
        await close_context(ctx)


async def test_a_hostile_model_times_out_in_the_sandbox_and_the_worker_goes_on(settings, tmp_path):
    settings = replace(settings, analysis=replace(settings.analysis, wall_seconds=4, cpu_seconds=4))
    rng = np.random.default_rng(7)  # 300,000 random facets across 200 mm: a mesh no slicer gets through
    path = tmp_path / "spikes.stl"
    write_binary(path, rng.uniform(0, 200, size=(300_000, 3, 3)))
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    wanted = slice_options(CARD, QuoteOptions("fdm", "pla", layer_mm=0.1, infill=40))
    ctx = build_context(settings)
    try:
        await ctx["storage"].put_file(model_key(sha256), path)
        assert await slice_model(ctx, sha256, options_data(wanted)) == "failed"
        kept = await SliceService(ctx["storage"]).kept(sha256, wanted)
        assert kept.result is None and kept.error_code == "slice_timeout" and kept.error_params == {"seconds": 4}
        # the same slicer goes on: a good part slices right after
        good = box_stl(tmp_path / "good.stl", (20.0, 20.0, 10.0))
        good_sha = hashlib.sha256(good.read_bytes()).hexdigest()
        await ctx["storage"].put_file(model_key(good_sha), good)
        assert await slice_model(ctx, good_sha, options_data(wanted)) == "sliced"
    finally:
        await close_context(ctx)


@pytest.mark.parametrize("mode", ["embedded"], indirect=True)
async def test_the_embedded_default_slices_in_process(client, settings, db, tmp_path):
    file_id = await upload_id(client, "part.stl", box_stl(tmp_path / "part.stl", (25.0, 25.0, 8.0)).read_bytes())
    status, _ = await wait_final(client, file_id)  # analysed by the app's own runner
    assert status == "ready"
    async with db() as session:
        sha256 = (await session.execute(select(ModelFile.sha256).where(ModelFile.id == file_id))).scalar_one()
    wanted = slice_options(CARD, QuoteOptions("fdm", "abs"))
    ctx = build_context(settings, queue=JobQueue(settings, inline_runner=InlineRunner), owns_queue=True)
    try:
        slices = SliceService(ctx["storage"], ctx["queue"])
        kept = await slices.kept_or_enqueue(sha256, wanted)
        deadline = asyncio.get_running_loop().time() + 90
        while kept is None and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.2)
            kept = await slices.kept(sha256, wanted)
    finally:
        await close_context(ctx)
    assert kept is not None and kept.result is not None and kept.result.material == "abs"
