"""The leads domain's providers, declared once; create_app() registers them for every route."""

from __future__ import annotations

from advanced_alchemy.extensions.litestar.providers import create_service_provider
from litestar.di import Provide
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from portal.core.throttle import attempt_counter
from portal.leads.services import CallRequestLimits, CallRequestService


def provide_call_limits(redis: Redis | None, db_session: AsyncSession) -> CallRequestLimits:
    return CallRequestLimits(attempt_counter(redis, db_session))


dependencies = {
    "call_requests": Provide(create_service_provider(CallRequestService)),
    "call_limits": Provide(provide_call_limits, sync_to_thread=False),
}
