"""Error pages: a full page for a browser, a fragment for htmx; never a traceback."""

from __future__ import annotations

import logging
from urllib.parse import urlencode, urlsplit, urlunsplit

from advanced_alchemy.exceptions import NotFoundError
from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR, HTTP_503_SERVICE_UNAVAILABLE
from litestar_htmx import ClientRedirect, HTMXRequest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from portal.core.body import BodyReadTimeout, ClientDisconnected
from portal.core.i18n import LANGUAGE_COOKIE, N_, choose_language, current_language, gettext
from portal.core.security import safe_next
from portal.core.templates import render

logger = logging.getLogger("portal.errors")

MESSAGES = {
    400: (N_("Bad request"), N_("The request could not be understood. Please check the form and try again.")),
    403: (N_("Forbidden"), N_("You may not do this. If the page was open for long, reload it and try again.")),
    404: (N_("Page not found"), N_("There is nothing here, or you may not see it.")),
    405: (N_("Not allowed"), N_("This address does not accept that kind of request.")),
    408: (N_("Too slow"), N_("What you sent stopped arriving. Please check your connection and try again.")),
    413: (N_("Too large"), N_("What you sent is larger than this page accepts.")),
    429: (N_("Too many requests"), N_("Please wait a little and try again.")),
    500: (N_("Something went wrong"), N_("We could not complete the request. It has been logged; please try again.")),
    503: (N_("Briefly unavailable"), N_("The portal cannot reach its data store now. Please try again in a minute.")),
}
# The database or Redis is down or out of connections: a state to wait out, not a fault in the request.
STORE_DOWN = (OperationalError, InterfaceError, PoolTimeout, ConnectionRefusedError, RedisConnectionError,
              RedisTimeoutError)


def _as_htmx(request: Request) -> HTMXRequest:
    return request if isinstance(request, HTMXRequest) else HTMXRequest(request.scope, request.receive)


def _speak_the_visitors_language(request: Request) -> None:
    """Some errors are answered outside the language middleware: those raised by middleware
    around the handler (a missing CSRF token) and those the router raises before any middleware
    runs (a malformed id in a path). Their pages still come in the visitor's language."""
    language = request.scope.get("state", {}).get("language") or choose_language(
        request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language")
    )
    current_language.set(language)


class _ErrorPage(Template):
    """An error page that first looks up who is logged in when no middleware did (the router's
    own 404 and 405): an exception handler cannot wait, the response it returns can."""

    def to_asgi_response(self, app, request, **kwargs):  # type: ignore[override]
        render = super().to_asgi_response
        look_up = request.app.state.get("visitor_lookup")

        async def answer(scope, receive, send) -> None:
            if look_up is not None and "user" not in scope:
                await look_up(scope)
            await render(app, request, **kwargs)(scope, receive, send)

        return answer


def error_page(request: Request, status_code: int, look_up_visitor: bool = True) -> Response:
    _speak_the_visitors_language(request)
    title, detail = MESSAGES.get(status_code, MESSAGES[400 if status_code < 500 else 500])
    return render(
        _as_htmx(request),
        "errors/error.html",
        fragment="errors/_error.html",
        status_code=status_code,
        response_class=_ErrorPage if look_up_visitor else Template,
        title=gettext(title),
        detail=gettext(detail),
    )


def login_redirect(request: Request) -> Response:
    """To the login page, and from there back to the page the person was on.

    An htmx request (a poll, a fragment, a boosted link) gets a client redirect: followed as a
    plain 302, htmx would swap the login form into the fragment, and after logging in the person
    would land on the bare fragment. So `next` is the page's address, not the fragment's."""
    login = request.app.route_reverse("login")
    htmx = _as_htmx(request).htmx
    if not htmx:
        return Redirect(path=_with_next(login, request.url.path))
    if htmx.boosted:  # a link followed by htmx: the page asked for is the one to come back to
        return ClientRedirect(_with_next(login, _path_and_query(request.url.path, request.url.query)))
    return ClientRedirect(_with_next(login, _page_path(request, htmx.current_url)))


def _page_path(request: Request, page_url: str | None) -> str:
    """The path (and query) of the page an htmx request came from, when that page is on this
    site; "" otherwise."""
    page = urlsplit(page_url or "")
    if page.netloc != request.url.netloc:
        return ""
    return safe_next(_path_and_query(page.path, page.query))


def _path_and_query(path: str, query: str) -> str:
    return urlunsplit(("", "", path, query, ""))


def _with_next(login: str, next_path: str) -> str:
    return f"{login}?{urlencode({'next': next_path})}" if next_path else login


def http_exception_handler(request: Request, exc: HTTPException) -> Response:
    if isinstance(exc, NotAuthorizedException):
        return login_redirect(request)
    return error_page(request, exc.status_code)


def not_found_handler(request: Request, exc: NotFoundError) -> Response:
    return error_page(request, 404)


def store_down_handler(request: Request, exc: Exception) -> Response:
    logger.error("data store unavailable", extra={"fields": {"path": request.url.path, "error": type(exc).__name__}})
    return error_page(request, HTTP_503_SERVICE_UNAVAILABLE, look_up_visitor=False)  # it needs the store


def body_timeout_handler(request: Request, exc: BodyReadTimeout) -> Response:
    logger.warning("request body too slow", extra={"fields": {"event": "body_timeout", "path": request.url.path}})
    return error_page(request, 408)


def disconnect_handler(request: Request, exc: ClientDisconnected) -> Response:
    """Nobody is left to read the answer; one line in the log, no traceback."""
    logger.info("client disconnected", extra={"fields": {"event": "client_disconnected", "path": request.url.path}})
    return Response(b"", status_code=400)


def internal_error_handler(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error", extra={"fields": {"path": request.url.path}})
    return error_page(request, HTTP_500_INTERNAL_SERVER_ERROR)


exception_handlers = {
    HTTPException: http_exception_handler,
    NotFoundError: not_found_handler,
    **dict.fromkeys(STORE_DOWN, store_down_handler),
    BodyReadTimeout: body_timeout_handler,
    ClientDisconnected: disconnect_handler,
    HTTP_500_INTERNAL_SERVER_ERROR: internal_error_handler,
    Exception: internal_error_handler,
}
