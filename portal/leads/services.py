"""Call requests: stored with their outbox row in one transaction, throttled per address and phone."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from advanced_alchemy.filters import OrderBy
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService

from portal.core.i18n import N_
from portal.core.paging import Page, limit_offset
from portal.core.throttle import AttemptCounter, RateLimit
from portal.crm.outbox import record_lead
from portal.db.models import BitrixSyncRow, CallRequest

ADDRESS_LIMIT, ADDRESS_WINDOW = 5, 3600  # requests per client address per hour
PHONE_LIMIT, PHONE_WINDOW = 3, 24 * 3600  # requests for one phone number per day
TOO_MANY = N_("We already have several requests from you. We will call you soon; "
              "if it is urgent, please call us.")


class Throttled(Exception):
    message = TOO_MANY


class CallRequestLimits:
    """Requests per client address and per phone number, counted first and atomically (in Redis,
    or by one upsert in the embedded default), so the limits hold across processes and bursts."""

    def __init__(self, counter: AttemptCounter) -> None:
        self._address = RateLimit(counter, "call-requests:address", ADDRESS_LIMIT, ADDRESS_WINDOW)
        self._phone = RateLimit(counter, "call-requests:phone", PHONE_LIMIT, PHONE_WINDOW)

    async def admit(self, client_key: str, phone: str) -> bool:
        return not await self._address.wait_seconds(client_key) and not await self._phone.wait_seconds(phone)


class CallRequestRepository(SQLAlchemyAsyncRepository[CallRequest]):
    model_type = CallRequest


class CallRequestService(SQLAlchemyAsyncRepositoryService[CallRequest, CallRequestRepository]):
    repository_type = CallRequestRepository

    async def submit(
        self, values: dict[str, str], address: str, secret: str, user_id: Any, limits: CallRequestLimits
    ) -> tuple[CallRequest, BitrixSyncRow]:
        """Store the request and its lead row, or raise Throttled (counted first)."""
        client_key = hmac.new(secret.encode(), address.encode(), hashlib.sha256).hexdigest()[:32]
        phone = values["phone_e164"]
        if not await limits.admit(client_key, phone):
            raise Throttled
        return await self._add(values, phone, client_key, user_id)

    async def _add(self, values: dict[str, str], phone: str, client_key: str,
                   user_id: Any) -> tuple[CallRequest, BitrixSyncRow]:
        call = await self.create({
            "name": values["name"], "phone": phone, "email": values["email"], "comment": values["comment"],
            "preferred_time": values["preferred_time"], "page": values["page"], "client_key": client_key,
            "user_id": user_id,
        })
        row = record_lead(self.repository.session, call.id, call.name, call.phone, call.email, call.comment,
                          customer_id=user_id, preferred_time=call.preferred_time, page=call.page)
        return call, row

    async def newest(self, page: int, per_page: int) -> Page[CallRequest]:
        items, total = await self.list_and_count(OrderBy(field_name="created_at", sort_order="desc"),
                                                 limit_offset(page, per_page))
        return Page(list(items), total, page, per_page)
