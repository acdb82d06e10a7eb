"""Every route that takes a file id answers 404 to anyone but the owner, staff, or for a demo
file everyone: checked over the app's route table, so a new route is covered by itself."""

from __future__ import annotations

import re
from uuid import uuid4

import pytest
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from portal.app import create_app
from tests.integration.conftest import COMPANY, PERSON, csrf_token, register
from tests.integration.uploads import box_stl, run_worker, upload_id

SAFE = {"GET", "HEAD", "OPTIONS"}
OTHER_ID = re.compile(r"\{(?!file_id:)\w+:uuid\}")  # another object under the file (a review's attachment): one that is not there


def file_routes(app) -> list[tuple[str, str]]:
    routes = []
    for route in app.routes:
        if isinstance(route, HTTPRoute) and "{file_id:uuid}" in route.path:
            for method in sorted(route.methods):
                if method not in ("HEAD", "OPTIONS"):
                    routes.append((method, route.path))
    return routes


async def answers(client: AsyncTestClient, file_id: str, routes) -> dict[tuple[str, str], int]:
    token = await csrf_token(client, "/")
    codes = {}
    for method, path in routes:
        url = OTHER_ID.sub(str(uuid4()), path.replace("{file_id:uuid}", file_id))
        if method in SAFE:
            response = await client.request(method, url, follow_redirects=False)
        else:
            response = await client.request(
                method, url, data={"_csrf_token": token, "name": "stolen", "quantity": "3"},
                follow_redirects=False,
            )
        codes[(method, path)] = response.status_code
    return codes


@pytest.mark.slow
async def test_only_the_owner_reaches_a_file(client, other_client, settings, tmp_path, app) -> None:
    routes = file_routes(app)
    assert len(routes) >= 9, routes  # page, status, quote, previews, original, rename, delete, review
    await register(client)
    file_id = await upload_id(client, "mine.stl", box_stl(tmp_path / "mine.stl").read_bytes())
    await run_worker(settings)

    await register(other_client, COMPANY)
    stranger = await answers(other_client, file_id, routes)
    assert set(stranger.values()) == {404}, stranger

    async with AsyncTestClient(app=create_app(settings)) as anonymous:
        nobody = await answers(anonymous, file_id, routes)
    assert set(nobody.values()) == {404}, nobody

    # a mesh has no machining-feature map (STEP only): its absence is a 404 for the owner too; a
    # route to another object under the file is checked with that object (test_review_attachments)
    owner = await answers(client, file_id, [
        r for r in routes
        if r[0] in SAFE and not r[1].endswith("/features.glb") and not OTHER_ID.search(r[1])
    ])
    assert set(owner.values()) == {200}, owner
    assert (await client.get(f"/files/{file_id}")).status_code == 200  # nothing was deleted or renamed
    assert "mine.stl" in (await client.get(f"/files/{file_id}")).text


async def test_anonymous_uploads_belong_to_the_session_and_move_to_the_account(
    client, other_client, tmp_path
) -> None:
    file_id = await upload_id(client, "anon.stl", box_stl(tmp_path / "anon.stl").read_bytes())
    assert (await client.get(f"/files/{file_id}")).status_code == 200
    assert (await other_client.get(f"/files/{file_id}")).status_code == 404
    listed = await client.get("/files")
    assert "anon.stl" in listed.text

    await register(client)  # the visitor registers: the file is now the account's
    assert "anon.stl" in (await client.get("/files")).text
    assert (await client.get(f"/files/{file_id}")).status_code == 200


async def test_staff_see_everyones_files(client, other_client, settings, db, tmp_path) -> None:
    from sqlalchemy import update

    from portal.db.models import User

    await register(client)
    file_id = await upload_id(client, "customer.stl", box_stl(tmp_path / "c.stl").read_bytes())
    await register(other_client, {**PERSON, "email": "staff@example.com"})
    async with db() as session:
        await session.execute(update(User).where(User.email == "staff@example.com").values(is_staff=True))
        await session.commit()
    assert (await other_client.get(f"/files/{file_id}")).status_code == 200
    assert "customer.stl" in (await other_client.get("/files")).text
