"""Jobs of the CRM domain: the outbox relay, the Bitrix24 sync of one row, and the queue's purge."""

from __future__ import annotations

from typing import Any

from arq import Retry

from jobs.context import unit_of_work
from portal.crm.outbox import SyncQueueService, job_id
from portal.crm.sync import process


async def bitrix_sync(ctx: dict[str, Any], row_id: int) -> None:
    """Send one outbox row. The row is the state: this job may run twice, or after the row is done."""
    outcome = await process(ctx["sessionmaker"], ctx.get("bitrix"), ctx["settings"].bitrix, row_id,
                            orders=ctx.get("crm_orders"))
    if outcome.retry_in is not None:
        raise Retry(defer=outcome.retry_in)


async def bitrix_relay(ctx: dict[str, Any]) -> int:
    """Enqueue every due row (job id = row id: a row already queued is not queued twice). After
    Redis lost its queue, this puts the work back."""
    if not ctx["settings"].bitrix.enabled:
        return 0
    async with ctx["sessionmaker"]() as db:
        ids = await SyncQueueService(session=db).due_ids()
    for row_id in ids:
        await ctx["queue"].enqueue("bitrix_sync", row_id, job_id=job_id(row_id))
    return len(ids)


async def bitrix_purge(ctx: dict[str, Any]) -> int:
    """Rows sent longer ago than PORTAL_BITRIX_SENT_RETENTION_DAYS leave the sync queue."""
    async with unit_of_work(ctx, SyncQueueService) as queue:
        return await queue.purge_finished(ctx["settings"].bitrix.sent_retention_days)
