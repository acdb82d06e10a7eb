"""The SQLAlchemy plugin configuration for both runtime modes."""

from __future__ import annotations

from pathlib import Path

from advanced_alchemy.extensions.litestar import (
    AlembicAsyncConfig,
    AsyncSessionConfig,
    SQLAlchemyAsyncConfig,
)
from advanced_alchemy.extensions.litestar._utils import get_aa_scope_state
from advanced_alchemy.types import GUID

from portal.config import DatabaseSettings
from portal.db.engine import create_engine
from portal.db.unit_of_work import commit, rollback

MIGRATIONS_DIR = "migrations"


def sqlalchemy_config(settings: DatabaseSettings) -> SQLAlchemyAsyncConfig:
    """The advanced-alchemy plugin config; the engine comes from the one factory."""
    return SQLAlchemyAsyncConfig(
        engine_instance=create_engine(settings),
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
    return str(Path(__file__).resolve().parents[2] / MIGRATIONS_DIR)


class CommitBeforeSessionWrite:
    """The request's unit of work: commit its transaction (a 2xx or 3xx answer) or roll it back,
    then run its after-commit callbacks, before the response starts and before outer middleware
    (the session store) writes.

    The plugin's before-send hook runs after every middleware has seen the response, so the
    session store would write while the request's transaction is still open: on SQLite that
    second writer waits on the first one. This innermost middleware settles it first; the hook
    then finds nothing left to do but close the session. A commit that fails answers 500 (and
    runs no callback) rather than a success for a change that was not saved.
    """

    def __init__(self, app, config: SQLAlchemyAsyncConfig) -> None:
        self.app = app
        self.config = config

    async def _settle(self, message, scope) -> None:
        if message["type"] != "http.response.start":
            return
        session = get_aa_scope_state(scope, self.config.session_scope_key)
        if session is None:
            return
        if 200 <= message["status"] < 400:
            await commit(session)
        else:
            await rollback(session)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_after_commit(message) -> None:
            await self._settle(message, scope)
            await send(message)

        await self.app(scope, receive, send_after_commit)


def compare_type(context, inspected_column, metadata_column, inspected_type, metadata_type):
    """Type comparison for autogenerate that knows SQLite stores GUIDs as plain numbers/bytes."""
    if isinstance(metadata_type, GUID) and context.dialect.name == "sqlite":
        return False
    return None  # alembic's default comparison
