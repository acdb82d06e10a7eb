"""The Jinja environment: i18n, template globals and filters, and page-or-fragment rendering.

Links in templates come from route names: `url_for("account")`, `url_for("user", user_id=…)`
(Litestar's template callable); redirects from handlers through `redirect_to()`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from litestar.connection import ASGIConnection
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from litestar.template.config import TemplateConfig

from portal import __version__
from portal.core.flash import pop_flashes
from portal.core.i18n import LANGUAGES, current_language, gettext, local_number, ngettext
from portal.core.navigation import staff_links

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"


def _request_of(context: Any):
    return context.get("request")


@pass_context
def current_user(context: Any):
    request = _request_of(context)
    return request.scope.get("user") if request is not None else None


@pass_context
def flashes(context: Any) -> list[dict[str, str]]:
    request = _request_of(context)
    return pop_flashes(request) if request is not None else []


def static_url(path: str) -> str:
    return f"/static/{path}?v={__version__}"


def localdate(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


def build_environment(auto_reload: bool = False) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        auto_reload=auto_reload,
    )
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(
        current_user=current_user,
        staff_links=staff_links,
        flashes=flashes,
        static_url=static_url,
        languages=LANGUAGES,
    )
    env.filters["localdate"] = localdate
    env.filters["local_number"] = local_number
    return env


def template_config(auto_reload: bool = False) -> TemplateConfig:
    env = build_environment(auto_reload)
    return TemplateConfig(engine=JinjaTemplateEngine.from_environment(env))


def wants_fragment(request: HTMXRequest) -> bool:
    """An htmx request that is not a boosted navigation wants only the fragment."""
    return bool(request.htmx) and not request.htmx.boosted


def render(
    request: HTMXRequest,
    page_template: str,
    fragment: str | None = None,
    status_code: int = 200,
    response_class: type[Template] = Template,
    **context: Any,
) -> Template:
    """Render the page, or only its fragment for an htmx request."""
    name = fragment if fragment and wants_fragment(request) else page_template
    context.setdefault("language", current_language.get())
    # one address answers a page or a fragment: caches (and the back button) must tell them apart
    return response_class(template_name=name, context=context, status_code=status_code, headers={"Vary": "HX-Request"})


def render_html(request: HTMXRequest, template_name: str, **context: Any) -> str:
    """A template rendered to text as `render()` renders it, for an answer kept and sent again."""
    context.setdefault("language", current_language.get())
    return request.app.template_engine.get_template(template_name).render(request=request, **context)


def redirect_to(connection: ASGIConnection, route_name: str, query: str = "", **path_parameters: Any) -> Redirect:
    """POST → 303 → GET, to a route by its name."""
    path = connection.app.route_reverse(route_name, **path_parameters)
    return Redirect(path=f"{path}?{query}" if query else path, status_code=303)
