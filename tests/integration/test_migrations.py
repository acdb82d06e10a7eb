"""The migrations build exactly the schema the models describe, on PostgreSQL and SQLite."""

from __future__ import annotations

import sqlite3
from uuid import uuid4

import pytest
from advanced_alchemy.alembic.commands import AlembicCommands
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from portal.config import DatabaseSettings
from portal.db.config import compare_type, sqlalchemy_config
from portal.db.engine import create_engine
from portal.db.models import metadata
from tests.conftest import in_thread

pytestmark = pytest.mark.slow


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


def test_the_superusers_migration_makes_the_earliest_active_admin_the_superuser(tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    commands = AlembicCommands(sqlalchemy_config=sqlalchemy_config(DatabaseSettings(url=url)))
    in_thread(commands.upgrade, "ae2b18d00cca")  # the schema before superusers
    people = [  # (e-mail, staff, active, created)
        ("customer@example.com", False, True, "2026-01-01 00:00:00"),
        ("retired-admin@example.com", True, False, "2026-01-02 00:00:00"),
        ("first-admin@example.com", True, True, "2026-01-03 00:00:00"),
        ("second-admin@example.com", True, True, "2026-01-04 00:00:00"),
    ]
    with sqlite3.connect(tmp_path / "old.db") as connection:
        for email, staff, active, created in people:
            connection.execute(
                "INSERT INTO user_account (id, email, password_hash, full_name, phone, account_type, company_name,"
                " inn, kpp, ogrn, legal_address, is_active, is_staff, session_version, created_at, updated_at)"
                " VALUES (?, ?, 'x', 'Someone', '', 'individual', '', '', '', '', '', ?, ?, 1, ?, ?)",
                (uuid4().bytes, email, active, staff, created, created),
            )
    in_thread(commands.upgrade, "head")
    with sqlite3.connect(tmp_path / "old.db") as connection:
        superusers = connection.execute("SELECT email FROM user_account WHERE is_superuser").fetchall()
    assert superusers == [("first-admin@example.com",)]
