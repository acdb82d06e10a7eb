"""A request for a manual quote carries a drawing or photo if the customer likes: checked by its
content as an order's documents are (the same kinds, the same 25 MB), shown to staff with the
request and downloaded from there. A file that is not what it says is refused next to the field,
with the comment kept, and nothing is sent."""

from __future__ import annotations

import re
from uuid import UUID

from litestar.testing import AsyncTestClient
from sqlalchemy import select

from portal.app import create_app
from portal.core.documents import MAX_DOCUMENT_BYTES
from portal.db.models import ReviewRequest
from tests.document_samples import DWG, PDF, image, zip_bomb
from tests.integration.conftest import PERSON, csrf_token, register
from tests.integration.orders import staff_login
from tests.integration.test_quotes import ready_file

ATTACHMENT = re.compile(r'<a href="([^"]+)"[^>]*data-testid="review-attachment">([^<]+)</a>')
OWN_ATTACHMENT = re.compile(r'<a href="([^"]+)"[^>]*data-testid="own-review-attachment">([^<]+)</a>')
ERROR = re.compile(r'data-testid="review-document-error">([^<]+)<')


async def ask(client, file_id: str, name: str | None, content: bytes = b"",
              message: str = "Thread M6, see the drawing"):
    token = await csrf_token(client, f"/files/{file_id}")
    files = {"document": (name, content, "application/octet-stream")} if name else None
    return await client.post(f"/files/{file_id}/review", files=files, follow_redirects=False, data={
        "_csrf_token": token, "process": "cnc_milling", "quantity": "3", "message": message})


async def requests_for(db, file_id: str) -> list[ReviewRequest]:
    async with db() as session:
        return list(await session.scalars(select(ReviewRequest).where(ReviewRequest.file_id == UUID(file_id))))


async def test_a_drawing_goes_with_the_request_and_staff_download_it(client, settings, db, tmp_path) -> None:
    await register(client)
    file_id = await ready_file(client, settings, tmp_path)
    page = await client.get(f"/files/{file_id}?process=cnc_milling")
    form = page.text.split('data-testid="review-form"', 1)[0].rsplit("<form", 1)[1]
    assert 'enctype="multipart/form-data"' in form
    assert 'name="document" type="file"' in page.text.split('data-testid="review-form"', 1)[1].split("</form>")[0]

    asked = await ask(client, file_id, "bracket.dwg", DWG)
    assert asked.status_code == 303
    [review] = await requests_for(db, file_id)
    assert (review.message, review.options["quantity"]) == ("Thread M6, see the drawing", "3")
    assert (review.attachment_name, review.attachment_type, review.attachment_size) == (
        "bracket.dwg", "image/vnd.dwg", len(DWG))
    assert "Your request is sent" in (await client.get(f"/files/{file_id}")).text

    own = await client.get(f"/admin/reviews/{review.id}/attachment")
    assert own.status_code in (403, 404)  # staff's page, not the customer's

    async with AsyncTestClient(app=create_app(settings)) as staff:
        await staff_login(staff, db)
        queue = await staff.get("/admin/reviews")
        [(link, name)] = ATTACHMENT.findall(queue.text)
        assert name == "bracket.dwg"
        download = await staff.get(link)
        assert download.status_code == 200 and download.content == DWG
        assert download.headers["content-disposition"].startswith('attachment; filename="bracket.dwg"')
        assert download.headers["x-content-type-options"] == "nosniff"


async def test_a_file_that_is_not_what_it_says_is_refused_next_to_the_field(client, settings, db, tmp_path) -> None:
    await register(client)
    file_id = await ready_file(client, settings, tmp_path)
    cases = [
        ("drawing.dwg", PDF, "drawing.dwg is named as a DWG drawing, but it is not one"),
        ("bomb.zip", zip_bomb(), "ZIP bomb"),
        ("setup.exe", b"MZ\x90\x00" + bytes(60), "setup.exe cannot be attached"),
        ("empty.pdf", b"", "empty.pdf is empty"),
        ("huge.pdf", b"%PDF-1.4\n" + bytes(MAX_DOCUMENT_BYTES), "huge.pdf is larger than 25 MB"),
    ]
    for name, content, message in cases:
        refused = await ask(client, file_id, name, content, message="Keep this comment")
        assert refused.status_code == 422, name
        error = ERROR.search(refused.text)
        assert error and message in error.group(1), (name, refused.text[-2000:])
        assert 'aria-invalid="true"' in refused.text
        assert ">Keep this comment</textarea>" in refused.text  # what was typed stays
        assert 'name="quantity" value="3"' in refused.text  # and the options asked about
    assert await requests_for(db, file_id) == []
    assert not list((settings.storage.root / "documents").glob("*"))  # nothing kept

    sent = await ask(client, file_id, None)  # without a file, as before
    assert sent.status_code == 303
    [review] = await requests_for(db, file_id)
    assert review.attachment_key is None


async def test_a_visitors_photo_waits_with_the_request_for_the_sign_in(client, settings, db, tmp_path) -> None:
    file_id = await ready_file(client, settings, tmp_path)  # an anonymous visitor's upload
    photo = image("PNG")
    asked = await ask(client, file_id, "side.png", photo)
    assert asked.status_code == 303 and asked.headers["location"].startswith("/login?next=")
    assert await requests_for(db, file_id) == []
    await register(client)  # registering signs in: the request goes now, with its photo
    [review] = await requests_for(db, file_id)
    assert (review.attachment_name, review.attachment_type) == ("side.png", "image/png")
    async with AsyncTestClient(app=create_app(settings)) as staff:
        await staff_login(staff, db)
        [(link, _)] = ATTACHMENT.findall((await staff.get("/admin/reviews")).text)
        assert (await staff.get(link)).content == photo


async def test_the_customer_downloads_their_own_drawing_from_the_file_page_and_nobody_else_can(
    client, other_client, settings, db, tmp_path
) -> None:
    await register(client)
    file_id = await ready_file(client, settings, tmp_path, size=(2000.0, 1500.0, 900.0))  # priced by staff only
    assert (await ask(client, file_id, "bracket.dwg", DWG)).status_code == 303
    [review] = await requests_for(db, file_id)

    page = await client.get(f"/files/{file_id}")
    [(link, name)] = OWN_ATTACHMENT.findall(page.text)
    assert name == "bracket.dwg" and "You asked for a manual quote" in page.text
    download = await client.get(link)
    assert download.status_code == 200 and download.content == DWG
    assert download.headers["content-disposition"].startswith('attachment; filename="bracket.dwg"')
    assert download.headers["x-content-type-options"] == "nosniff"

    await register(other_client, {**PERSON, "email": "someone@example.com"})  # another customer
    assert link == f"/files/{file_id}/reviews/{review.id}/attachment"
    assert (await other_client.get(link)).status_code == 404

    async with AsyncTestClient(app=create_app(settings)) as staff:
        await staff_login(staff, db)
        staff_page = await staff.get(f"/files/{file_id}")
        assert not OWN_ATTACHMENT.findall(staff_page.text)  # staff get theirs, from the queue's page
        [(staff_link, _)] = ATTACHMENT.findall(staff_page.text)
        assert (await staff.get(staff_link)).content == DWG


async def test_a_request_on_a_demo_part_shows_to_its_asker_and_staff_only(
    client, other_client, settings, db, tmp_path
) -> None:
    """Demo parts are seen by everyone (and their panel is kept for everyone alike): one customer's
    request, message and drawing must not show on another customer's page of it."""
    from sqlalchemy import update

    from portal.db.models import ModelFile

    await register(client)
    file_id = await ready_file(client, settings, tmp_path, size=(2000.0, 1500.0, 900.0))  # priced by staff only
    assert (await ask(client, file_id, "bracket.dwg", DWG, message="Our secret flange")).status_code == 303
    async with db() as session, session.begin():
        await session.execute(update(ModelFile).where(ModelFile.id == UUID(file_id)).values(is_demo=True))

    assert len(await requests_for(db, file_id)) == 1
    await register(other_client, {**PERSON, "email": "someone@example.com"})
    for path in (f"/files/{file_id}", f"/files/{file_id}?process=cnc_milling&quantity=2"):
        page = await other_client.get(path)
        assert page.status_code == 200
        assert "You asked for a manual quote" not in page.text
        assert "secret flange" not in page.text and "bracket.dwg" not in page.text
