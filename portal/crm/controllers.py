"""Staff's view of the Bitrix24 sync queue, and the endpoint Bitrix24 posts its events to."""

from __future__ import annotations

import hmac
import logging
import re
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Response, Template

from portal.config import Settings
from portal.core.flash import flash
from portal.core.guards import requires_staff
from portal.core.i18n import N_
from portal.core.paging import Page, PageNumber
from portal.core.queue import JobQueue
from portal.core.templates import redirect_to, render
from portal.crm.outbox import SYNC_STATUSES, SyncQueueService, kick
from portal.db.unit_of_work import AfterCommit

logger = logging.getLogger("portal.crm")
PER_PAGE = 50
DEAL_EVENTS = {"ONCRMDEALADD", "ONCRMDEALUPDATE"}
BITRIX_ID = re.compile(r"[0-9]{1,18}", re.ASCII)  # str.isdigit() takes "²" and "٣"; a bigint holds 18 digits


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
        return render(request, "admin/crm.html", fragment="admin/_crm_table.html",
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


EventForm = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


class BitrixEventsController(Controller):
    """Bitrix24's outbound webhook: form-encoded, only an id and the application token. We check
    the token in constant time, store a row to fetch the record, and answer at once."""

    @post("/crm/bitrix/events", name="bitrix_events", opt={"exclude_from_csrf": True}, status_code=200)
    async def receive(self, request: Request, data: EventForm, sync_queue: SyncQueueService,
                      settings: Settings, queue: JobQueue, after_commit: AfterCommit) -> Response:
        token = data.get("auth[application_token]")
        expected = settings.bitrix.app_token or ""
        if not (isinstance(token, str) and expected and hmac.compare_digest(token.encode(), expected.encode())):
            logger.warning("bitrix event refused: wrong application token")
            return Response({"error": "wrong application token"}, status_code=401)
        event = str(data.get("event") or "").upper()
        deal_id = str(data.get("data[FIELDS][ID]") or "")
        if event not in DEAL_EVENTS or not BITRIX_ID.fullmatch(deal_id):
            return Response({"ok": True, "ignored": event})
        row = await sync_queue.pull_once(deal_id)
        if row is not None:
            after_commit.add(lambda: kick(queue, settings.bitrix.enabled, [row.id]))
        return Response({"ok": True})
