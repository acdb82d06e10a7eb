"""The endpoint Bitrix24 posts its events to."""

from __future__ import annotations

import hmac
import logging
import re
from typing import Annotated, Any

from litestar import Controller, Request, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Response

from portal.config import Settings
from portal.core.queue import JobQueue
from portal.crm.outbox import SyncQueueService, kick
from portal.db.unit_of_work import AfterCommit

logger = logging.getLogger("portal.crm")
DEAL_EVENTS = {"ONCRMDEALADD", "ONCRMDEALUPDATE"}
BITRIX_ID = re.compile(r"[0-9]{1,18}", re.ASCII)  # str.isdigit() takes "²" and "٣"; a bigint holds 18 digits

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
