"""Model-file jobs: analyse an upload; re-enqueue what a dead worker or a lost queue left behind;
delete anonymous uploads nobody claimed, and files whose analysis failed long ago; sweep the
working folders a killed process left.

`analyze_model` may run twice, or after a worker died mid-way: the row is taken with a lease
(`take_for_analysis`), so only one run works on it and a dead worker's lease runs out. A file
that is simply invalid fails at once and is never retried; trouble that is not the file's
(the sandbox could not start, storage unreachable) is retried with backoff.
"""

from __future__ import annotations

import hashlib
import logging
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
from arq import Retry

from jobs.context import unit_of_work
from portal.db.models import ModelFile
from portal.files.analysis import AnalysisFailed, AnalysisResult
from portal.files.notices import tell_failed_deleted
from portal.files.scratch import sweep, working_folder
from portal.files.services import ModelFileService, analysis_job_id
from portal.files.storage import StorageError, model_key
from portal.quotes.services import RateCardService, limits_of

logger = logging.getLogger("portal.jobs")

MAX_TRIES = 5
LEASE_MARGIN_S = 30  # on top of the sandbox's wall-clock limit
STALLED_PENDING = timedelta(minutes=2)
GAVE_UP_MESSAGE = (
    "The model could not be analysed because of a problem on our side. It will be tried again; "
    "if this stays, upload it again or contact us."
)


def backoff_seconds(job_try: int) -> float:
    """5, 10, 20, 40 s … with ±20 % jitter."""
    return 5 * 2 ** max(job_try - 1, 0) * random.uniform(0.8, 1.2)


async def analyze_model(ctx: dict[str, Any], file_id: str) -> str:
    """Measure the file (the price waits for it), then draw its pictures.

    No database connection is held while a sandbox works (up to its wall-clock limit, twice):
    each step below opens a unit of work of its own. The lease is taken only once the measuring
    sandbox is free, so a job queued behind long measurements does not see its lease run out
    and its file taken by a second run."""
    storage = ctx["storage"]
    analyzer = ctx["analyzer"]
    lease = int(ctx["settings"].analysis.wall_seconds + LEASE_MARGIN_S)
    with working_folder(storage.temp_dir(), "analysis-") as folder:
        source = Path(folder, "model")
        async with analyzer.measuring_slot():
            async with unit_of_work(ctx, ModelFileService) as files:
                file = await files.take_for_analysis(file_id, lease)
                if file is None:
                    return "skipped"  # done already, or another worker holds it
                twin = await files.analysed_twin(file)
                if twin is not None:  # the same bytes were analysed before: their analysis stands
                    return (await files.take_analysis_of(file, twin)).status
            async with unit_of_work(ctx, RateCardService) as cards:
                limits = limits_of((await cards.current()).card)
            measured = await _measure(ctx, file, source, limits)
        if measured is None:
            return "failed"
        await _draw_previews(ctx, file, source, limits)
    return "ready"


async def extract_part(ctx: dict[str, Any], file_id: str) -> str:
    """Cut one part out of its parent file (in the measuring sandbox, holding no database
    connection meanwhile), store it under its own bytes and enqueue its analysis: from then on it
    is a file like any upload. Safe to run twice: only a file still `extracting` is worked on, and
    the bytes go under their own hash."""
    storage, analyzer = ctx["storage"], ctx["analyzer"]
    async with unit_of_work(ctx, ModelFileService) as files:
        file = await files.get_one_or_none(id=file_id)
        parent = await files.get_one_or_none(id=file.parent_id) if file and file.parent_id else None
        if file is None or file.status != "extracting":
            return "skipped"
        if parent is None:
            await files.fail(file, "part_source_gone", "The file this part came from was deleted before the part "
                             "could be cut out of it.")
            return "failed"
    with working_folder(storage.temp_dir(), "analysis-") as folder:
        source, out = Path(folder, "model"), Path(folder, "part")
        try:
            await storage.fetch(model_key(parent.sha256), source)
            async with analyzer.measuring_slot():
                await anyio.to_thread.run_sync(analyzer.extract_part, source, file.part_index, out)
            data = out.read_bytes()
            sha256 = hashlib.sha256(data).hexdigest()
            await storage.put_file(model_key(sha256), out)
        except AnalysisFailed as failure:
            if failure.transient:
                raise Retry(defer=backoff_seconds(ctx.get("job_try", 1))) from None
            async with unit_of_work(ctx, ModelFileService) as files:
                await files.fail(file, failure.code, failure.message, failure.params)
            return "failed"
        except (StorageError, OSError) as exc:
            logger.warning("part not cut out yet", extra={"fields": {"file": str(file.id), "why": str(exc)}})
            raise Retry(defer=backoff_seconds(ctx.get("job_try", 1))) from None
    async with unit_of_work(ctx, ModelFileService) as files:
        file = await files.extracted(file, sha256, len(data))
    await ctx["queue"].enqueue("analyze_model", str(file.id), job_id=analysis_job_id(file.id, 0))
    return "extracted"


async def _measure(ctx: dict[str, Any], file: ModelFile, source: Path, limits) -> AnalysisResult | None:
    """The figures and checks, so that the price shows; None when the file failed for good."""
    try:
        await ctx["storage"].fetch(model_key(file.sha256), source)
        measured = await anyio.to_thread.run_sync(lambda: ctx["analyzer"].analyze(source, limits, previews=False))
    except AnalysisFailed as failure:
        if failure.transient:
            return await _retry(ctx, file, str(failure))
        logger.info("model failed", extra={"fields": {"file": str(file.id), "code": failure.code}})
        async with unit_of_work(ctx, ModelFileService) as files:
            await files.fail(file, failure.code, failure.message, failure.params)
        return None
    except (StorageError, OSError) as exc:
        return await _retry(ctx, file, f"storage: {exc}")
    async with unit_of_work(ctx, ModelFileService) as files:
        await files.finish(file, measured)
    return measured


async def _draw_previews(ctx: dict[str, Any], file: ModelFile, source: Path, limits) -> None:
    """The thumbnail and the viewer's models (a second read). Without them the file is priced
    all the same; it only has no 3D view."""
    try:
        drawn = await anyio.to_thread.run_sync(ctx["analyzer"].analyze, source, limits)
    except (AnalysisFailed, OSError) as exc:
        logger.warning("previews not drawn", extra={"fields": {"file": str(file.id), "why": str(exc)}})
        return
    try:
        async with unit_of_work(ctx, ModelFileService) as files:
            await files.add_previews(file, drawn, ctx["storage"])
    except (StorageError, OSError) as exc:
        logger.warning("previews not drawn", extra={"fields": {"file": str(file.id), "why": str(exc)}})


async def _retry(ctx: dict[str, Any], file: ModelFile, why: str) -> None:
    """Trouble that is not the file's: back to `pending` and tried again later, up to MAX_TRIES."""
    logger.warning("analysis will be retried", extra={"fields": {"file": str(file.id), "why": why}})
    job_try = ctx.get("job_try", 1)
    async with unit_of_work(ctx, ModelFileService) as files:
        if job_try >= MAX_TRIES:
            await files.fail(file, "unavailable", GAVE_UP_MESSAGE)
            return None
        await files.release(file)
    raise Retry(defer=backoff_seconds(job_try))


async def requeue_stalled_files(ctx: dict[str, Any]) -> int:
    """Files left `processing` by a dead worker (lease run out) or `pending` with no job (a lost
    queue) are enqueued again under a fresh job id; the lease makes an extra run harmless."""
    queue = ctx["queue"]
    async with unit_of_work(ctx, ModelFileService) as files:
        stalled = await files.stalled(datetime.now(UTC), STALLED_PENDING)
    for file in stalled:
        await queue.enqueue("analyze_model", str(file.id), job_id=analysis_job_id(file.id, file.attempts + 1))
    return len(stalled)


async def purge_unclaimed_files(ctx: dict[str, Any]) -> int:
    """Anonymous uploads past their expiry go, with their bytes when nothing else uses them."""
    async with unit_of_work(ctx, ModelFileService) as files:
        expired = await files.expired(datetime.now(UTC))
        for file in expired:
            await files.remove(file, ctx["storage"])
    return len(expired)


async def purge_failed_files(ctx: dict[str, Any]) -> int:
    """Files whose analysis failed more than PORTAL_FAILED_UPLOAD_DAYS ago go (their bytes too,
    unless another file has the same ones); once that is committed, each owner is told which."""
    settings = ctx["settings"]
    days = settings.uploads.failed_days
    async with unit_of_work(ctx, ModelFileService) as files:
        failed = await files.failed_before(datetime.now(UTC) - timedelta(days=days))
        owners = await files.owners(failed)
        for file in failed:
            await files.remove(file, ctx["storage"])
    site = settings.site_url
    for owner_id, owner in owners.items():
        names = [file.name for file in failed if file.owner_id == owner_id]
        await tell_failed_deleted(ctx["mail"], owner, names, site, days)
    return len(failed)


async def sweep_working_files(ctx: dict[str, Any]) -> int:
    """Working folders and upload parts a killed process left: nothing touched them for twice
    the longest an analysis may take, and no running analysis holds them."""
    settings = ctx["settings"]
    older_than = 2 * max(settings.analysis.wall_seconds, 60)
    removed = await anyio.to_thread.run_sync(sweep, ctx["storage"].temp_dir(), older_than)
    if removed:
        logger.info("working files swept", extra={"fields": {"count": removed}})
    return removed
