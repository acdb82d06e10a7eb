"""One owner for every transaction: the unit of work (a request, a job, a CLI command) commits
once at its end, then runs the after-commit callbacks (enqueue a job, kick the CRM sync, mail)
that the work registered. A unit of work that fails or rolls back runs none of them, so nothing
is ever queued or mailed about a change that was not saved. Services never commit.

    after_commit(session, lambda: queue.enqueue("analyze_model", file_id))

The request's commit is `CommitBeforeSessionWrite` (portal/db/config.py); jobs and commands use
`unit_of_work()` below. `commit_now()` is the one deliberate exception, for a commit that must
not wait for the end (each caller says why).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

ServiceT = TypeVar("ServiceT", bound=SQLAlchemyAsyncRepositoryService)
Callback = Callable[[], Awaitable[object]]

_KEY = "after_commit"
logger = logging.getLogger("portal.db")


def after_commit(session: AsyncSession, callback: Callback) -> None:
    """Run `callback` once the session's transaction has committed; forget it if it rolls back."""
    session.info.setdefault(_KEY, []).append(callback)


def discard_after_commit(session: AsyncSession) -> None:
    session.info.pop(_KEY, None)


async def run_after_commit(session: AsyncSession) -> None:
    """The callbacks of the transaction that just committed, in the order they were registered.
    One that fails is logged and the others still run: the change is saved either way."""
    for callback in session.info.pop(_KEY, []):
        try:
            await callback()
        except Exception:
            logger.exception("after-commit callback failed")


async def commit(session: AsyncSession) -> None:
    """The unit of work's one commit, then its callbacks; a failed commit drops them."""
    try:
        await session.commit()
    except BaseException:
        discard_after_commit(session)
        raise
    await run_after_commit(session)


async def rollback(session: AsyncSession) -> None:
    discard_after_commit(session)
    await session.rollback()


async def commit_now(session: AsyncSession) -> None:
    """A deliberate commit before the unit of work ends; the caller says in a comment why it
    cannot wait (a count that must stay when the request fails, a job's per-row progress, a
    connection given back before a long wait). Callbacks registered so far run after it."""
    await commit(session)


@asynccontextmanager
async def unit_of_work(sessionmaker: async_sessionmaker, service_type: type[ServiceT]) -> AsyncIterator[ServiceT]:
    """Yield the service on a fresh session; commit when the block ends (then run the
    after-commit callbacks), roll back if it raises.

        async with unit_of_work(sessionmaker, UserService) as users:
            await users.ensure_admin(...)
    """
    async with sessionmaker() as db, service_type.new(session=db) as service:
        try:
            yield service
        except BaseException:
            discard_after_commit(db)
            raise
        await commit(db)


class AfterCommit:
    """A unit of work's after-commit list, for a controller or job (they never touch a session):

        after: AfterCommit            # a handler's parameter
        after.add(lambda: queue.enqueue("analyze_model", str(file.id)))
    """

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(self, callback: Callback) -> None:
        after_commit(self._session, callback)
