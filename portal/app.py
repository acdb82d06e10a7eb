"""create_app(): the only place that assembles the portal."""

from __future__ import annotations

from advanced_alchemy.extensions.litestar import SQLAlchemyPlugin
from advanced_alchemy.extensions.litestar.store import SQLAlchemyStore
from litestar import Litestar
from litestar.datastructures import State
from litestar.middleware import DefineMiddleware
from litestar.plugins.htmx import HTMXPlugin
from litestar.static_files import create_static_files_router
from litestar.stores.redis import RedisStore
from litestar.stores.registry import StoreRegistry
from redis.asyncio import Redis

from jobs.inline import InlineRunner
from portal.accounts import deps as accounts_deps
from portal.accounts.admin import UserAdminController
from portal.accounts.controllers import AccountController
from portal.accounts.middleware import CurrentUserMiddleware, VisitorLookup
from portal.accounts.passwords import Passwords
from portal.accounts.reset import PasswordResetController
from portal.accounts.sessions import session_config
from portal.commands import PortalCommands
from portal.company import deps as company_deps
from portal.company.admin import CompanyController
from portal.config import Settings, get_settings
from portal.core import deps as core_deps
from portal.core.body import BodyReadGuard
from portal.core.controllers import CoreController
from portal.core.csrf import SessionCsrfMiddleware
from portal.core.errors import exception_handlers
from portal.core.i18n import LanguageMiddleware
from portal.core.logging import RequestIdMiddleware, configure_logging, request_id_header
from portal.core.mail import Mail
from portal.core.queue import JobQueue
from portal.core.security import SecurityMiddleware, personal_pages_not_stored, security_headers_hook
from portal.core.sign_in import SignInSteps
from portal.core.templates import TEMPLATES_DIR, template_config
from portal.crm import deps as crm_deps
from portal.crm.admin import CrmAdminController
from portal.crm.controllers import BitrixEventsController
from portal.db.config import CommitBeforeSessionWrite, sqlalchemy_config
from portal.db.engine import create_sessionmaker
from portal.db.models import KeyValueItem
from portal.files import deps as files_deps
from portal.files.catalogue import TEMPLATE_GLOBALS as FILE_TEXTS
from portal.files.controllers import FileController
from portal.files.services import claim_visitor_uploads
from portal.files.slicing import SliceService
from portal.files.status_watch import StatusWatch
from portal.files.storage import build_storage
from portal.leads import deps as leads_deps
from portal.leads.admin import LeadAdminController
from portal.leads.controllers import CallRequestController
from portal.orders import deps as orders_deps
from portal.orders.admin import OrderAdminController
from portal.orders.card_payments import CardPaymentController, YooKassaNotificationController
from portal.orders.checkout import CartAddController, CartController
from portal.orders.controllers import OrderController
from portal.orders.labels import TEMPLATE_GLOBALS as ORDER_TEXTS
from portal.orders.ship_dates import TEMPLATE_GLOBALS as SHIP_DATES
from portal.quotes import deps as quotes_deps
from portal.quotes.admin import RateCardAdminController, ReviewAdminController
from portal.quotes.controllers import QuoteController
from portal.quotes.labels import TEMPLATE_GLOBALS as QUOTE_TEXTS
from portal.quotes.panel_cache import RenderedPanels
from portal.quotes.panels import FileQuotes
from portal.quotes.reviews import send_pending_review
from portal.quotes.services import QuoteService

STATIC_DIR = TEMPLATES_DIR.parent / "static"
MAX_FORM_BODY = 1024 * 1024  # pages with upload forms raise their own limit


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    settings.check()
    configure_logging(settings.server.debug)
    db_config = sqlalchemy_config(settings.database)
    redis = Redis.from_url(settings.redis.url) if settings.redis.url else None
    queue = JobQueue(settings, inline_runner=InlineRunner)
    csrf_config = settings.server.get_config()
    sessions = session_config(settings.session)

    if redis is not None:
        session_store = RedisStore(redis, namespace="sessions", handle_client_shutdown=False)
    else:
        session_store = SQLAlchemyStore(db_config, model=KeyValueItem, namespace="sessions")

    mail = Mail(settings.mail, queue)
    storage = build_storage(settings.storage)
    quotes = QuoteService(slices=SliceService(storage, queue))

    async def start_schedule() -> None:
        queue.start_schedule()  # embedded default; in services mode the worker's cron runs them

    async def close_connections() -> None:
        await queue.close()
        if redis is not None:
            await redis.aclose()

    templates = template_config(auto_reload=settings.server.debug)
    templates.engine_instance.engine.globals.update({**FILE_TEXTS, **QUOTE_TEXTS, **ORDER_TEXTS, **SHIP_DATES})
    templates.engine_instance.engine.globals["card_payments"] = settings.payments.yookassa_enabled

    return Litestar(
        route_handlers=[
            CoreController,
            AccountController,
            PasswordResetController,
            UserAdminController,
            FileController,
            QuoteController,
            RateCardAdminController,
            ReviewAdminController,
            CallRequestController,
            LeadAdminController,
            CrmAdminController,
            BitrixEventsController,
            OrderController,
            CartController,
            CartAddController,
            OrderAdminController,
            CompanyController,
            CardPaymentController,
            YooKassaNotificationController,
            create_static_files_router(path="/static", directories=[STATIC_DIR], name="static"),
        ],
        plugins=[SQLAlchemyPlugin(config=db_config), HTMXPlugin(), PortalCommands()],
        openapi_config=None,
        middleware=[
            RequestIdMiddleware,
            DefineMiddleware(BodyReadGuard, timeout=settings.server.body_read_timeout),
            DefineMiddleware(SecurityMiddleware, allowed_hosts=settings.server.allowed_hosts),
            LanguageMiddleware,
            sessions.middleware,
            DefineMiddleware(CurrentUserMiddleware, db_config=db_config),
            DefineMiddleware(SessionCsrfMiddleware, config=csrf_config),
            DefineMiddleware(CommitBeforeSessionWrite, config=db_config),
        ],
        csrf_config=csrf_config,
        stores=StoreRegistry(stores={"sessions": session_store}),
        template_config=templates,
        exception_handlers=exception_handlers,  # type: ignore[arg-type]
        dependencies={
            **core_deps.dependencies,
            **accounts_deps.dependencies,
            **files_deps.dependencies,
            **quotes_deps.dependencies,
            **leads_deps.dependencies,
            **crm_deps.dependencies,
            **orders_deps.dependencies,
            **company_deps.dependencies,
        },
        request_max_body_size=MAX_FORM_BODY,
        before_send=[request_id_header, security_headers_hook(settings.server.https), personal_pages_not_stored],
        state=State(
            {"settings": settings, "redis": redis, "queue": queue, "passwords": Passwords(settings.auth),
             "mail": mail, "storage": storage, "quotes": quotes,
             "file_quotes": FileQuotes(quotes, RenderedPanels()),
             "sign_in_steps": SignInSteps([claim_visitor_uploads, send_pending_review]),
             "visitor_lookup": VisitorLookup(db_config, sessions, csrf_config.cookie_name),
             "status_watch": StatusWatch(create_sessionmaker(db_config.get_engine()))}
        ),
        on_startup=[start_schedule],
        on_shutdown=[close_connections],
        debug=False,
    )
