"""What every job gets in its context, built once per worker (or once per app in-process)."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

from portal.config import Settings
from portal.db.engine import create_engine, create_sessionmaker
from portal.db.unit_of_work import ServiceT
from portal.db.unit_of_work import unit_of_work as _unit_of_work


def build_context(settings: Settings) -> dict[str, Any]:
    engine = create_engine(settings.database)
    return {"settings": settings, "engine": engine, "sessionmaker": create_sessionmaker(engine)}


async def close_context(ctx: dict[str, Any]) -> None:
    await ctx["engine"].dispose()


def unit_of_work(ctx: dict[str, Any], service_type: type[ServiceT]) -> AbstractAsyncContextManager[ServiceT]:
    """A job's body: load, call the service, commit (see portal/db/unit_of_work.py).

        async def purge_expired(ctx):
            async with unit_of_work(ctx, SessionService) as sessions:
                return await sessions.purge_expired()
    """
    return _unit_of_work(ctx["sessionmaker"], service_type)
