"""Work outside a request (jobs, CLI commands): one session, one service, one commit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypeVar

from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy.ext.asyncio import async_sessionmaker

ServiceT = TypeVar("ServiceT", bound=SQLAlchemyAsyncRepositoryService)


@asynccontextmanager
async def unit_of_work(sessionmaker: async_sessionmaker, service_type: type[ServiceT]) -> AsyncIterator[ServiceT]:
    """Yield the service on a fresh session; commit when the block ends, roll back if it raises.

        async with unit_of_work(sessionmaker, UserService) as users:
            await users.ensure_admin(...)
    """
    async with sessionmaker() as db, service_type.new(session=db) as service:
        yield service
        await db.commit()
