"""Staff's list of call requests, newest first, each with its state in the Bitrix24 sync."""

from __future__ import annotations

from litestar import Controller, get
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template

from portal.core.guards import requires_staff
from portal.core.paging import PageNumber
from portal.core.templates import render
from portal.crm.outbox import SyncQueueService
from portal.leads.services import CallRequestService

PER_PAGE = 20


class LeadAdminController(Controller):
    path = "/admin/leads"
    guards = [requires_staff]

    @get("/", name="admin_leads")
    async def list_leads(self, request: HTMXRequest, call_requests: CallRequestService,
                         sync_queue: SyncQueueService, page: PageNumber = 1) -> Template:
        found = await call_requests.newest(page, PER_PAGE)
        states = await sync_queue.states_for("lead", [str(item.id) for item in found.items])
        return render(request, "leads/admin_leads.html", fragment="leads/_admin_lead_table.html",
                      leads=found, states=states)
