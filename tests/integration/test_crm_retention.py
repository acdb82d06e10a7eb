"""Sent rows leave the Bitrix24 sync queue after the retention period, on the schedule of both
runtime modes; rows that still matter stay."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from jobs.inline import InlineRunner
from jobs.worker import WorkerSettings
from portal.config import RedisSettings
from portal.crm import outbox
from portal.db.models import BitrixSyncRow
from tests.integration.conftest import PERSON, login, register, run_queued_jobs
from tests.integration.test_jobs import eventually
from tests.integration.test_leads import make_staff


async def add_rows(db) -> dict[str, int]:
    """Rows of every kind, all last touched 31 days ago except one lead sent two days ago."""
    old, recent = outbox.now() - timedelta(days=31), outbox.now() - timedelta(days=2)
    rows = {}
    async with db() as session:
        for name, entity_type, entity_id, status, action, bitrix_id in [
            ("contact_first", "contact", "c1", "sent", "upsert", "11"),
            ("contact_newest", "contact", "c1", "sent", "upsert", "11"),
            ("deal", "deal", "o1", "sent", "upsert", "31"),
            ("attach", "deal", "o1", "sent", "attach", "41"),
            ("pull", "deal", "", "sent", "pull", "31"),
            ("old_lead", "lead", "l1", "sent", "upsert", "21"),
            ("new_lead", "lead", "l2", "sent", "upsert", "22"),
            ("superseded", "company", "c1", "superseded", "upsert", None),
            ("dead", "lead", "l3", "dead", "upsert", None),
            ("failed", "lead", "l4", "failed", "upsert", None),
        ]:
            row = outbox.record(session, entity_type, entity_id, {}, action=action, bitrix_id=bitrix_id)
            row.status = status
            row.sent_at = (recent if name == "new_lead" else old) if status == "sent" else None
            await session.flush()
            rows[name] = row.id
        await session.execute(update(BitrixSyncRow).values(created_at=old, updated_at=old))
        await session.commit()
    return rows


async def remaining(db, rows: dict[str, int]) -> set[str]:
    async with db() as session:
        ids = set(await session.scalars(select(BitrixSyncRow.id)))
    return {name for name, row_id in rows.items() if row_id in ids}


KEPT = {"contact_newest", "deal", "new_lead", "dead", "failed"}


async def test_the_workers_schedule_purges_old_sent_rows(settings, db) -> None:
    rows = await add_rows(db)
    await run_queued_jobs(settings, scheduled=True)  # the worker runs every scheduled job once at start
    assert await remaining(db, rows) == KEPT
    async with db() as session:  # the kept row still gives the contact's Bitrix24 id
        assert await outbox.known_bitrix_id(session, "contact", "c1") == "11"
    cron = {job.name: job.minute for job in WorkerSettings.cron_jobs}
    assert cron["cron:bitrix_purge"] == {0, 30}


@pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True)
async def test_the_in_process_schedule_purges_old_sent_rows(settings, db) -> None:
    rows = await add_rows(db)
    runner = InlineRunner(replace(settings, redis=RedisSettings(url=None)))
    runner.start_schedule()
    purged = await eventually(lambda: remaining(db, rows), KEPT)
    await runner.close()
    assert purged, await remaining(db, rows)


async def test_a_shorter_retention_and_staff_told_how_long_rows_are_kept(client, db, settings) -> None:
    rows = await add_rows(db)
    async with db() as session:
        await outbox.SyncQueueService(session=session).purge_finished(days=1)
        await session.commit()
    assert await remaining(db, rows) == KEPT - {"new_lead"}

    await register(client, PERSON)
    await make_staff(db, PERSON["email"])
    await login(client, PERSON["email"], PERSON["password"])
    page = await client.get("/admin/crm")
    assert "Sent rows are kept for 30 days" in page.text
    client.cookies.set("lang", "ru")
    page = await client.get("/admin/crm")
    assert "Отправленные строки хранятся 30 дней" in page.text
