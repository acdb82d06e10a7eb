"""Alembic environment: runs on SQLite (embedded default) and PostgreSQL alike."""

import asyncio
from typing import TYPE_CHECKING, cast

from advanced_alchemy.base import metadata_registry
from alembic import context
from sqlalchemy import pool
from sqlalchemy.ext.asyncio import AsyncEngine, async_engine_from_config

import portal.db.models  # noqa: F401 - registers every table on the metadata
from portal.db.config import compare_type

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

config = context.config


def _configure(**kwargs) -> None:
    context.configure(
        target_metadata=metadata_registry.get(getattr(config, "bind_key", None)),
        compare_type=compare_type,
        version_table=getattr(config, "version_table_name", "alembic_version"),
        user_module_prefix=getattr(config, "user_module_prefix", "sa."),
        render_as_batch=True,  # SQLite alters tables by copying them
        **kwargs,
    )


def run_migrations_offline() -> None:
    _configure(url=config.db_url, literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def _run_sync(connection: "Connection") -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    engine = getattr(config, "engine", None)
    if engine is None:
        section = config.get_section(config.config_ini_section) or {}
        section["sqlalchemy.url"] = config.db_url
        engine = async_engine_from_config(section, prefix="sqlalchemy.", poolclass=pool.NullPool)
    async with cast(AsyncEngine, engine).connect() as connection:
        await connection.run_sync(_run_sync)
    await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
