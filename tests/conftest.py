"""Databases for the run: a fresh PostgreSQL database (dropped at the end) and a SQLite file.

Set-up runs in a worker thread with its own event loop, so that these fixtures can be asked for
from sync and async tests alike.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
import pytest
import redis as redis_sync
from advanced_alchemy.alembic.commands import AlembicCommands
from hypothesis import settings as hypothesis_settings

from portal.config import DatabaseSettings
from portal.db.config import sqlalchemy_config
from tests.settings import POSTGRES_ADMIN_URL, REDIS_URL

# Property tests check what is priced, not how fast: a busy machine must not fail them (speed
# goals live in bench/).
hypothesis_settings.register_profile("portal", deadline=None)
hypothesis_settings.load_profile("portal")


def in_thread(function, *args):
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args).result()


def migrate(database_url: str) -> None:
    commands = AlembicCommands(sqlalchemy_config=sqlalchemy_config(DatabaseSettings(url=database_url)))
    in_thread(commands.upgrade, "head")


def _admin_sql(statement: str) -> None:
    async def run() -> None:
        connection = await asyncpg.connect(POSTGRES_ADMIN_URL)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    in_thread(asyncio.run, run())


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    name = f"portal_test_{secrets.token_hex(4)}"
    _admin_sql(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    url = f"{base}/{name}"
    migrate(url)
    yield url
    _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("sqlite") / "portal.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    migrate(url)
    return url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    client = redis_sync.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield REDIS_URL
    client.flushdb()
    client.close()
