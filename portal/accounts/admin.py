"""Staff pages over users: search, open, activate/deactivate, set a storage quota; superusers
grant or revoke staff."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, get, post
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template

from portal.accounts.schemas import clean_quota
from portal.accounts.services import UserService
from portal.config import Settings
from portal.core.flash import flash
from portal.core.forms import FieldError, FormData, SearchText, field_value
from portal.core.guards import requires_staff
from portal.core.i18n import N_
from portal.core.logging import auth_log, log_event
from portal.core.paging import PageNumber
from portal.core.templates import redirect_to, render
from portal.files.quota import Quota, Usage, usage_text
from portal.files.services import ModelFileService

PER_PAGE = 20


class UserAdminController(Controller):
    path = "/admin/users"
    guards = [requires_staff]

    @get("/", name="users")
    async def list_users(
        self,
        request: HTMXRequest,
        users: UserService,
        files: ModelFileService,
        settings: Settings,
        q: SearchText = "",
        page: PageNumber = 1,
    ) -> Template:
        query = q.strip()
        found = await users.search(query, page, PER_PAGE)
        usage = await files.usage_by_owner([user.id for user in found.items])
        return render(
            request, "accounts/admin_users.html", fragment="accounts/_admin_user_table.html", users=found, query=query,
            usage={user.id: usage_text(usage.get(user.id, Usage()), Quota.of(user, settings.uploads))
                   for user in found.items},
        )

    @get("/{user_id:uuid}", name="user")
    async def show_user(
        self, request: HTMXRequest, users: UserService, files: ModelFileService, settings: Settings, user_id: UUID
    ) -> Template:
        subject = await users.get(user_id)
        return render(
            request, "accounts/admin_user.html", subject=subject, same_inn=await users.sharing_inn(subject),
            usage=usage_text(await files.usage_of(subject.id), Quota.of(subject, settings.uploads)),
            defaults=settings.uploads,
        )

    @post("/{user_id:uuid}/quota", name="user_quota")
    async def set_quota(
        self, request: HTMXRequest, users: UserService, user_id: UUID, data: FormData
    ) -> Redirect:
        """Blank fields: the settings' quota again."""
        form = clean_quota(data)
        if not form.ok:
            flash(request, next(iter(form.errors.values())), "error")
            return redirect_to(request, "user", user_id=user_id)
        quota_mb, quota_files = (int(form.values[name]) if form.values[name] else None
                                 for name in ("quota_mb", "quota_files"))
        await users.set_quota(user_id, quota_mb, quota_files)
        log_event(auth_log, "quota_set", user_id=str(user_id), by=str(request.user.id),
                  quota_mb=quota_mb, quota_files=quota_files)
        flash(request, N_("The storage quota is saved."), "success")
        return redirect_to(request, "user", user_id=user_id)

    @post("/{user_id:uuid}/active", name="user_active")
    async def set_active(
        self, request: HTMXRequest, users: UserService, user_id: UUID, data: FormData
    ) -> Redirect:
        active = field_value(data, "active") == "1"
        try:
            changed = await users.set_active(user_id, active, actor=request.user)
        except FieldError as refusal:
            flash(request, refusal.message, "error")
        else:
            if changed:
                log_event(auth_log, "user_activated" if active else "user_deactivated",
                          user_id=str(user_id), by=str(request.user.id))
                flash(request, N_("The user is active again.") if active
                      else N_("The user is deactivated and logged out everywhere."), "success")
        return redirect_to(request, "user", user_id=user_id)

    @post("/{user_id:uuid}/staff", name="user_staff")
    async def set_staff(
        self, request: HTMXRequest, users: UserService, user_id: UUID, data: FormData
    ) -> Redirect:
        staff = field_value(data, "staff") == "1"
        try:
            changed = await users.set_staff(user_id, staff, actor=request.user)
        except FieldError as refusal:
            flash(request, refusal.message, "error")
        else:
            if changed:
                log_event(auth_log, "staff_granted" if staff else "staff_revoked",
                          user_id=str(user_id), by=str(request.user.id))
                flash(request, N_("Staff rights granted.") if staff else N_("Staff rights revoked."), "success")
        return redirect_to(request, "user", user_id=user_id)

    @post("/{user_id:uuid}/superuser", name="user_superuser")
    async def set_superuser(
        self, request: HTMXRequest, users: UserService, user_id: UUID, data: FormData
    ) -> Redirect:
        superuser = field_value(data, "superuser") == "1"
        try:
            changed = await users.set_superuser(user_id, superuser, actor=request.user)
        except FieldError as refusal:
            flash(request, refusal.message, "error")
        else:
            if changed:
                log_event(auth_log, "superuser_granted" if superuser else "superuser_revoked",
                          user_id=str(user_id), by=str(request.user.id))
                flash(request, N_("Superuser rights granted.") if superuser
                      else N_("Superuser rights revoked."), "success")
        return redirect_to(request, "user", user_id=user_id)
