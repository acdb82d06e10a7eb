"""Staff's view of the Bitrix24 sync queue: rows by state, and a dead row (or all of them) queued
again."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.params import Parameter
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template

from portal.config import Settings
from portal.core.flash import flash
from portal.core.guards import requires_staff
from portal.core.i18n import N_
from portal.core.paging import Page, PageNumber
from portal.core.queue import JobQueue
from portal.core.templates import redirect_to, render
from portal.crm.outbox import SYNC_STATUSES, SyncQueueService, kick
from portal.db.unit_of_work import AfterCommit

PER_PAGE = 50


class CrmAdminController(Controller):
    path = "/admin/crm"
    guards = [requires_staff]

    @get("/", name="admin_crm")
    async def queue_page(
        self, request: HTMXRequest, sync_queue: SyncQueueService, settings: Settings,
        status: Annotated[str, Parameter(max_length=20)] = "", page: PageNumber = 1,
    ) -> Template:
        status = status if status in SYNC_STATUSES else ""
        rows, total = await sync_queue.page(status or None, page, PER_PAGE)
        return render(request, "crm/admin_queue.html", fragment="crm/_admin_queue_table.html",
                      rows=Page(rows, total, page, PER_PAGE), status=status, counts=await sync_queue.counts(),
                      statuses=SYNC_STATUSES, enabled=settings.bitrix.enabled,
                      retention_days=settings.bitrix.sent_retention_days)

    @post("/{row_id:int}/retry", name="admin_crm_retry")
    async def retry(self, request: HTMXRequest, row_id: int, sync_queue: SyncQueueService,
                    queue: JobQueue, settings: Settings, after_commit: AfterCommit) -> Redirect:
        if await sync_queue.retry(row_id):
            after_commit.add(lambda: kick(queue, settings.bitrix.enabled, [row_id]))
            flash(request, N_("The row is queued again."), "success")
        return redirect_to(request, "admin_crm", query="status=dead")

    @post("/retry-dead", name="admin_crm_retry_dead")
    async def retry_dead(self, request: HTMXRequest, sync_queue: SyncQueueService,
                         queue: JobQueue, settings: Settings, after_commit: AfterCommit) -> Redirect:
        ids = await sync_queue.retry_all_dead()
        after_commit.add(lambda: kick(queue, settings.bitrix.enabled, ids))
        if ids:
            flash(request, N_("Every dead row is queued again."), "success")
        return redirect_to(request, "admin_crm")
