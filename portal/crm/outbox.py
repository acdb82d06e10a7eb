"""The outbox (`bitrix_sync_queue`): rows written with the business change, read by the relay,
the sync job and the staff page.

A row's life:

    pending ──attempt──▶ sent                    Bitrix24 id stored in the same transaction
       │  ▲
       ▼  │ retryable error (backoff with jitter)
     failed ──N attempts or a permanent error──▶ dead ──staff retry──▶ pending
       │
       └── a newer change of the same record ──▶ superseded (the newer row carries it)
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal.core.backoff import backoff as exponential
from portal.crm.mapping import customer_snapshot, has_company
from portal.db.models import BitrixSyncRow
from portal.db.turns import take_turns

PENDING, SENT, FAILED, DEAD, SUPERSEDED = "pending", "sent", "failed", "dead", "superseded"
OPEN = (PENDING, FAILED)
UPSERT, PULL, INVOICE, ATTACH = "upsert", "pull", "invoice", "attach"
LEAD, CONTACT, COMPANY, DEAL = "lead", "contact", "company", "deal"
SYNC_STATUSES = (PENDING, SENT, FAILED, DEAD, SUPERSEDED)
LINKED = (CONTACT, COMPANY, DEAL)  # records that later changes update and other records link to

BACKOFF_BASE_SECONDS = 5.0
BACKOFF_CAP_SECONDS = 1800.0


def now() -> datetime:
    return datetime.now(UTC)


def job_id(row_id: int) -> str:
    return f"bitrix-sync:{row_id}"


def backoff(attempts: int, retry_after: float | None = None, rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter (half fixed, half random), never sooner than Bitrix24 asked."""
    delay = exponential(attempts, BACKOFF_BASE_SECONDS, BACKOFF_CAP_SECONDS, spread=(0.5, 1.0), rng=rng)
    return max(delay, retry_after or 0.0)


def record(session: AsyncSession, entity_type: str, entity_id: Any, payload: dict, action: str = UPSERT,
           bitrix_id: str | None = None) -> BitrixSyncRow:
    """Add a row to the caller's transaction: it commits (or rolls back) with the business change."""
    row = BitrixSyncRow(
        entity_type=entity_type,
        entity_id=str(entity_id),
        action=action,
        payload=payload,
        status=PENDING,
        attempts=0,
        next_attempt_at=now(),
        bitrix_id=bitrix_id,
    )
    session.add(row)
    return row


def record_pull(session: AsyncSession, deal_id: str) -> BitrixSyncRow:
    """An event said the deal changed: fetch it later (the event itself carries only the id)."""
    return record(session, DEAL, "", {"event": "ONCRMDEALUPDATE"}, action=PULL, bitrix_id=str(deal_id))


def record_lead(session: AsyncSession, our_id: Any, name: str, phone: str, email: str = "", comment: str = "",
                title: str = "", customer_id: Any = None, **extra: str) -> BitrixSyncRow:
    """A lead (a call request, a request for a manual quote …) in the caller's transaction.

    `customer_id`: the logged-in customer who asked. The lead then carries CONTACT_ID: its row
    waits while that customer's contact is still on its way to Bitrix24 (usually seconds, as the
    contact is written at registration), so the lead is added once, already linked, and never
    needs a second write. A customer without a contact on the way (a staff account, a contact
    that died) does not hold the lead back: it goes unlinked."""
    payload = {"name": name, "phone": phone, "email": email, "comment": comment, "title": title, **extra}
    if customer_id is not None:
        payload["customer_id"] = str(customer_id)
    return record(session, LEAD, our_id, payload)


async def latest_payload(session: AsyncSession, entity_type: str, entity_id: str) -> dict | None:
    return await session.scalar(
        select(BitrixSyncRow.payload)
        .where(BitrixSyncRow.entity_type == entity_type, BitrixSyncRow.entity_id == entity_id,
               BitrixSyncRow.action == UPSERT, BitrixSyncRow.status != SUPERSEDED)
        .order_by(BitrixSyncRow.id.desc())
        .limit(1)
    )


async def record_customer(session: AsyncSession, user: Any) -> list[BitrixSyncRow]:
    """A customer's contact (and company, for a company or an entrepreneur), when what Bitrix24
    holds of them changed. Staff accounts are not customers."""
    if getattr(user, "is_staff", False):
        return []
    await session.flush()  # a new user gets its id
    snapshot = customer_snapshot(user)
    rows = []
    if await latest_payload(session, CONTACT, snapshot["id"]) != snapshot:
        rows.append(record(session, CONTACT, snapshot["id"], snapshot))
    if has_company(snapshot) and await latest_payload(session, COMPANY, snapshot["id"]) != snapshot:
        rows.append(record(session, COMPANY, snapshot["id"], snapshot))
    return rows


async def known_bitrix_id(session: AsyncSession, entity_type: str, entity_id: str) -> str | None:
    """The Bitrix24 id of our record, from the newest row that got one (the row the purge keeps;
    newer than the first when sales deleted the record and we added it again)."""
    return await session.scalar(
        select(BitrixSyncRow.bitrix_id)
        .where(BitrixSyncRow.entity_type == entity_type, BitrixSyncRow.entity_id == str(entity_id),
               BitrixSyncRow.action == UPSERT, BitrixSyncRow.bitrix_id.is_not(None))
        .order_by(BitrixSyncRow.id.desc())
        .limit(1)
    )


class SyncRowRepository(SQLAlchemyAsyncRepository[BitrixSyncRow]):
    model_type = BitrixSyncRow


class SyncQueueService(SQLAlchemyAsyncRepositoryService[BitrixSyncRow, SyncRowRepository]):
    """What the relay and the staff page do with the queue."""

    repository_type = SyncRowRepository

    async def pull_once(self, deal_id: str) -> BitrixSyncRow | None:
        """A row to fetch the deal an event named, unless a fetch of it waits already (a burst of
        events for one deal needs one fetch): then nothing is written and None is returned.

        Atomic across requests and processes: written first, then counted (see `take_turns`)."""
        session = self.repository.session
        await take_turns(session, f"bitrix-pull:{deal_id}")
        row = record_pull(session, deal_id)
        await session.flush()
        waiting = await session.scalar(select(func.count()).select_from(BitrixSyncRow).where(
            BitrixSyncRow.entity_type == DEAL, BitrixSyncRow.action == PULL, BitrixSyncRow.bitrix_id == str(deal_id),
            BitrixSyncRow.status.in_(OPEN), BitrixSyncRow.attempts == 0))
        if waiting > 1:
            await session.delete(row)
            await session.flush()
            return None
        return row

    async def due_ids(self, limit: int = 500) -> list[int]:
        """Open rows whose time has come and that no worker holds."""
        moment = now()
        result = await self.repository.session.scalars(
            select(BitrixSyncRow.id)
            .where(BitrixSyncRow.status.in_(OPEN), BitrixSyncRow.next_attempt_at <= moment,
                   or_(BitrixSyncRow.lease_until.is_(None), BitrixSyncRow.lease_until < moment))
            .order_by(BitrixSyncRow.id)
            .limit(limit)
        )
        return list(result)

    async def counts(self) -> dict[str, int]:
        rows = await self.repository.session.execute(
            select(BitrixSyncRow.status, func.count()).group_by(BitrixSyncRow.status)
        )
        found = dict(rows.all())
        return {status: found.get(status, 0) for status in (PENDING, SENT, FAILED, DEAD, SUPERSEDED)}

    async def page(self, status: str | None, page: int, per_page: int) -> tuple[list[BitrixSyncRow], int]:
        conditions = [BitrixSyncRow.status == status] if status else []
        total = await self.repository.session.scalar(
            select(func.count()).select_from(BitrixSyncRow).where(*conditions)
        )
        rows = await self.repository.session.scalars(
            select(BitrixSyncRow).where(*conditions).order_by(BitrixSyncRow.id.desc())
            .limit(per_page).offset((page - 1) * per_page)
        )
        return list(rows), total or 0

    async def retry(self, row_id: int) -> bool:
        """Staff send a dead row again: pending, attempts from zero. False if it was not dead."""
        result = await self.repository.session.execute(
            update(BitrixSyncRow)
            .where(BitrixSyncRow.id == row_id, BitrixSyncRow.status == DEAD)
            .values(status=PENDING, attempts=0, next_attempt_at=now(), lease_until=None)
        )
        return bool(result.rowcount)

    async def retry_all_dead(self) -> list[int]:
        ids = list(await self.repository.session.scalars(select(BitrixSyncRow.id).where(BitrixSyncRow.status == DEAD)))
        if ids:
            await self.repository.session.execute(
                update(BitrixSyncRow).where(BitrixSyncRow.id.in_(ids))
                .values(status=PENDING, attempts=0, next_attempt_at=now(), lease_until=None)
            )
        return ids

    async def purge_finished(self, days: int) -> int:
        """Sent and superseded rows finished more than `days` ago leave the queue; pending, failed
        and dead ones stay. So does the newest sent row of each contact, company and deal: it holds
        the Bitrix24 id that their next change and every record linking to them need (without it
        the next change would add a duplicate)."""
        cutoff = now() - timedelta(days=days)
        keep = (
            select(func.max(BitrixSyncRow.id))
            .where(BitrixSyncRow.status == SENT, BitrixSyncRow.action == UPSERT,
                   BitrixSyncRow.entity_type.in_(LINKED))
            .group_by(BitrixSyncRow.entity_type, BitrixSyncRow.entity_id)
        )
        result = await self.repository.session.execute(
            delete(BitrixSyncRow).where(
                or_(and_(BitrixSyncRow.status == SENT, BitrixSyncRow.sent_at < cutoff),
                    and_(BitrixSyncRow.status == SUPERSEDED, BitrixSyncRow.updated_at < cutoff)),
                BitrixSyncRow.id.not_in(keep),
            )
        )
        return result.rowcount or 0

    async def states_for(self, entity_type: str, entity_ids: list[str]) -> dict[str, BitrixSyncRow]:
        """The newest row of each record: what the staff lists show as its sync state."""
        if not entity_ids:
            return {}
        rows = await self.repository.session.scalars(
            select(BitrixSyncRow)
            .where(and_(BitrixSyncRow.entity_type == entity_type, BitrixSyncRow.entity_id.in_(entity_ids),
                        BitrixSyncRow.action == UPSERT))
            .order_by(BitrixSyncRow.id)
        )
        return {row.entity_id: row for row in rows}


async def kick(queue: Any, enabled: bool, row_ids: list[int]) -> None:
    """Ask for the sync of rows that are committed already (the relay would find them anyway)."""
    if enabled:
        for row_id in row_ids:
            await queue.enqueue("bitrix_sync", row_id, job_id=job_id(row_id))
