"""The start page, the language switch and the health check."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, MediaType, Response, get, post
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template

from portal.core.health import check_health
from portal.core.i18n import LANGUAGE_COOKIE, LANGUAGES
from portal.core.runtime import Runtime
from portal.core.templates import render


class CoreController(Controller):
    @get("/", name="home")
    async def home(self, request: HTMXRequest) -> Template:
        return render(request, "core/home.html")

    @post("/language")
    async def set_language(
        self,
        request: HTMXRequest,
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Redirect:
        language = str(data.get("language", ""))
        back = request.headers.get("referer", "/")
        path = "/" + back.split("://", 1)[-1].split("/", 1)[-1] if "://" in back else "/"
        response = Redirect(path=path if not path.startswith("//") else "/", status_code=303)
        if language in LANGUAGES:
            response.set_cookie(
                Cookie(key=LANGUAGE_COOKIE, value=language, max_age=365 * 24 * 3600,
                       samesite="lax", httponly=True, path="/")
            )
        return response

    @get("/health", media_type=MediaType.JSON, skip_session=True)
    async def health(self, runtime: Runtime) -> Response[dict[str, Any]]:
        report = await check_health(runtime)
        return Response(report, status_code=200 if report["status"] == "ok" else 503)
