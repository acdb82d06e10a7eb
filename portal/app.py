"""create_app(): the only place that assembles the portal."""

from __future__ import annotations

from advanced_alchemy.extensions.litestar import SQLAlchemyPlugin
from advanced_alchemy.extensions.litestar.store import SQLAlchemyStore
from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.plugins.htmx import HTMXPlugin
from litestar.static_files import create_static_files_router
from litestar.stores.redis import RedisStore
from litestar.stores.registry import StoreRegistry
from redis.asyncio import Redis

from portal.accounts.admin import UserAdminController
from portal.accounts.controllers import AccountController
from portal.accounts.middleware import CurrentUserMiddleware
from portal.accounts.passwords import Passwords
from portal.accounts.sessions import RotatingSessionConfig
from portal.accounts.throttle import DatabaseFailureCounter, LoginThrottle, RedisFailureCounter
from portal.commands import PortalCommands
from portal.config import Settings, get_settings
from portal.core.controllers import CoreController
from portal.core.errors import exception_handlers
from portal.core.i18n import LanguageMiddleware
from portal.core.logging import RequestIdMiddleware, configure_logging, request_id_header
from portal.core.mail import Mail, provide_mail
from portal.core.queue import JobQueue
from portal.core.runtime import Runtime, provide_runtime
from portal.core.security import SecurityMiddleware, security_headers_hook
from portal.core.templates import TEMPLATES_DIR, template_config
from portal.db.config import CommitBeforeSessionWrite, sqlalchemy_config
from portal.db.models import KeyValueItem

STATIC_DIR = TEMPLATES_DIR.parent / "static"
MAX_FORM_BODY = 1024 * 1024  # pages with upload forms raise their own limit


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    configure_logging(settings.server.debug)
    db_config = sqlalchemy_config(settings.database)
    redis = Redis.from_url(settings.redis.url) if settings.redis.url else None

    if redis is not None:
        session_store = RedisStore(redis, namespace="sessions", handle_client_shutdown=False)
        failures = RedisFailureCounter(redis)
    else:
        session_store = SQLAlchemyStore(db_config, model=KeyValueItem, namespace="sessions")
        failures = DatabaseFailureCounter(db_config.create_session_maker())

    runtime = Runtime(
        settings=settings,
        sessionmaker=db_config.create_session_maker(),
        passwords=Passwords(settings.auth),
        throttle=LoginThrottle(
            failures,
            account_limit=settings.auth.account_failures,
            address_limit=settings.auth.address_failures,
            window_seconds=settings.auth.window_seconds,
        ),
        redis=redis,
        queue=JobQueue(settings),
    )
    mail = Mail(settings.mail, runtime.queue)
    session_config = RotatingSessionConfig(
        key=settings.session.cookie_name,
        max_age=settings.session.idle_timeout,
        renew_on_access=True,
        secure=settings.server.https,
        httponly=True,
        samesite="lax",
        store="sessions",
    )

    async def start_housekeeping() -> None:
        if redis is None:  # in services mode the worker's cron does this
            await runtime.queue.enqueue("purge_expired")

    async def close_connections() -> None:
        await runtime.queue.close()
        if redis is not None:
            await redis.aclose()

    return Litestar(
        route_handlers=[
            CoreController,
            AccountController,
            UserAdminController,
            create_static_files_router(path="/static", directories=[STATIC_DIR], name="static"),
        ],
        plugins=[SQLAlchemyPlugin(config=db_config), HTMXPlugin(), PortalCommands()],
        openapi_config=None,
        middleware=[
            RequestIdMiddleware,
            DefineMiddleware(SecurityMiddleware, allowed_hosts=settings.server.allowed_hosts),
            LanguageMiddleware,
            session_config.middleware,
            CurrentUserMiddleware,
            DefineMiddleware(CommitBeforeSessionWrite, config=db_config),
        ],
        csrf_config=CSRFConfig(
            secret=settings.server.secret_key,
            cookie_name="__Host-csrftoken" if settings.server.https else "csrftoken",
            cookie_secure=settings.server.https,
            cookie_httponly=True,
            header_name="x-csrftoken",
        ),
        stores=StoreRegistry(stores={"sessions": session_store}),
        template_config=template_config(auto_reload=settings.server.debug),
        exception_handlers=exception_handlers,  # type: ignore[arg-type]
        dependencies={
            "runtime": Provide(provide_runtime, sync_to_thread=False),
            "mail": Provide(provide_mail, sync_to_thread=False),
        },
        request_max_body_size=MAX_FORM_BODY,
        before_send=[request_id_header, security_headers_hook(settings.server.https)],
        state=_state(runtime, mail),
        on_startup=[start_housekeeping],
        on_shutdown=[close_connections],
        debug=False,
    )


def _state(runtime: Runtime, mail: Mail):
    from litestar.datastructures import State

    return State({"runtime": runtime, "mail": mail})
