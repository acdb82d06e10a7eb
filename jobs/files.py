"""Model-file jobs: analyse an upload; re-enqueue what a dead worker or a lost queue left behind;
delete anonymous uploads nobody claimed, and files whose analysis failed long ago; sweep the
working folders a killed process left.

`analyze_model` may run twice, or after a worker died mid-way: the row is taken with a lease
(`take_for_analysis`), so only one run works on it and a dead worker's lease runs out. A file
that is simply invalid fails at once and is never retried; trouble that is not the file's
(the sandbox could not start, storage unreachable) is retried with backoff.
"""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
from arq import Retry

from jobs.context import unit_of_work
from portal.files.analysis import AnalysisFailed
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
    settings = ctx["settings"]
    storage = ctx["storage"]
    analyzer = ctx["analyzer"]
    job_try = ctx.get("job_try", 1)
    lease = int(settings.analysis.wall_seconds + LEASE_MARGIN_S)
    async with unit_of_work(ctx, ModelFileService) as files:
        file = await files.take_for_analysis(file_id, lease)
        if file is None:
            return "skipped"  # done already, or another worker holds it
        twin = await files.analysed_twin(file)
        if twin is not None:  # the same bytes were analysed before: their analysis stands
            return (await files.take_analysis_of(file, twin)).status
        card = await RateCardService(session=files.repository.session).current()
        with working_folder(storage.temp_dir(), "analysis-") as folder:
            source = Path(folder, "model")
            limits = limits_of(card.card)
            try:
                await storage.fetch(model_key(file.sha256), source)
                # First the figures, so that the price shows; then the pictures (a second read).
                measured = await anyio.to_thread.run_sync(lambda: analyzer.analyze(source, limits, previews=False))
            except AnalysisFailed as failure:
                if failure.transient:
                    return await _retry(files, file, job_try, str(failure))
                logger.info("model failed", extra={"fields": {"file": str(file.id), "code": failure.code}})
                await files.fail(file, failure.code, failure.message, failure.params)
                return "failed"
            except (StorageError, OSError) as exc:
                return await _retry(files, file, job_try, f"storage: {exc}")
            file = await files.finish(file, measured)
            try:
                drawn = await anyio.to_thread.run_sync(analyzer.analyze, source, limits)
                await files.add_previews(file, drawn, storage)
            except (AnalysisFailed, StorageError, OSError) as exc:  # priced all the same; no 3D view
                logger.warning("previews not drawn", extra={"fields": {"file": str(file.id), "why": str(exc)}})
    return "ready"


async def _retry(files: ModelFileService, file, job_try: int, why: str) -> str:
    logger.warning("analysis will be retried", extra={"fields": {"file": str(file.id), "why": why}})
    if job_try >= MAX_TRIES:
        await files.fail(file, "unavailable", GAVE_UP_MESSAGE)
        return "gave up"
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
