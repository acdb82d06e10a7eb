"""Staff pages over users: search, open, activate/deactivate, grant or revoke staff."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from advanced_alchemy.extensions.litestar.providers import create_service_provider
from litestar import Controller, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template

from portal.accounts.guards import requires_staff
from portal.accounts.services import UserService
from portal.accounts.sessions import flash
from portal.core.i18n import N_
from portal.core.logging import auth_log, log_event
from portal.core.templates import render

PER_PAGE = 20
FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


class UserAdminController(Controller):
    path = "/admin/users"
    guards = [requires_staff]
    dependencies = {"users": create_service_provider(UserService)}

    @get("/")
    async def list_users(
        self,
        request: HTMXRequest,
        users: UserService,
        q: Annotated[str, Parameter(max_length=200)] = "",
        page: Annotated[int, Parameter(ge=1, le=100_000)] = 1,
    ) -> Template:
        query = q.strip()
        found, total = await users.search(query, page, PER_PAGE)
        pages = max(1, -(-total // PER_PAGE))
        return render(
            request,
            "admin/users.html",
            fragment="admin/_user_table.html",
            users=found,
            total=total,
            page=page,
            pages=pages,
            query=query,
        )

    @get("/{user_id:uuid}")
    async def show_user(self, request: HTMXRequest, users: UserService, user_id: UUID) -> Template:
        return render(request, "admin/user.html", subject=await users.get(user_id))

    @post("/{user_id:uuid}/active")
    async def set_active(
        self, request: HTMXRequest, users: UserService, user_id: UUID, data: FormData
    ) -> Redirect:
        active = str(data.get("active", "")) == "1"
        if await users.set_active(user_id, active, actor_id=request.user.id):
            log_event(auth_log, "user_activated" if active else "user_deactivated",
                      user_id=str(user_id), by=str(request.user.id))
            flash(request, N_("The user is active again.") if active
                  else N_("The user is deactivated and logged out everywhere."), "success")
        return Redirect(path=f"/admin/users/{user_id}", status_code=303)

    @post("/{user_id:uuid}/staff")
    async def set_staff(
        self, request: HTMXRequest, users: UserService, user_id: UUID, data: FormData
    ) -> Redirect:
        staff = str(data.get("staff", "")) == "1"
        if await users.set_staff(user_id, staff, actor_id=request.user.id):
            log_event(auth_log, "staff_granted" if staff else "staff_revoked",
                      user_id=str(user_id), by=str(request.user.id))
            flash(request, N_("Staff rights granted.") if staff else N_("Staff rights revoked."),
                  "success")
        return Redirect(path=f"/admin/users/{user_id}", status_code=303)
