"""The accounts domain's providers, declared once; create_app() registers them for every route."""

from __future__ import annotations

from advanced_alchemy.extensions.litestar.providers import create_service_provider
from litestar.datastructures import State
from litestar.di import Provide
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.passwords import Passwords
from portal.accounts.services import EMAIL_TAKEN, UserService
from portal.accounts.throttle import AccountLimits, LoginThrottle
from portal.accounts.tokens import ResetTokens
from portal.config import Settings
from portal.core.throttle import attempt_counter

provide_users = create_service_provider(
    UserService,
    error_messages={"duplicate_key": EMAIL_TAKEN, "integrity": EMAIL_TAKEN},
)


def provide_passwords(state: State) -> Passwords:
    return state.passwords


def provide_throttle(settings: Settings, redis: Redis | None, db_session: AsyncSession) -> LoginThrottle:
    return LoginThrottle(attempt_counter(redis, db_session), settings.auth)


def provide_limits(settings: Settings, redis: Redis | None, db_session: AsyncSession) -> AccountLimits:
    return AccountLimits.hourly(attempt_counter(redis, db_session), settings.auth)


def provide_reset_tokens(settings: Settings) -> ResetTokens:
    return ResetTokens(settings.server.secret_key)


dependencies = {
    "users": Provide(provide_users),
    "passwords": Provide(provide_passwords, sync_to_thread=False),
    "throttle": Provide(provide_throttle, sync_to_thread=False),
    "limits": Provide(provide_limits, sync_to_thread=False),
    "reset_tokens": Provide(provide_reset_tokens, sync_to_thread=False),
}
