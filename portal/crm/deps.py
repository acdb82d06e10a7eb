"""The CRM domain's providers, declared once; create_app() registers them for every route."""

from __future__ import annotations

from advanced_alchemy.extensions.litestar.providers import create_service_provider
from litestar.di import Provide

from portal.crm.outbox import SyncQueueService

dependencies = {
    "sync_queue": Provide(create_service_provider(SyncQueueService)),
}
