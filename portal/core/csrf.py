"""CSRF tokens bound to the session, renewed at login.

Litestar's CSRF middleware checks that the token in the form (or the x-csrftoken header) matches
the csrftoken cookie (double submit, signed with the secret key). A cookie can be planted,
though, and a token seen before login would live on after it. So a session that starts (login,
registration, password change) gets a fresh token, and the session keeps a digest of it: an
unsafe request of that session must carry that very cookie. The cookie ends with the browser,
the session may not: a page view without the cookie binds the fresh token Litestar issues; a
page view with a different cookie gets it deleted (the next page view then binds a fresh one).
"""

from __future__ import annotations

import hashlib
from hmac import compare_digest

from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.exceptions import PermissionDeniedException
from litestar.middleware.csrf import generate_csrf_token
from litestar.utils.scope.state import ScopeState

SESSION_KEY = "csrf"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
_RENEWED = "portal_csrf_renewed"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token_of(connection: ASGIConnection) -> str:
    """The token a page rendered now carries (empty when the app checks none)."""
    token = ScopeState.from_scope(connection.scope).csrf_token
    return token if isinstance(token, str) else ""


def renew_csrf_token(connection: ASGIConnection) -> None:
    """A fresh token for the session just started; the response sets its cookie."""
    token = generate_csrf_token(secret=connection.app.csrf_config.secret)
    connection.scope["session"][SESSION_KEY] = _digest(token)
    connection.scope.setdefault("state", {})[_RENEWED] = token
    ScopeState.from_scope(connection.scope).csrf_token = token  # for a page rendered now


def adopt_csrf_cookie(scope, cookie_name: str) -> None:
    """A page rendered without the CSRF middleware (an error the router answers) carries the
    session's own token, so that its forms (log out, language) still work."""
    session = scope.get("session")
    bound = session.get(SESSION_KEY) if isinstance(session, dict) else None
    cookie = _cookie(scope, cookie_name)
    if bound is not None and cookie is not None and compare_digest(_digest(cookie), bound):
        ScopeState.from_scope(scope).csrf_token = cookie


class SessionCsrfMiddleware:
    def __init__(self, app, config: CSRFConfig) -> None:
        self.app = app
        self.config = config

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        session = scope.get("session")
        bound = session.get(SESSION_KEY) if isinstance(session, dict) else None
        cookie = _cookie(scope, self.config.cookie_name)
        matches = bound is not None and cookie is not None and compare_digest(_digest(cookie), bound)
        if bound is not None and not matches and scope["method"] not in SAFE_METHODS:
            raise PermissionDeniedException("CSRF token of another session")

        async def send_wrapper(message) -> None:
            if message["type"] == "http.response.start":
                renewed = scope.get("state", {}).pop(_RENEWED, None)
                still_bound = isinstance(scope.get("session"), dict) and scope["session"].get(SESSION_KEY) == bound
                if renewed:
                    self._set_cookie(message, renewed)
                elif bound is not None and not matches and still_bound:
                    if cookie is None:  # Litestar issued a fresh token with this page
                        token = ScopeState.from_scope(scope).csrf_token
                        if isinstance(token, str):
                            scope["session"][SESSION_KEY] = _digest(token)
                    else:
                        self._set_cookie(message, "", max_age=0)
            await send(message)

        await self.app(scope, receive, send_wrapper)

    def _set_cookie(self, message, value: str, max_age: int | None = None) -> None:
        cookie = Cookie(
            key=self.config.cookie_name,
            value=value,
            path=self.config.cookie_path,
            secure=self.config.cookie_secure,
            httponly=self.config.cookie_httponly,
            samesite=self.config.cookie_samesite,
            domain=self.config.cookie_domain,
            max_age=max_age,
        )
        message["headers"] = [*message.get("headers", []), cookie.to_encoded_header()]


def _cookie(scope, name: str) -> str | None:
    for key, value in scope["headers"]:
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                cookie_name, _, cookie_value = part.strip().partition("=")
                if cookie_name == name:
                    return cookie_value
    return None
