"""The SQLAlchemy plugin configuration for both runtime modes."""

from __future__ import annotations

from advanced_alchemy.extensions.litestar import (
    AlembicAsyncConfig,
    AsyncSessionConfig,
    EngineConfig,
    SQLAlchemyAsyncConfig,
)

from portal.config import DatabaseSettings

MIGRATIONS_DIR = "migrations"


def sqlalchemy_config(settings: DatabaseSettings) -> SQLAlchemyAsyncConfig:
    engine = EngineConfig(echo=settings.echo)
    if not settings.is_sqlite:
        engine = EngineConfig(echo=settings.echo, pool_pre_ping=True, pool_size=10, max_overflow=10)
    return SQLAlchemyAsyncConfig(
        connection_string=settings.url,
        engine_config=engine,
        session_config=AsyncSessionConfig(expire_on_commit=False),
        before_send_handler="autocommit_include_redirects",
        create_all=False,
        alembic_config=AlembicAsyncConfig(
            script_location=_migrations_path(),
            version_table_name="alembic_version",
            render_as_batch=True,
        ),
    )


def _migrations_path() -> str:
    from pathlib import Path

    return str(Path(__file__).resolve().parents[2] / MIGRATIONS_DIR)
