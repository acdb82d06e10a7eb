"""Bitrix24 posts its events in bursts: every event is answered, one fetch per deal waits."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest
from sqlalchemy import select

from portal.app import create_app
from portal.db.models import BitrixSyncRow
from tests.integration.test_bursts import at_once, browsers

pytestmark = [pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True), pytest.mark.slow]

TOKEN = "application-token-of-the-portal"


def event(deal_id: int) -> dict:
    return {"event": "ONCRMDEALUPDATE", "data[FIELDS][ID]": str(deal_id), "auth[application_token]": TOKEN}


@pytest.fixture
def events_app(settings):
    return create_app(replace(settings, bitrix=replace(settings.bitrix, app_token=TOKEN)))


async def pulls(db) -> Counter:
    async with db() as session:
        rows = await session.scalars(select(BitrixSyncRow).where(BitrixSyncRow.action == "pull"))
        return Counter(row.bitrix_id for row in rows)


async def test_forty_events_for_one_deal_at_once_wait_as_one_fetch(events_app, db) -> None:
    async with browsers(events_app, 40) as clients:
        answers = await at_once(*(client.post("/crm/bitrix/events", data=event(7)) for client in clients))
    assert Counter(answer.status_code for answer in answers) == {200: 40}
    assert await pulls(db) == {"7": 1}


async def test_forty_events_for_forty_deals_at_once_wait_as_forty_fetches(events_app, db) -> None:
    async with browsers(events_app, 40) as clients:
        answers = await at_once(*(client.post("/crm/bitrix/events", data=event(100 + n))
                                  for n, client in enumerate(clients)))
    assert Counter(answer.status_code for answer in answers) == {200: 40}
    assert await pulls(db) == {str(100 + n): 1 for n in range(40)}
