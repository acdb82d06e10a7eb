"""The language switch, the health check, and the answer for addresses nothing else serves."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar import Controller, HttpMethod, MediaType, Response, get, post, route
from litestar.datastructures import Cookie
from litestar.exceptions import NotFoundException
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from portal.core.forms import FormData, field_value
from portal.core.health import check_health
from portal.core.i18n import LANGUAGE_COOKIE, LANGUAGES


def _same_site_path(referer: str | None) -> str:
    """Back to the page the switch was pressed on: only its path and query, never another site."""
    url = urlsplit(referer or "/")
    path = url.path if url.path.startswith("/") and not url.path.startswith("//") else "/"
    return f"{path}?{url.query}" if url.query else path


class CoreController(Controller):
    @post("/language", name="language")
    async def set_language(self, request: HTMXRequest, data: FormData) -> Redirect:
        language = field_value(data, "language")
        response = Redirect(path=_same_site_path(request.headers.get("referer")), status_code=303)
        if language in LANGUAGES:
            response.set_cookie(
                Cookie(key=LANGUAGE_COOKIE, value=language, max_age=365 * 24 * 3600,
                       samesite="lax", httponly=True, path="/")
            )
        return response

    @get("/health", name="health", media_type=MediaType.JSON, skip_session=True)
    async def health(self, db_session: AsyncSession, redis: Redis | None) -> Response[dict[str, Any]]:
        report = await check_health(db_session, redis)
        return Response(report, status_code=503 if report["status"] == "down" else 200)

    @route(
        "/{path:path}",
        http_method=[HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE],
        name="not_found",
        include_in_schema=False,
    )
    async def not_found(self, path: str) -> None:
        """An address no other route serves. Answered here rather than by the router, so that the
        404 page passes the middleware like any page: in the chosen language, with the person who
        is logged in, and with a CSRF token for its forms."""
        raise NotFoundException()
