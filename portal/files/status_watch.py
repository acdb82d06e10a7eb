"""The status polls waiting in this process share one look at the database per step.

A file's status poll waits up to a second for news. Each poll used to look at its own file every
step, so a hundred open file pages were a thousand queries a second, and every other page waited
behind them (on SQLite most of all). Now one loop, running only while someone waits, reads the
status of every awaited file in one query per step and wakes the polls whose file moved on. No
request holds a database connection while it waits.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from portal.db.models import ModelFile

logger = logging.getLogger("portal.files")

GONE = None  # the status of a file deleted while a poll waited for it
CHUNK = 500  # file ids per query


class StatusWatch:
    def __init__(self, sessionmaker: async_sessionmaker, step_seconds: float = 0.1) -> None:
        self._sessionmaker = sessionmaker
        self.step_seconds = step_seconds
        self._waiting: dict[Any, list[tuple[str, asyncio.Future]]] = {}
        self._loop_task: asyncio.Task | None = None

    async def next_status(self, file_id: Any, status: str, within_seconds: float) -> str | None:
        """The file's status as soon as it is no longer `status`, or `status` after
        `within_seconds`; GONE (None) when the file is deleted meanwhile."""
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        entry = (status, future)
        self._waiting.setdefault(file_id, []).append(entry)
        self._ensure_loop()
        try:
            return await asyncio.wait_for(future, within_seconds)
        except TimeoutError:
            return status
        finally:
            waiters = self._waiting.get(file_id, [])
            if entry in waiters:
                waiters.remove(entry)
            if not waiters:
                self._waiting.pop(file_id, None)

    def _ensure_loop(self) -> None:
        task = self._loop_task
        if task is None or task.done() or task.get_loop() is not asyncio.get_running_loop():
            self._loop_task = asyncio.get_running_loop().create_task(self._watch())

    async def _watch(self) -> None:
        while self._waiting:
            await asyncio.sleep(self.step_seconds)
            try:
                statuses = await self._statuses(list(self._waiting))
            except Exception:  # a failed look is tried again next step; the polls time out anyway
                logger.exception("status watch: the look at the database failed")
                continue
            for file_id, waiters in list(self._waiting.items()):
                status = statuses.get(file_id, GONE)
                for known, future in waiters:
                    if status != known and not future.done():
                        future.set_result(status)

    async def _statuses(self, file_ids: list[Any]) -> dict[Any, str]:
        found: dict[Any, str] = {}
        async with self._sessionmaker() as session:
            for start in range(0, len(file_ids), CHUNK):
                chunk = file_ids[start:start + CHUNK]
                rows = await session.execute(select(ModelFile.id, ModelFile.status).where(ModelFile.id.in_(chunk)))
                found.update(rows.tuples().all())
        return found
