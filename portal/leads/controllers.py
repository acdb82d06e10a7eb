"""Call requests: the inline form on every page posts here; staff see them in `admin.py`."""

from __future__ import annotations

from urllib.parse import urlsplit

from litestar import Controller, get, post
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template

from portal.config import Settings
from portal.core.flash import flash
from portal.core.forms import Form, FormData
from portal.core.i18n import N_
from portal.core.queue import JobQueue
from portal.core.security import client_address
from portal.core.templates import render
from portal.crm.outbox import kick
from portal.db.unit_of_work import AfterCommit
from portal.leads.schemas import clean_call_request, is_bot, safe_page
from portal.leads.services import CallRequestLimits, CallRequestService, Throttled

THANKS = N_("Thank you! We will call you back soon.")


class CallRequestController(Controller):
    @get("/call-request", name="call_request_page")
    async def page(self, request: HTMXRequest) -> Template:
        """The page; to htmx, only the form, to open in place on the page the visitor is on."""
        current = urlsplit(request.htmx.current_url).path if request.htmx and request.htmx.current_url else ""
        return render(request, "leads/call_request.html", fragment="leads/_call_form.html", call_form=Form(),
                      call_done=False, call_page=safe_page(current) if current else "")

    @post("/call-request", name="call_request")
    async def submit(
        self, request: HTMXRequest, data: FormData, call_requests: CallRequestService, settings: Settings,
        queue: JobQueue, call_limits: CallRequestLimits, after_commit: AfterCommit,
    ) -> Template | Redirect:
        form = clean_call_request(data)
        if form.ok and not is_bot(data):
            user = request.scope.get("user")
            try:
                _, row = await call_requests.submit(
                    form.values, client_address(request, settings.server.trusted_proxies),
                    settings.server.secret_key, user.id if user else None, call_limits)
            except Throttled as refused:
                form.errors["form"] = refused.message
            else:
                after_commit.add(lambda: kick(queue, settings.bitrix.enabled, [row.id]))
        if not form.ok:
            return render(request, "leads/call_request.html", fragment="leads/_call_form.html", status_code=422,
                          call_form=form, call_done=False)
        if request.htmx:
            return render(request, "leads/call_request.html", fragment="leads/_call_form.html",
                          call_form=Form(), call_done=True)
        flash(request, THANKS, "success")
        return Redirect(path=form.values["page"], status_code=303)

