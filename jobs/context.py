"""What every job gets in its context, built once per worker (or once per app in-process)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from portal.config import Settings


def build_context(settings: Settings) -> dict[str, Any]:
    engine = create_async_engine(settings.database.url, pool_pre_ping=not settings.database.is_sqlite)
    return {
        "settings": settings,
        "engine": engine,
        "sessionmaker": async_sessionmaker(engine, expire_on_commit=False),
    }
