"""The embedded default: the same job functions, run in-process instead of by an arq worker."""

from __future__ import annotations

import logging
from typing import Any

from jobs.context import build_context
from jobs.registry import JOBS
from portal.config import get_settings

logger = logging.getLogger("portal.jobs")
_context: dict[str, Any] | None = None


async def run_inline(name: str, *args: Any) -> Any:
    global _context
    if _context is None:
        _context = build_context(get_settings())
    try:
        return await JOBS[name](_context, *args)
    except Exception:  # a failing job is logged and recorded by the job itself; the app goes on
        logger.exception("job failed", extra={"fields": {"job": name}})
        return None
