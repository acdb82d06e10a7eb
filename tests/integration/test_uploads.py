"""Upload → analysis on a real worker → ready → the quote fragment, in both runtime modes."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import create_async_engine

from geometry.analyze import analyze_file
from geometry.pricing import QuoteOptions, default_rate_card, quote
from portal.app import create_app
from portal.db.models import ModelFile
from tests.integration.conftest import COMPANY, csrf_token, register
from tests.integration.uploads import TOTAL, box_stl, run_worker, status_of, upload, upload_id, wait_final

pytestmark = pytest.mark.slow

OPTIONS = {"process": "cnc_milling", "material": "al_6061", "finish": "", "tolerance": "iso2768_m",
           "quantity": "7", "lead_time": "standard"}


def expected_total(path, quantity: int = 7) -> Decimal:
    """The price the library gives for the same part, options and (default) rate card."""
    analysis = analyze_file(path)
    priced = quote(analysis, default_rate_card(), QuoteOptions("cnc_milling", "al_6061", quantity=quantity,
                                                               tolerance="iso2768_m", lead_time="standard"))
    return priced.total


async def quoted_total(client, file_id: str) -> Decimal:
    fragment = await client.get(f"/files/{file_id}/quote", params=OPTIONS, headers={"HX-Request": "true"})
    assert fragment.status_code == 200, fragment.text
    assert "<html" not in fragment.text
    match = TOTAL.search(fragment.text)
    assert match, fragment.text
    return Decimal(match.group(1))


async def test_upload_is_analysed_by_the_worker_and_priced(client, settings, tmp_path) -> None:
    part = box_stl(tmp_path / "block.stl")
    file_id = await upload_id(client, "block.stl", part.read_bytes())
    status, _ = await status_of(client, file_id)
    assert status == "pending"

    await run_worker(settings)

    status, page = await status_of(client, file_id)
    assert status == "ready", page
    assert "hx-trigger" not in page.split('id="analysis"')[1].split(">")[0]  # the final state stops the polling
    assert await quoted_total(client, file_id) == expected_total(part)
    for path, kind in (("thumbnail.png", "image/png"), ("model.glb", "model/gltf-binary"),
                       ("thickness.glb", "model/gltf-binary")):
        preview = await client.get(f"/files/{file_id}/{path}")
        assert preview.status_code == 200 and preview.headers["content-type"].startswith(kind)
    thickness = await client.get(f"/files/{file_id}?view=thickness")
    assert 'data-testid="thickness-legend"' in thickness.text and f"/files/{file_id}/thickness.glb" in thickness.text


def fail_after(seconds: float, database_url: str, file_id: str) -> None:
    """In another thread (the test client holds this one's loop while a request runs): the file
    fails after `seconds`, as a worker would mark it."""

    async def later() -> None:
        await asyncio.sleep(seconds)
        engine = create_async_engine(database_url)
        async with engine.begin() as connection:
            await connection.execute(update(ModelFile).where(ModelFile.id == UUID(file_id))
                                     .values(status="failed", failure_code="empty_model"))
        await engine.dispose()

    asyncio.run(later())


async def test_a_status_poll_answers_with_news_as_soon_as_there_is_some(client, database_url, tmp_path) -> None:
    file_id = await upload_id(client, "block.stl", box_stl(tmp_path / "block.stl").read_bytes())
    assert (await status_of(client, file_id))[0] == "pending"  # nothing happens: still pending
    # the poll began before the change and answers with it, not with the state it began in
    _, (status, page) = await asyncio.gather(asyncio.to_thread(fail_after, 0.3, database_url, file_id),
                                             status_of(client, file_id))
    assert status == "failed" and "hx-trigger" not in page


async def test_the_3d_view_stops_waiting_for_pictures_that_could_not_be_drawn(client, db, tmp_path) -> None:
    file_id = await upload_id(client, "block.stl", box_stl(tmp_path / "block.stl").read_bytes())

    async def ready_without_pictures(analysed_minutes_ago: int) -> str:
        async with db() as session:
            await session.execute(update(ModelFile).where(ModelFile.id == UUID(file_id)).values(
                status="ready", metrics={}, findings=[], glb_key=None,
                analysed_at=datetime.now(UTC) - timedelta(minutes=analysed_minutes_ago)))
            await session.commit()
        return (await client.get(f"/files/{file_id}/viewer", headers={"HX-Request": "true"})).text

    drawing = await ready_without_pictures(1)
    assert "hx-trigger" in drawing and "no-3d-view" not in drawing  # still being drawn: keep asking
    given_up = await ready_without_pictures(30)
    assert "hx-trigger" not in given_up and 'data-testid="no-3d-view"' in given_up


@pytest.mark.parametrize("mode", ["embedded"], indirect=True)
async def test_upload_is_analysed_in_process_on_the_embedded_default(client, tmp_path) -> None:
    part = box_stl(tmp_path / "block.stl")
    file_id = await upload_id(client, "block.stl", part.read_bytes())
    status, page = await wait_final(client, file_id)
    assert status == "ready", page
    assert await quoted_total(client, file_id) == expected_total(part)


async def test_the_same_bytes_reuse_the_analysis(client, other_client, settings, tmp_path) -> None:
    content = box_stl(tmp_path / "block.stl").read_bytes()
    await register(client)
    first = await upload_id(client, "block.stl", content)
    await run_worker(settings)
    assert (await status_of(client, first))[0] == "ready"
    # Another account's upload of the same bytes goes the way of any upload: pending until the
    # job has run (it takes the analysis found by the hash), so the answer tells nothing.
    await register(other_client, COMPANY)
    answer = await upload(other_client, "copy of block.stl", content)
    assert answer.status_code == 201 and answer.json()["files"][0]["status"] == "pending"
    second = answer.json()["files"][0]["id"]
    assert (await status_of(other_client, second))[0] == "pending"
    await run_worker(settings)
    status, _ = await status_of(other_client, second)
    assert status == "ready" and second != first
    assert await quoted_total(other_client, second) == expected_total(tmp_path / "block.stl")


async def test_a_plain_form_upload_redirects_to_the_file_page(client, tmp_path) -> None:
    content = box_stl(tmp_path / "block.stl").read_bytes()
    response = await upload(client, "block.stl", content, scripted=False)
    assert response.status_code == 303
    page = await client.get(response.headers["location"])
    assert page.status_code == 200 and "block.stl" in page.text


async def test_an_oversized_upload_is_refused_before_it_is_read(client) -> None:
    token = await csrf_token(client, "/")
    response = await client.post(
        "/files",
        content=b"x" * 10,
        headers={
            "x-csrftoken": token,
            "content-type": "multipart/form-data; boundary=abc",
            "content-length": str(3 * 1024**3),
        },
    )
    assert response.status_code == 413


async def test_a_file_over_the_limit_is_refused_with_its_name(settings) -> None:
    small = replace(settings, uploads=replace(settings.uploads, max_file_bytes=1000))
    async with AsyncTestClient(app=create_app(small)) as client:
        response = await upload(client, "big.stl", b"solid x\n" + b" " * 5000)
        assert response.status_code == 413
        assert "big.stl" in response.json()["error"]
        plain = await upload(client, "big.stl", b"solid x\n" + b" " * 5000, scripted=False)
        assert plain.status_code == 413 and "big.stl" in plain.text
        assert not list((settings.storage.root / "tmp").iterdir())  # no temporary file left behind
