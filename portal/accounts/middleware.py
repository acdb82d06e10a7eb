"""Puts the logged-in user (or None) on every request, ending sessions that may no longer live."""

from __future__ import annotations

import time
import uuid

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from litestar.connection import ASGIConnection
from litestar.middleware.session.server_side import ServerSideSessionConfig

from portal.core.csrf import adopt_csrf_cookie
from portal.db.models import User

SEEN_EVERY = 60  # seconds: how often the idle timer moves at most (each move writes the session)


class CurrentUserMiddleware:
    """Loads the user on the request's own database session, the one its handler then uses."""

    def __init__(self, app, db_config: SQLAlchemyAsyncConfig) -> None:
        self.app = app
        self.db_config = db_config

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            scope["user"] = await self._user_of(scope)
        await self.app(scope, receive, send)

    async def _user_of(self, scope) -> User | None:
        session = scope.get("session")
        if not isinstance(session, dict) or "user_id" not in session:
            return None
        state = scope["app"].state
        timeouts = state.settings.session
        now = time.time()
        user = None
        try:
            user_id = uuid.UUID(str(session["user_id"]))
        except ValueError:
            user_id = None
        if user_id is not None:
            db = self.db_config.provide_session(state, scope)
            user = await db.get(User, user_id)
        alive = (
            user is not None
            and user.is_active
            and session.get("version") == user.session_version
            and now - float(session.get("login_at", 0)) <= timeouts.absolute_timeout
            and now - float(session.get("seen_at", 0)) <= timeouts.idle_timeout
        )
        if not alive:
            scope["session"] = {}  # the store entry is deleted and the cookie cleared on response
            return None
        # the timer lags by at most a tenth of the idle timeout (a minute for the default two hours)
        if now - float(session.get("seen_at", 0)) >= min(SEEN_EVERY, timeouts.idle_timeout / 10):
            session["seen_at"] = now
        return user


class VisitorLookup:
    """For a request the router answered itself (an unknown address or method), no middleware has
    run: its error page would show a logged-in visitor as logged out, with a dead logout form.
    This reads the session and the user for that page, and writes nothing back."""

    def __init__(self, db_config: SQLAlchemyAsyncConfig, session_config: ServerSideSessionConfig,
                 csrf_cookie: str) -> None:
        self.users = CurrentUserMiddleware(None, db_config)
        self.sessions = session_config._backend_class(config=session_config)
        self.csrf_cookie = csrf_cookie

    async def __call__(self, scope) -> None:
        scope["session"] = await self.sessions.load_from_connection(ASGIConnection(scope))
        scope["user"] = await self.users._user_of(scope)
        adopt_csrf_cookie(scope, self.csrf_cookie)
