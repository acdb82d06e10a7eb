"""A file's status poll waits up to a second for news. A hundred open file pages polling at once
answer every poll, see the news, and leave the other pages answering, on both stores."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from dataclasses import replace

import pytest
from sqlalchemy import delete, update

from portal.app import create_app
from portal.db.models import ModelFile
from tests.integration.test_bursts import at_once, browsers
from tests.integration.uploads import demo_file_row

pytestmark = [pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True), pytest.mark.slow]

POLLERS = 100
STATUS = re.compile(r'data-testid="file-status" data-status="(\w+)"')
HX = {"HX-Request": "true"}


async def set_file(db, file_id: str, **values) -> None:
    async with db() as session:
        await session.execute(update(ModelFile).where(ModelFile.id == file_id).values(**values))
        await session.commit()


def shown(responses) -> Counter:
    return Counter((r.status_code, (STATUS.search(r.text) or [None, None])[1]) for r in responses)


async def poll_until_final(client, file_id: str, polls: int = 3):
    """The page asks again as soon as it has an answer, while the file is still analysed."""
    for _ in range(polls):
        response = await client.get(f"/files/{file_id}/status", headers=HX)
        if response.status_code != 200 or STATUS.search(response.text)[1] != "pending":
            break
    return response


async def test_100_pollers_see_the_analysis_end_and_other_pages_answer(settings, db) -> None:
    file_id = await demo_file_row(db, "pending")
    app = create_app(settings)
    async with browsers(app, POLLERS + 20) as clients:
        pollers, others = clients[:POLLERS], clients[POLLERS:]

        async def meanwhile():
            await asyncio.sleep(0.3)
            pages = await asyncio.gather(*(client.get("/") for client in others))
            await set_file(db, file_id, status="failed", failure_code="empty", failure_message="empty")
            return pages

        polls, pages = await at_once(
            asyncio.gather(*(poll_until_final(client, file_id) for client in pollers)), meanwhile()
        )
        again = await at_once(*(client.get(f"/files/{file_id}/status", headers=HX) for client in pollers))
    assert Counter(page.status_code for page in pages) == {200: 20}
    assert shown(polls) == {(200, "failed"): POLLERS}
    assert shown(again) == {(200, "failed"): POLLERS}


async def test_a_file_deleted_while_100_pollers_wait_is_not_found(settings, db) -> None:
    file_id = await demo_file_row(db, "pending")
    app = create_app(settings)
    async with browsers(app, POLLERS) as clients:

        async def delete_soon():
            await asyncio.sleep(0.3)
            async with db() as session:
                await session.execute(delete(ModelFile).where(ModelFile.id == file_id))
                await session.commit()

        polls, _ = await at_once(
            asyncio.gather(*(poll_until_final(client, file_id) for client in clients)), delete_soon()
        )
    assert Counter(poll.status_code for poll in polls) == {404: POLLERS}


async def test_a_pool_of_one_connection_serves_waiting_pollers_and_pages(settings, db) -> None:
    """No poll holds a connection while it waits: with one connection, pages still answer."""
    file_id = await demo_file_row(db, "pending")
    one = replace(settings.database, pool_size=1, max_overflow=0, pool_timeout=20)
    app = create_app(replace(settings, database=one))
    async with browsers(app, 50) as clients:
        responses = await at_once(
            *(client.get(f"/files/{file_id}/status", headers=HX) for client in clients[:40]),
            *(client.get("/") for client in clients[40:]),
        )
    assert Counter(response.status_code for response in responses) == {200: 50}
    assert shown(responses[:40]) == {(200, "pending"): 40}
