"""Server-side sessions that never adopt an id the server did not issue.

Litestar's stock backend reuses whatever id the client presents. Here an id counts only if the
store knows it; login, logout and a change of privilege issue a fresh id and delete the old entry.

A session is written back only when the request changed it: reading a page costs no store write
(the idle timer moves once a minute, see CurrentUserMiddleware, and that write also renews the
store entry's expiry and the cookie's).
"""

from __future__ import annotations

import time
from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.types import Empty, Message, ScopeSession

from portal.config import SessionSettings
from portal.core.csrf import renew_csrf_token
from portal.core.flash import kept_flashes

_KNOWN_ID = "portal_session_id"  # the id this request's session was loaded from (or was issued)
_ROTATE = "portal_session_rotate"
_LOADED = "portal_session_loaded"  # the stored bytes this request's session was loaded from


def _state(connection: ASGIConnection) -> dict[str, Any]:
    return connection.scope.setdefault("state", {})  # type: ignore[return-value]


class RotatingSessionBackend(ServerSideSessionBackend):
    async def load_from_connection(self, connection: ASGIConnection) -> dict[str, Any]:
        cookie_id = connection.cookies.get(self.config.key)
        if cookie_id and cookie_id != "null":
            store = self.config.get_store_from_app(connection.scope["app"])
            data = await self.get(cookie_id, store=store)
            if data is not None:
                _state(connection)[_KNOWN_ID] = cookie_id
                _state(connection)[_LOADED] = data
                return self.deserialize_data(data)
        return {}

    def get_session_id(self, connection: ASGIConnection) -> str:
        state = _state(connection)
        if not state.get(_KNOWN_ID):
            state[_KNOWN_ID] = self.generate_session_id()
        return state[_KNOWN_ID]

    async def store_in_message(
        self, scope_session: ScopeSession, message: Message, connection: ASGIConnection
    ) -> None:
        state = _state(connection)
        store = self.config.get_store_from_app(connection.scope["app"])
        had_cookie = self.config.key in connection.cookies
        loaded_from_store = bool(state.get(_KNOWN_ID)) and state.get(_KNOWN_ID) == connection.cookies.get(
            self.config.key
        )
        if state.pop(_ROTATE, False) and loaded_from_store:
            await self.delete(state[_KNOWN_ID], store=store)
            state[_KNOWN_ID] = self.generate_session_id()
            loaded_from_store = False
        if not scope_session:  # Empty or {}: nothing worth a store entry
            if loaded_from_store or had_cookie:
                await super().store_in_message(Empty, message, connection)
            return
        if loaded_from_store and self.serialize_data(scope_session, connection.scope) == state.get(_LOADED):
            return  # unchanged: no store write, no cookie
        await super().store_in_message(scope_session, message, connection)


class RotatingSessionConfig(ServerSideSessionConfig):
    _backend_class = RotatingSessionBackend


def session_config(settings: SessionSettings) -> RotatingSessionConfig:
    """Server-side sessions in the "sessions" store (database or Redis, see create_app)."""
    return RotatingSessionConfig(
        key=settings.cookie_name,
        max_age=settings.idle_timeout,
        renew_on_access=False,  # renewed when the session is written (at least once a minute in use)
        secure=settings.secure,
        httponly=True,
        samesite="lax",
        store="sessions",
    )


def rotate_session_id(connection: ASGIConnection) -> None:
    """Ask for a fresh session id on this response; the old store entry is deleted."""
    _state(connection)[_ROTATE] = True


def start_user_session(connection: ASGIConnection, user_id: str, session_version: int) -> None:
    now = time.time()
    flashes = kept_flashes(connection)
    connection.scope["session"] = {
        **({"flash": flashes} if flashes else {}),
        "user_id": user_id,
        "version": session_version,
        "login_at": now,
        "seen_at": now,
    }
    rotate_session_id(connection)
    renew_csrf_token(connection)


def end_user_session(connection: ASGIConnection) -> None:
    """Log out: the old id dies on the server; a fresh one carries only the flash message."""
    flashes = kept_flashes(connection)
    connection.scope["session"] = {"flash": flashes} if flashes else {}
    rotate_session_id(connection)
