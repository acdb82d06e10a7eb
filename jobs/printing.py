"""Print jobs: slice one model with one set of print options, once, and keep the outcome.

`slice_model` may run twice (arq) or for a slice another run has just kept: it looks for the
kept slice first and does nothing when it is there; two runs at once both slice, and the first
to write is kept (a kept object never changes). A model that is gone (deleted meanwhile) ends
the job; storage that cannot be reached is tried again with backoff.
"""

from __future__ import annotations

import logging
import re
import tempfile
from pathlib import Path
from typing import Any

import anyio
from arq import Retry

from geometry.model import GeometryError
from geometry.slicer import SliceOptions
from jobs.files import MAX_TRIES, backoff_seconds
from portal.files.slicing import SliceService
from portal.files.storage import StorageError, model_key

logger = logging.getLogger("portal.jobs")


async def slice_model(ctx: dict[str, Any], sha256: str, options: dict[str, Any]) -> str:
    storage, slicer = ctx["storage"], ctx["slicer"]
    slices = SliceService(storage)
    try:
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise TypeError("not a sha256")
        wanted = SliceOptions(**options).check()
    except (TypeError, GeometryError) as exc:
        logger.warning("slice refused", extra={"fields": {"model": sha256, "why": str(exc)}})
        return "refused"
    try:
        if await slices.kept(sha256, wanted) is not None:
            return "kept"
        with tempfile.TemporaryDirectory(dir=storage.temp_dir(), prefix="slice-") as folder:
            source = Path(folder, "model")
            try:
                await storage.fetch(model_key(sha256), source)
            except FileNotFoundError:
                return "no model"
            outcome = await anyio.to_thread.run_sync(slicer.slice, source, wanted)
        kept = await slices.keep(sha256, wanted, outcome)
    except (StorageError, OSError) as exc:
        job_try = ctx.get("job_try", 1)
        logger.warning("slice will be retried", extra={"fields": {"model": sha256, "why": str(exc)}})
        if job_try >= MAX_TRIES:
            return "gave up"
        raise Retry(defer=backoff_seconds(job_try)) from exc
    if kept.result is None:
        logger.info("slice failed", extra={"fields": {"model": sha256, "code": kept.error_code}})
        return "failed"
    return "sliced"
