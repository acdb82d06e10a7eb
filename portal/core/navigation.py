"""The staff navigation: one list of (route name, label) for every page staff work on.

A route that is not registered in this application is skipped, so a page another part of the
portal adds later (or leaves out) needs no change here beyond its line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jinja2 import pass_context
from litestar.exceptions import NoRouteMatchFoundException

from portal.core.i18n import N_, gettext

STAFF_LINKS = (  # route name, label, for superusers only
    ("admin_orders", N_("Orders"), False),
    ("reviews", N_("Reviews"), False),
    ("admin_leads", N_("Leads"), False),
    ("admin_crm", N_("CRM sync"), False),
    ("rate_card", N_("Rates"), False),
    ("users", N_("Users"), False),
    ("company_details", N_("Company details"), True),
)


@dataclass(frozen=True)
class StaffLink:
    name: str
    href: str
    label: str
    current: bool


@pass_context
def staff_links(context: Any) -> list[StaffLink]:
    """The staff pages the signed-in user may open, in the reader's language; none for customers."""
    request = context.get("request")
    user = request.scope.get("user") if request is not None else None
    if user is None or not user.is_staff:
        return []
    links = []
    for name, label, superuser_only in STAFF_LINKS:
        if superuser_only and not user.is_superuser:
            continue
        try:
            href = request.app.route_reverse(name)
        except NoRouteMatchFoundException:
            continue
        current = request.url.path == href or request.url.path.startswith(href.rstrip("/") + "/")
        links.append(StaffLink(name, href, gettext(label), current))
    return links
