"""Absolute links to named routes, made without a request (jobs: status mail, Bitrix24 deals).

    links = SiteLinks(settings.site_url, [OrderController])
    links.url("order", order_id=order.id)   # https://portal.example.com/orders/<id>

The path comes from the route table, as `app.route_reverse` finds it, so a moved route moves its
links too; the address is the configured public site, never a request's Host header.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from litestar import Router
from litestar.types import ControllerRouterHandler


class SiteLinks:
    def __init__(self, site_url: str, route_handlers: Sequence[ControllerRouterHandler]) -> None:
        self.site_url = site_url.rstrip("/")
        router = Router(path="/", route_handlers=list(route_handlers))
        self._paths = {
            handler.name: route.path_format
            for route in router.routes
            for handler in route.route_handlers
            if handler.name
        }

    def url(self, route_name: str, **path_parameters: Any) -> str:
        return self.site_url + self._paths[route_name].format(**path_parameters)
