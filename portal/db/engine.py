"""The one place database engines are made: the app, jobs, the CLI and the tests all use it.

SQLite gets the same pragmas wherever it is opened (foreign keys are off unless asked for).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

if TYPE_CHECKING:
    from portal.config import DatabaseSettings


def create_engine(settings: DatabaseSettings) -> AsyncEngine:
    engine = create_async_engine(
        settings.url,
        echo=settings.echo,
        pool_pre_ping=not settings.is_sqlite,
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
        pool_timeout=settings.pool_timeout,
    )
    if settings.is_sqlite:
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL lets readers and one writer work side by side; writers wait instead of failing.

    A burst of logins queues dozens of short writes behind one another, so the wait is generous;
    `synchronous=NORMAL` (safe with WAL: a power cut may lose the last commits, never corrupt the
    file) keeps each write short by not syncing the disk on every commit.
    """
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
