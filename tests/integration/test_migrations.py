"""The migrations build exactly the schema the models describe, on PostgreSQL and SQLite."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from portal.config import DatabaseSettings
from portal.db.config import compare_type
from portal.db.engine import create_engine
from portal.db.models import metadata


@pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True)
async def test_no_pending_autogenerate_diff(database_url: str) -> None:
    engine = create_engine(DatabaseSettings(url=database_url))

    def diff(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": compare_type})
        return compare_metadata(context, metadata)

    async with engine.connect() as connection:
        changes = await connection.run_sync(diff)
    await engine.dispose()
    assert changes == [], f"models and migrations differ; run `make migration`: {changes}"
