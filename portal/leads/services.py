"""Call requests: stored with their outbox row in one transaction, throttled per address and phone."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any

from advanced_alchemy.filters import OrderBy
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from redis.asyncio import Redis
from sqlalchemy import func, select

from portal.core.i18n import N_
from portal.core.paging import Page, limit_offset
from portal.crm.outbox import record_lead
from portal.db.models import BitrixSyncRow, CallRequest

ADDRESS_LIMIT, ADDRESS_WINDOW = 5, 3600  # requests per client address per hour
PHONE_LIMIT, PHONE_WINDOW = 3, 24 * 3600  # requests for one phone number per day
TOO_MANY = N_("We already have several requests from you. We will call you soon; "
              "if it is urgent, please call us.")

_embedded_lock = asyncio.Lock()  # the embedded default is one process: counting and adding in turn


class Throttled(Exception):
    message = TOO_MANY


class CallRequestRepository(SQLAlchemyAsyncRepository[CallRequest]):
    model_type = CallRequest


class CallRequestService(SQLAlchemyAsyncRepositoryService[CallRequest, CallRequestRepository]):
    repository_type = CallRequestRepository

    async def submit(
        self, values: dict[str, str], address: str, secret: str, user_id: Any, redis: Redis | None
    ) -> tuple[CallRequest, BitrixSyncRow]:
        """Store the request and its lead row, committed, or raise Throttled. Counting comes first
        and is atomic: in Redis (services mode) or under one lock (embedded default)."""
        client_key = hmac.new(secret.encode(), address.encode(), hashlib.sha256).hexdigest()[:32]
        phone = values["phone_e164"]
        if redis is not None:
            await self._count_in_redis(redis, client_key, phone)
            return await self._add(values, phone, client_key, user_id)
        async with _embedded_lock:
            await self._count_in_database(client_key, phone)
            return await self._add(values, phone, client_key, user_id)

    async def _count_in_redis(self, redis: Redis, client_key: str, phone: str) -> None:
        async with redis.pipeline(transaction=True) as pipe:
            pipe.incr(f"call-requests:address:{client_key}")
            pipe.expire(f"call-requests:address:{client_key}", ADDRESS_WINDOW, nx=True)
            pipe.incr(f"call-requests:phone:{phone}")
            pipe.expire(f"call-requests:phone:{phone}", PHONE_WINDOW, nx=True)
            by_address, _, by_phone, _ = await pipe.execute()
        if by_address > ADDRESS_LIMIT or by_phone > PHONE_LIMIT:
            raise Throttled

    async def _count_in_database(self, client_key: str, phone: str) -> None:
        now = datetime.now(UTC)
        session = self.repository.session
        by_address = await session.scalar(select(func.count()).select_from(CallRequest).where(
            CallRequest.client_key == client_key, CallRequest.created_at > now - timedelta(seconds=ADDRESS_WINDOW)))
        by_phone = await session.scalar(select(func.count()).select_from(CallRequest).where(
            CallRequest.phone == phone, CallRequest.created_at > now - timedelta(seconds=PHONE_WINDOW)))
        if by_address >= ADDRESS_LIMIT or by_phone >= PHONE_LIMIT:
            raise Throttled

    async def _add(self, values: dict[str, str], phone: str, client_key: str,
                   user_id: Any) -> tuple[CallRequest, BitrixSyncRow]:
        call = await self.create({
            "name": values["name"], "phone": phone, "email": values["email"], "comment": values["comment"],
            "preferred_time": values["preferred_time"], "page": values["page"], "client_key": client_key,
            "user_id": user_id,
        })
        row = record_lead(self.repository.session, call.id, call.name, call.phone, call.email, call.comment,
                          customer_id=user_id, preferred_time=call.preferred_time, page=call.page)
        await self.repository.session.commit()  # committed before the sync job is asked to run
        return call, row

    async def newest(self, page: int, per_page: int) -> Page[CallRequest]:
        items, total = await self.list_and_count(OrderBy(field_name="created_at", sort_order="desc"),
                                                 limit_offset(page, per_page))
        return Page(list(items), total, page, per_page)
