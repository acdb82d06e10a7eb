"""Providers for what the app holds once: settings, Redis, the job queue and mail.

`create_app()` puts each on `app.state` under its own name; a handler asks for the one it needs
(`settings: Settings`, `queue: JobQueue`, `redis: Redis | None`) and never for a bag of them.
"""

from __future__ import annotations

from litestar.datastructures import State
from litestar.di import Provide
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from portal.config import Settings
from portal.core.mail import provide_mail
from portal.core.queue import JobQueue
from portal.core.sign_in import provide_sign_in_steps
from portal.db.unit_of_work import AfterCommit


def provide_settings(state: State) -> Settings:
    return state.settings


def provide_redis(state: State) -> Redis | None:
    return state.redis


def provide_queue(state: State) -> JobQueue:
    return state.queue


def provide_after_commit(db_session: AsyncSession) -> AfterCommit:
    """What runs once the request's transaction has committed (portal/db/unit_of_work.py)."""
    return AfterCommit(db_session)


dependencies = {
    "settings": Provide(provide_settings, sync_to_thread=False),
    "redis": Provide(provide_redis, sync_to_thread=False),
    "queue": Provide(provide_queue, sync_to_thread=False),
    "mail": Provide(provide_mail, sync_to_thread=False),
    "sign_in_steps": Provide(provide_sign_in_steps, sync_to_thread=False),
    "after_commit": Provide(provide_after_commit, sync_to_thread=False),
}
