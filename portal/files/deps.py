"""The files domain's providers, declared once; `create_app()` merges `dependencies`."""

from __future__ import annotations

from advanced_alchemy.extensions.litestar.providers import create_service_provider
from litestar.datastructures import State
from litestar.di import Provide
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from portal.config import Settings
from portal.core.throttle import attempt_counter
from portal.files.services import ModelFileService
from portal.files.status_watch import StatusWatch
from portal.files.storage import Storage
from portal.files.throttle import UploadThrottle


def provide_storage(state: State) -> Storage:
    return state.storage


def provide_status_watch(state: State) -> StatusWatch:
    return state.status_watch


def provide_upload_throttle(settings: Settings, redis: Redis | None, db_session: AsyncSession) -> UploadThrottle:
    return UploadThrottle(attempt_counter(redis, db_session), settings.uploads)


dependencies = {
    "files": create_service_provider(ModelFileService),
    "storage": Provide(provide_storage, sync_to_thread=False),
    "status_watch": Provide(provide_status_watch, sync_to_thread=False),
    "upload_throttle": Provide(provide_upload_throttle, sync_to_thread=False),
}
