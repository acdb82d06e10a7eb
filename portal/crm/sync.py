"""One attempt at one outbox row: the body of the `bitrix_sync` job.

    read the row ─ done, dead or superseded? ─▶ exit (a job may run twice)
        │
    older change of the same record still in flight, or a record it needs not in Bitrix24 yet?
        │                                   ─▶ come back later (not an attempt)
    take the lease and count the attempt (committed before anything is sent)
        │
    call Bitrix24 ─ if an earlier attempt may have reached it, look the record up by our
        │           external id (ORIGINATOR_ID + ORIGIN_ID) before adding it again
        │
    mark sent and store the Bitrix24 id in one transaction
        (or: failed with backoff and jitter, dead after N attempts or a permanent error)

No Bitrix24 call happens inside a database transaction; the lease keeps a second worker (after
a lost queue, say) off a row while the first one still works on it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.config import BitrixSettings
from portal.crm import deals
from portal.crm.client import Bitrix24Client, BitrixError, NotFound, PermanentError, RetryableError
from portal.crm.mapping import (
    REQUISITE,
    address_commands,
    company_fields,
    contact_fields,
    has_company,
    lead_fields,
    multi_update,
    requisite_fields,
)
from portal.crm.outbox import (
    ATTACH,
    COMPANY,
    CONTACT,
    DEAD,
    DEAL,
    FAILED,
    INVOICE,
    LEAD,
    OPEN,
    PULL,
    SENT,
    SUPERSEDED,
    UPSERT,
    backoff,
    known_bitrix_id,
    now,
)
from portal.db.models import BitrixSyncRow
from portal.db.unit_of_work import commit_now

logger = logging.getLogger("portal.crm")

WAIT_SECONDS = 10.0  # for an older change or a needed record


@dataclass
class Outcome:
    done: bool
    retry_in: float | None = None  # seconds: the job asks the queue to run it again then


@dataclass
class Attempt:
    """What a handler gets: the row's data, never the row (no Bitrix24 call inside a transaction)."""

    client: Bitrix24Client
    settings: BitrixSettings
    row_id: int
    entity_type: str
    entity_id: str
    payload: dict
    bitrix_id: str | None  # a pull row: the Bitrix24 record the event was about
    known_id: str | None  # our record's Bitrix24 id, if an earlier row got one
    might_exist: bool  # an earlier attempt may have created it: look up before adding
    needs: dict[str, str] = field(default_factory=dict)  # ids of records this one links to
    orders: deals.OrderSide | None = None
    save_payload: Callable[[dict], Awaitable[None]] | None = None
    sessionmaker: async_sessionmaker | None = None  # for reading what a handler needs, not for writing


@dataclass
class Done:
    bitrix_id: str | None
    apply: Callable[[AsyncSession], Awaitable[None]] | None = None  # DB changes that commit with "sent"
    then: Callable[[AsyncSession], Awaitable[None]] | None = None  # after that commit (mail about the changes)


Handler = Callable[[Attempt], Awaitable[Done]]


async def process(
    sessionmaker: async_sessionmaker,
    client: Bitrix24Client | None,
    settings: BitrixSettings,
    row_id: int,
    orders: deals.OrderSide | None = None,
) -> Outcome:
    if client is None:  # Bitrix24 is off: the row stays pending, visible to staff
        return Outcome(done=True)
    # Each step is its own transaction (commit_now): the lease, the outcome and a saved payload
    # must stay committed while Bitrix24 is called between them, and whatever happens next.
    async with sessionmaker() as db:
        row = await db.get(BitrixSyncRow, row_id)
        if row is None or row.status not in OPEN:
            return Outcome(done=True)
        moment = now()
        if row.next_attempt_at > moment + timedelta(seconds=1):
            return Outcome(done=False, retry_in=(row.next_attempt_at - moment).total_seconds())
        if row.action == UPSERT and await _newer_change(db, row):
            row.status, row.last_error = SUPERSEDED, None
            await commit_now(db)
            return Outcome(done=True)
        if row.action == UPSERT and await _older_change_in_flight(db, row):
            return await _wait(db, row, "An earlier change of this record is still being sent.")
        needs, missing, dead = await _needed_ids(db, row)
        if dead:
            row.status, row.last_error = DEAD, f"The {dead} of this record could not be sent."
            await commit_now(db)
            return Outcome(done=True)
        if missing:
            return await _wait(db, row, f"Waiting for the {missing} to reach Bitrix24.")

        lease = moment + timedelta(seconds=settings.lease_seconds)
        taken = await db.execute(
            update(BitrixSyncRow)
            .where(BitrixSyncRow.id == row_id, BitrixSyncRow.status.in_(OPEN),
                   (BitrixSyncRow.lease_until.is_(None)) | (BitrixSyncRow.lease_until < moment))
            .values(attempts=BitrixSyncRow.attempts + 1, lease_until=lease)
        )
        await commit_now(db)
        if not taken.rowcount:  # another worker holds it
            return Outcome(done=False, retry_in=float(settings.lease_seconds))
        await db.refresh(row)
        known_id = await known_bitrix_id(db, row.entity_type, row.entity_id) if row.action == UPSERT else None
        might_exist = row.attempts > 1 or (
            row.action == UPSERT and known_id is None and await _attempted_before(db, row))
        attempt = Attempt(
            client=client, settings=settings, row_id=row.id, entity_type=row.entity_type, entity_id=row.entity_id,
            payload=dict(row.payload or {}), bitrix_id=row.bitrix_id, known_id=known_id, might_exist=might_exist,
            needs=needs, orders=orders, save_payload=_payload_saver(sessionmaker, row_id), sessionmaker=sessionmaker,
        )
        attempts, handler = row.attempts, HANDLERS[(row.action, row.entity_type)]

    try:
        result = await handler(attempt)
    except BitrixError as error:
        permanent = isinstance(error, PermanentError)
        return await _failed(sessionmaker, row_id, attempts, settings, error, permanent=permanent)
    except Exception as error:  # a fault of ours: keep the row, show the error, try again later
        logger.exception("bitrix sync failed", extra={"fields": {"row": row_id}})
        return await _failed(sessionmaker, row_id, attempts, settings, error, permanent=False)
    async with sessionmaker() as db:
        await _mark_sent(db, row_id, result)
        if result.then is not None:
            await result.then(db)
    return Outcome(done=True)


async def _mark_sent(db: AsyncSession, row_id: int, result: Done) -> None:
    """The Bitrix24 id and "sent" in one transaction, with whatever DB change the result brings."""
    if result.apply is not None:
        await result.apply(db)
    values: dict[str, Any] = {"status": SENT, "sent_at": now(), "last_error": None, "lease_until": None}
    if result.bitrix_id is not None:
        values["bitrix_id"] = str(result.bitrix_id)
    await db.execute(update(BitrixSyncRow).where(BitrixSyncRow.id == row_id).values(**values))
    await commit_now(db)


async def _failed(sessionmaker: async_sessionmaker, row_id: int, attempts: int, settings: BitrixSettings,
                  error: Exception, permanent: bool) -> Outcome:
    dead = permanent or attempts >= settings.max_attempts
    retry_in = None if dead else backoff(attempts, getattr(error, "retry_after", None))
    message = str(error)[:2000] or type(error).__name__
    async with sessionmaker() as db:
        await db.execute(
            update(BitrixSyncRow).where(BitrixSyncRow.id == row_id).values(
                status=DEAD if dead else FAILED,
                last_error=message,
                lease_until=None,
                next_attempt_at=now() + timedelta(seconds=retry_in or 0),
            )
        )
        await commit_now(db)
    logger.warning("bitrix sync %s", "dead" if dead else "failed",
                   extra={"fields": {"row": row_id, "attempts": attempts, "error": message}})
    return Outcome(done=dead, retry_in=retry_in)


async def _wait(db: AsyncSession, row: BitrixSyncRow, reason: str) -> Outcome:
    row.last_error = reason
    row.next_attempt_at = now() + timedelta(seconds=WAIT_SECONDS)
    await commit_now(db)
    return Outcome(done=False, retry_in=WAIT_SECONDS)


def _same_record(row: BitrixSyncRow):
    return (BitrixSyncRow.entity_type == row.entity_type, BitrixSyncRow.entity_id == row.entity_id,
            BitrixSyncRow.action == UPSERT, BitrixSyncRow.id != row.id)


async def _newer_change(db: AsyncSession, row: BitrixSyncRow) -> bool:
    return bool(await db.scalar(select(exists().where(
        *_same_record(row), BitrixSyncRow.id > row.id, BitrixSyncRow.status.not_in((SUPERSEDED, DEAD))))))


async def _older_change_in_flight(db: AsyncSession, row: BitrixSyncRow) -> bool:
    return bool(await db.scalar(select(exists().where(
        *_same_record(row), BitrixSyncRow.id < row.id, BitrixSyncRow.status.in_(OPEN),
        BitrixSyncRow.lease_until > now()))))


async def _attempted_before(db: AsyncSession, row: BitrixSyncRow) -> bool:
    return bool(await db.scalar(select(exists().where(*_same_record(row), BitrixSyncRow.attempts > 0))))


async def _needed_ids(db: AsyncSession, row: BitrixSyncRow) -> tuple[dict[str, str], str | None, str | None]:
    """Bitrix24 ids of the records this one links to: (found, first missing, first dead).

    A lead's contact is a link to wait for only while that contact is on its way (see
    outbox.record_lead); every other needed record must be there."""
    wanted: list[tuple[str, str, bool]] = []  # (entity type, our id, required)
    customer = str((row.payload or {}).get("customer_id") or "")
    if row.action == UPSERT and row.entity_type == COMPANY:
        wanted.append((CONTACT, row.entity_id, True))
    if row.action == ATTACH:
        wanted.append((DEAL, row.entity_id, True))
    if row.action == UPSERT and row.entity_type == DEAL and customer:
        wanted.append((CONTACT, customer, True))
        if row.payload.get("company"):
            wanted.append((COMPANY, customer, True))
    if row.action == UPSERT and row.entity_type == LEAD and customer:
        wanted.append((CONTACT, customer, False))
    found: dict[str, str] = {}
    for entity_type, entity_id, required in wanted:
        ident = await known_bitrix_id(db, entity_type, entity_id)
        if ident is not None:
            found[entity_type] = ident
            continue
        statuses = set(await db.scalars(select(BitrixSyncRow.status).where(
            BitrixSyncRow.entity_type == entity_type, BitrixSyncRow.entity_id == entity_id,
            BitrixSyncRow.action == UPSERT)))
        if not required and not statuses & set(OPEN):
            continue
        if statuses and statuses <= {DEAD, SUPERSEDED}:
            return found, None, entity_type
        return found, entity_type, None
    return found, None, None


def _payload_saver(sessionmaker: async_sessionmaker, row_id: int) -> Callable[[dict], Awaitable[None]]:
    async def save(payload: dict) -> None:
        async with sessionmaker() as db:
            await db.execute(update(BitrixSyncRow).where(BitrixSyncRow.id == row_id).values(payload=payload))
            await commit_now(db)

    return save


# ----- handlers: one per (action, entity type) ---------------------------------------------------


async def find_by_origin(client: Bitrix24Client, kind: str, settings: BitrixSettings, our_id: str) -> str | None:
    found = await client.call(f"crm.{kind}.list", {
        "filter": {"ORIGINATOR_ID": settings.originator, "ORIGIN_ID": str(our_id)},
        "select": ["ID"], "order": {"ID": "ASC"},
    })
    return str(found.result[0]["ID"]) if found.result else None


async def existing_id(attempt: Attempt, kind: str) -> str | None:
    if attempt.known_id is not None:
        return attempt.known_id
    if attempt.might_exist:
        return await find_by_origin(attempt.client, kind, attempt.settings, attempt.entity_id)
    return None


async def _current(client: Bitrix24Client, kind: str, ident: str) -> dict | None:
    try:
        return (await client.call(f"crm.{kind}.get", {"id": ident})).result
    except NotFound:  # deleted in Bitrix24: we add it again
        return None


def _with_multi(fields: dict, current: dict) -> dict:
    """Send PHONE/EMAIL so that they replace the first value instead of being appended."""
    changed = dict(fields)
    for key in ("PHONE", "EMAIL"):
        wanted = fields[key][0]["VALUE"] if fields.get(key) else ""
        update_items = multi_update(current.get(key), wanted)
        if update_items:
            changed[key] = update_items
        else:
            changed.pop(key, None)
    return changed


async def sync_lead(attempt: Attempt) -> Done:
    title = attempt.payload.get("title") or f"Заявка на звонок: {attempt.payload['name']}"
    fields = lead_fields({**attempt.payload, "id": attempt.entity_id}, attempt.settings, title,
                         contact_id=attempt.needs.get(CONTACT))
    ident = await existing_id(attempt, "lead")
    if ident is None:
        ident = (await attempt.client.call("crm.lead.add", {"fields": fields,
                                                            "params": {"REGISTER_SONET_EVENT": "Y"}})).result
    return Done(str(ident))


async def sync_contact(attempt: Attempt) -> Done:
    fields = contact_fields({**attempt.payload, "id": attempt.entity_id}, attempt.settings)
    ident = await existing_id(attempt, "contact")
    current = await _current(attempt.client, "contact", ident) if ident else None
    if current is None:
        ident = (await attempt.client.call("crm.contact.add", {"fields": fields})).result
    else:
        await attempt.client.call("crm.contact.update", {"id": ident, "fields": _with_multi(fields, current)})
    return Done(str(ident))


async def sync_company(attempt: Attempt) -> Done:
    """The company, its requisites with the legal address, and its link to the contact: in one
    batch when it is new."""
    customer, client, settings = {**attempt.payload, "id": attempt.entity_id}, attempt.client, attempt.settings
    if not has_company(customer):
        return Done(attempt.known_id)
    contact_id = attempt.needs[CONTACT]
    fields = company_fields(customer, settings)
    ident = await existing_id(attempt, "company")
    current = await _current(client, "company", ident) if ident else None
    if current is None:
        answer = await client.batch({
            "company": ("crm.company.add", {"fields": fields}),
            "requisite": ("crm.requisite.add", {"fields": requisite_fields(customer, settings, "$result[company]")}),
            **address_commands(customer, "$result[requisite]", set()),
            "link": ("crm.contact.update", {"id": contact_id, "fields": {"COMPANY_ID": "$result[company]"}}),
        })
        if "company" not in answer.result:
            raise answer.errors.get("company") or next(iter(answer.errors.values()))
        if answer.errors:  # the company exists now: the next attempt finds it and finishes the rest
            raise next(iter(answer.errors.values()))
        return Done(str(answer.result["company"]))
    requisites = await client.call("crm.requisite.list", {
        "filter": {"ENTITY_TYPE_ID": 4, "ENTITY_ID": ident, "XML_ID": customer["id"]}, "select": ["ID"]})
    requisite = requisite_fields(customer, settings, ident)
    if requisites.result:
        requisite_id = requisites.result[0]["ID"]
        addresses = await client.call("crm.address.list", {
            "filter": {"ENTITY_TYPE_ID": REQUISITE, "ENTITY_ID": requisite_id}, "select": ["TYPE_ID"]})
        existing = {int(address["TYPE_ID"]) for address in addresses.result or []}
        requisite_command = ("crm.requisite.update", {"id": requisite_id, "fields": requisite})
    else:
        requisite_id, existing = "$result[requisite]", set()
        requisite_command = ("crm.requisite.add", {"fields": requisite})
    answer = await client.batch({
        "company": ("crm.company.update", {"id": ident, "fields": _with_multi(fields, current)}),
        "requisite": requisite_command,
        **address_commands(customer, requisite_id, existing),
        "link": ("crm.contact.update", {"id": contact_id, "fields": {"COMPANY_ID": ident}}),
    })
    if answer.errors:
        raise next(iter(answer.errors.values()))
    return Done(str(ident))


async def sync_deal(attempt: Attempt) -> Done:
    ident = await existing_id(attempt, "deal")
    if ident is not None and await _current(attempt.client, "deal", ident) is None:
        ident = None
    link = attempt.orders.order_url(attempt.payload["order"]["id"]) if attempt.orders is not None else None
    deal_id = await deals.push_deal(attempt.client, attempt.settings, attempt.payload, ident,
                                    attempt.needs.get(CONTACT), attempt.needs.get(COMPANY), link)
    return Done(str(deal_id))


async def pull_deal(attempt: Attempt) -> Done:
    change = await deals.read_deal_change(attempt.client, attempt.settings, attempt.bitrix_id or attempt.entity_id)
    orders = attempt.orders
    if change is None or orders is None:  # not ours, or orders are not wired: nothing to change
        return Done(attempt.bitrix_id)

    changed = False

    async def apply(db: AsyncSession) -> None:
        nonlocal changed
        changed = await orders.status_from_crm(db, change.order_id, change.status, change.stage_id)
        if changed and change.invoice:
            deals.record_invoice_fetch(db, change.order_id, change.deal_id)

    async def then(db: AsyncSession) -> None:
        if changed:
            await orders.status_told(db, change.order_id)

    return Done(attempt.bitrix_id, apply, then)


async def attach_document(attempt: Attempt) -> Done:
    """An order's document on its deal's timeline; nothing to do while orders are not wired."""
    orders, order_id, document_id = attempt.orders, attempt.payload["order_id"], attempt.payload["document_id"]
    if orders is None:
        return Done(None)
    async with attempt.sessionmaker() as db:
        found = await orders.document_content(db, order_id, document_id)
    if found is None:  # the document was removed meanwhile
        return Done(None)
    name, content = found
    comment = await deals.attach_to_deal(attempt.client, attempt.needs[DEAL], document_id, name, content,
                                         attempt.might_exist)
    return Done(str(comment))


async def fetch_invoice(attempt: Attempt) -> Done:
    payload = attempt.payload
    pdf = await deals.fetch_invoice_pdf(attempt.client, attempt.settings, payload, attempt.save_payload)
    orders = attempt.orders

    async def apply(db: AsyncSession) -> None:
        if orders is not None:
            await orders.attach_invoice(db, payload["order_id"], pdf.filename, pdf.content)

    return Done(str(payload.get("document_id") or ""), apply)


HANDLERS: dict[tuple[str, str], Handler] = {
    (UPSERT, LEAD): sync_lead,
    (UPSERT, CONTACT): sync_contact,
    (UPSERT, COMPANY): sync_company,
    (UPSERT, DEAL): sync_deal,
    (PULL, DEAL): pull_deal,
    (INVOICE, DEAL): fetch_invoice,
    (ATTACH, DEAL): attach_document,
}

__all__ = ["HANDLERS", "Outcome", "RetryableError", "process"]
