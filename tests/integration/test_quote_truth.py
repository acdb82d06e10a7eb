"""What the quote panel tells a buyer: the findings of the chosen process once each, no notes on our
own processing, options of the chosen process only, and no price for a quantity that is not one."""

from __future__ import annotations

import asyncio
import re
from dataclasses import asdict
from uuid import UUID

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update

from geometry.model import Finding
from portal.app import create_app
from portal.db.models import ModelFile, ReviewRequest
from tests.integration.conftest import csrf_token, register
from tests.integration.orders import staff_login
from tests.integration.test_quotes import TOTAL, ready_file

FINDING = re.compile(r'data-testid="finding" data-code="([a-z_]+)"')


def options_of(html: str, select_id: str) -> list[tuple[str, bool]]:
    """(value, disabled) of each option of one select."""
    block = html.split(f'id="{select_id}"', 1)[1].split("</select>", 1)[0]
    return [(value, "disabled" in rest) for value, rest in re.findall(r'<option value="([^"]*)"([^>]*)>', block)]


async def set_findings(db, file_id: str, findings: list[Finding]) -> None:
    async with db() as session:
        await session.execute(
            update(ModelFile).where(ModelFile.id == file_id).values(findings=[asdict(f) for f in findings])
        )
        await session.commit()


async def panel(client, file_id: str, query: str) -> str:
    answer = await client.get(f"/files/{file_id}/quote?{query}", headers={"HX-Request": "true"})
    assert answer.status_code == 200
    return answer.text


async def test_findings_belong_to_the_chosen_process_and_show_once(client, settings, db, tmp_path) -> None:
    file_id = await ready_file(client, settings, tmp_path, size=(200.0, 100.0, 20.0))  # too large for SLA
    wall = {"thickness_mm": 0.5, "x": 1.0, "y": 2.0, "z": 3.0}
    await set_findings(db, file_id, [
        *(Finding.of("thin_wall", process=p, min_wall_mm=m, **wall)
          for p, m in (("cnc_milling", 0.8), ("cnc_turning", 0.8), ("fdm", 1.2), ("sla", 0.6), ("sls", 0.8))),
        Finding.of("gaps_closed", points=288, edges=12, distance_mm=2.7e-16, tolerance_mm=1e-9),
        Finding.of("exceeds_envelope", process="sla", size="200 × 100 × 20", envelope="175 × 145 × 145"),
        Finding.of("not_watertight", open_edges=4, nonmanifold_edges=0),
    ])
    milled = await panel(client, file_id, "process=cnc_milling&material=al_6061")
    assert FINDING.findall(milled) == ["thin_wall", "not_watertight"]
    assert "joined" not in milled and "2.7e-16" not in milled  # a note on our reading, not on the part
    assert "envelope" not in milled.split('id="q-process"')[0]  # no red line about another process
    processes = dict(options_of(milled, "q-process"))
    assert processes["sla"] is True and processes["cnc_milling"] is False  # SLA: disabled, with its reason
    assert "too large for this process" in milled.split('value="sla"', 1)[1].split("</option>", 1)[0]

    printed = await panel(client, file_id, "process=fdm")
    assert FINDING.findall(printed) == ["thin_wall", "not_watertight"]
    assert "1.2" in printed.split('data-code="thin_wall"', 1)[1].split("</li>", 1)[0]  # FDM's own minimum


async def test_option_lists_hold_what_the_chosen_process_offers(client, settings, tmp_path) -> None:
    file_id = await ready_file(client, settings, tmp_path)
    printed = await panel(client, file_id, "process=fdm")
    materials = options_of(printed, "q-material")
    assert {value for value, _ in materials} == {"pla", "petg", "abs", "tpu", "pa_cf"}
    assert not any(disabled for _, disabled in materials)
    tolerances = options_of(printed, "q-tolerance")
    assert tolerances and not any(disabled for _, disabled in tolerances)
    milled = await panel(client, file_id, "process=cnc_milling")
    assert "pla" not in {value for value, _ in options_of(milled, "q-material")}


@pytest.mark.parametrize("quantity", ["0", "-3", "1.5", "", "1000000000", "ten"])
async def test_a_quantity_that_is_not_one_gets_a_message_and_no_price(client, settings, tmp_path, quantity) -> None:
    file_id = await ready_file(client, settings, tmp_path)
    good = await panel(client, file_id, "process=cnc_milling&quantity=5")
    assert TOTAL.search(good)
    bad = await panel(client, file_id, f"process=cnc_milling&quantity={quantity}")
    assert TOTAL.search(bad) is None  # never the price of another quantity
    assert "Enter a whole number from 1 to 100,000." in bad
    assert 'aria-invalid="true"' in bad
    assert 'data-testid="add-to-cart"' not in bad and "Needs manual review" not in bad

    # without JavaScript: the form posts, and the page it is sent to says the same
    token = await csrf_token(client, f"/files/{file_id}")
    posted = await client.post(f"/files/{file_id}/quote", data={"_csrf_token": token, "process": "cnc_milling",
                                                                 "quantity": quantity}, follow_redirects=True)
    assert posted.status_code == 200
    assert TOTAL.search(posted.text) is None
    assert "Enter a whole number from 1 to 100,000." in posted.text


async def test_the_minimum_order_says_when_it_swallows_an_option(client, settings, tmp_path) -> None:
    file_id = await ready_file(client, settings, tmp_path, size=(12.0, 12.0, 12.0))  # read in mm
    small = await panel(client, file_id, "process=fdm&material=pla&quantity=1")
    assert 'data-testid="minimum-note"' in small
    large = await panel(client, file_id, "process=fdm&material=pla&quantity=500")
    assert 'data-testid="minimum-note"' not in large


async def review_requests(db, file_id: str) -> list[ReviewRequest]:
    async with db() as session:
        return list(await session.scalars(select(ReviewRequest).where(ReviewRequest.file_id == UUID(file_id))))


async def test_a_priced_part_can_be_sent_for_a_manual_quote_too(client, settings, db, tmp_path) -> None:
    await register(client)
    file_id = await ready_file(client, settings, tmp_path)
    page = (await client.get(f"/files/{file_id}?process=cnc_milling&quantity=4")).text
    assert TOTAL.search(page) and 'data-testid="manual-quote"' in page
    token = await csrf_token(client, f"/files/{file_id}")
    asked = await client.post(f"/files/{file_id}/review", data={
        "_csrf_token": token, "process": "cnc_milling", "quantity": "4", "message": "Thread M6 in the side hole"})
    assert asked.status_code == 200 and "Your request is sent" in asked.text
    [review] = await review_requests(db, file_id)
    assert review.message == "Thread M6 in the side hole" and review.options["quantity"] == "4"

    # the page then says it was asked — also the panel kept for these very options — and shows
    # the staff's answer once there is one
    for _ in range(2):
        page = (await client.get(f"/files/{file_id}?process=cnc_milling&quantity=4")).text
        assert "You asked for a manual quote on" in page and TOTAL.search(page)
    async with AsyncTestClient(app=create_app(settings)) as staff:
        await staff_login(staff, db)
        answered = await staff.post(f"/admin/reviews/{review.id}", data={
            "_csrf_token": await csrf_token(staff, "/admin/reviews"), "price": "4321", "answer": "M6 tapped: 4321"})
        assert answered.status_code in (200, 303)
    for _ in range(50):  # what a kept panel's key is made of is read at most once a second
        page = (await client.get(f"/files/{file_id}?process=cnc_milling&quantity=4")).text
        if "M6 tapped: 4321" in page:
            break
        await asyncio.sleep(0.1)
    assert 'data-testid="review-price"' in page and "M6 tapped: 4321" in page


async def test_a_visitors_request_waits_for_the_sign_in_and_is_sent_after_it(client, settings, db, tmp_path) -> None:
    file_id = await ready_file(client, settings, tmp_path)  # an anonymous visitor's upload
    token = await csrf_token(client, f"/files/{file_id}")
    asked = await client.post(f"/files/{file_id}/review", data={
        "_csrf_token": token, "process": "cnc_milling", "message": "Anodise it red, please"}, follow_redirects=False)
    assert asked.status_code == 303 and asked.headers["location"].startswith("/login?next=")
    assert await review_requests(db, file_id) == []
    landed = await register(client)  # registering is signing in too
    assert landed.status_code in (200, 303)
    [review] = await review_requests(db, file_id)
    assert review.message == "Anodise it red, please" and review.requested_by_id is not None
    page = await client.get("/account")
    assert "Your request for a manual quote is sent" in page.text
    again = await client.post("/logout", data={"_csrf_token": await csrf_token(client, "/account")})
    assert again.status_code in (200, 303)
    assert len(await review_requests(db, file_id)) == 1  # sent once


async def test_a_manual_quote_message_with_control_characters_is_refused(client, settings, db, tmp_path) -> None:
    await register(client)
    file_id = await ready_file(client, settings, tmp_path)
    token = await csrf_token(client, f"/files/{file_id}")
    asked = await client.post(f"/files/{file_id}/review", data={"_csrf_token": token, "message": "M6\x00 thread"})
    assert asked.status_code == 200 and "This field holds control characters" in asked.text
    assert await review_requests(db, file_id) == []
