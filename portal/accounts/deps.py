"""The accounts domain's providers, declared once; create_app() registers them for every route."""

from __future__ import annotations

from advanced_alchemy.extensions.litestar.providers import create_service_provider
from litestar.datastructures import State
from litestar.di import Provide
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.passwords import Passwords
from portal.accounts.services import EMAIL_TAKEN, UserService
from portal.accounts.throttle import DatabaseAttemptCounter, LoginThrottle, RedisAttemptCounter
from portal.config import Settings

provide_users = create_service_provider(
    UserService,
    error_messages={"duplicate_key": EMAIL_TAKEN, "integrity": EMAIL_TAKEN},
)


def provide_passwords(state: State) -> Passwords:
    return state.passwords


def provide_throttle(settings: Settings, redis: Redis | None, db_session: AsyncSession) -> LoginThrottle:
    """Counters in Redis in services mode; in the embedded default on the request's own session."""
    counter = RedisAttemptCounter(redis) if redis is not None else DatabaseAttemptCounter(db_session)
    return LoginThrottle(counter, settings.auth)


dependencies = {
    "users": Provide(provide_users),
    "passwords": Provide(provide_passwords, sync_to_thread=False),
    "throttle": Provide(provide_throttle, sync_to_thread=False),
}
