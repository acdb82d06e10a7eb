"""The embedded default: the same job functions, run in-process instead of by an arq worker."""

from __future__ import annotations

import logging
from typing import Any

from jobs.context import build_context
from jobs.registry import JOBS
from portal.config import Settings

logger = logging.getLogger("portal.jobs")


class InlineRunner:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._context: dict[str, Any] | None = None

    async def run(self, name: str, *args: Any) -> Any:
        if self._context is None:
            self._context = build_context(self._settings)
        try:
            return await JOBS[name](self._context, *args)
        except Exception:  # the job records its own failure; the web process goes on
            logger.exception("job failed", extra={"fields": {"job": name}})
            return None

    async def close(self) -> None:
        if self._context is not None:
            await self._context["engine"].dispose()
