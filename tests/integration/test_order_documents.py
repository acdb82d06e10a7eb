"""Documents on orders: judged by content, stored once, downloaded by the owner and staff only."""

from __future__ import annotations

import io
import zipfile

from PIL import Image
from sqlalchemy import select

from portal.core.documents import CONTENT_TYPES, kind_by_name
from portal.db.models import Document
from tests.document_samples import FORGED, GOOD, image
from tests.integration.conftest import COMPANY, csrf_token, register
from tests.integration.orders import OTHER, place_order, staff_login

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pptx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("ppt/presentation.xml", "<p:presentation/>")
    return buffer.getvalue()


def zip_bomb() -> bytes:
    """A PPTX-shaped ZIP whose one member inflates to 300 MB of zeros (about 300 KB packed)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("ppt/presentation.xml", "<p:presentation/>")
        with archive.open("ppt/media/zeros.bin", "w", force_zip64=True) as member:
            block = b"\0" * (1024 * 1024)
            for _ in range(300):
                member.write(block)
    return buffer.getvalue()


async def upload(client, order, name: str, content: bytes, kind: str = "drawing", staff: bool = False):
    page = f"/admin/orders/{order.id}" if staff else f"/orders/{order.id}"
    token = await csrf_token(client, page)
    return await client.post(
        f"{page}/documents" if not staff else f"/admin/orders/{order.id}/documents",
        data={"_csrf_token": token, "kind": kind},
        files={"document": (name, content, "application/octet-stream")},
        follow_redirects=False,
    )


async def documents(db) -> list[Document]:
    async with db() as session:
        return list((await session.scalars(select(Document))).all())


async def test_a_pdf_drawing_is_attached_and_downloaded_by_owner_and_staff_only(client, other_client, db) -> None:
    await register(client, COMPANY)
    order = await place_order(db)
    response = await upload(client, order, "чертёж.pdf", PDF)
    assert response.status_code == 303
    [document] = await documents(db)
    assert document.content_type == "application/pdf" and document.size_bytes == len(PDF)
    page = await client.get(f"/orders/{order.id}")
    assert "чертёж.pdf" in page.text and "Document attached" in page.text

    download = await client.get(f"/documents/{document.id}")
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["x-content-type-options"] == "nosniff"
    disposition = download.headers["content-disposition"]
    assert disposition.startswith("attachment") and "filename*=utf-8''" in disposition.lower()

    await register(other_client, OTHER)
    assert (await other_client.get(f"/documents/{document.id}")).status_code == 404
    await staff_login(other_client, db)
    assert (await other_client.get(f"/documents/{document.id}")).content == PDF


async def test_documents_are_judged_by_content(client, db) -> None:
    await register(client, COMPANY)
    order = await place_order(db)
    cases = [
        ("drawing.pdf", b"GIF89a not a pdf at all", "is named as a PDF, but it is not a PDF file"),
        ("notes.txt", b"\x00\x01\x02binary\xff\xfe", "is not plain text"),
        ("slides.pptx", PDF, "is named as a PPTX presentation, but it is not one"),
        ("slides.pptx", zip_bomb(), "ZIP bomb"),
        ("virus.exe", PDF, "cannot be attached"),
        ("empty.pdf", b"", "is empty"),
    ]
    for name, content, message in cases:
        response = await upload(client, order, name, content)
        assert response.status_code == 422, name
        assert message in response.text, (name, response.text[-2000:])
        assert 'data-testid="document-error"' in response.text
    assert await documents(db) == []
    storage = client.app.state.storage.root / "documents"
    assert not storage.exists() or not any(path.is_file() for path in storage.rglob("*"))
    assert not any(client.app.state.storage.temp_dir().glob("document-*"))  # no temporary file left behind

    good = [("notes.txt", "Допуск ±0,1 мм\n".encode()), ("slides.pptx", pptx_bytes()),
            ("cp1251.txt", "Чертёж".encode("cp1251"))]
    for name, content in good:
        assert (await upload(client, order, name, content)).status_code == 303, name
    assert len(await documents(db)) == 3

    served = {document.name: await client.get(f"/documents/{document.id}") for document in await documents(db)}
    assert served["notes.txt"].headers["content-type"] == "text/plain; charset=utf-8"
    assert served["cp1251.txt"].headers["content-type"] == "text/plain; charset=windows-1251"
    assert served["cp1251.txt"].text == "Чертёж"


async def test_a_missing_file_gets_a_message(client, db) -> None:
    await register(client, COMPANY)
    order = await place_order(db)
    token = await csrf_token(client, f"/orders/{order.id}")
    response = await client.post(f"/orders/{order.id}/documents", data={"_csrf_token": token},
                                 files={"other": ("x.txt", b"x")}, follow_redirects=False)
    assert response.status_code == 422 and "Choose a file to attach" in response.text


async def test_a_document_over_25_mb_is_refused_with_413_before_it_is_read(client, db) -> None:
    await register(client, COMPANY)
    order = await place_order(db)
    token = await csrf_token(client, f"/orders/{order.id}")
    response = await client.post(
        f"/orders/{order.id}/documents",
        files={"document": ("big.pdf", b"%PDF-" + b"0" * (26 * 1024 * 1024), "application/pdf")},
        headers={"x-csrftoken": token},
        follow_redirects=False,
    )
    assert response.status_code == 413
    assert await documents(db) == []


async def test_staff_upload_an_invoice_the_customer_downloads(client, other_client, db) -> None:
    await register(other_client, COMPANY)
    order = await place_order(db)
    await staff_login(client, db)
    response = await upload(client, order, "invoice-17.pdf", PDF, kind="invoice", staff=True)
    assert response.status_code == 303
    [document] = await documents(db)
    assert document.kind == "invoice"
    page = await other_client.get(f"/orders/{order.id}")
    assert "invoice-17.pdf" in page.text and "Invoice" in page.text
    assert (await other_client.get(f"/documents/{document.id}")).status_code == 200


async def test_every_kind_is_attached_when_real_and_refused_when_forged(client, db) -> None:
    await register(client, COMPANY)
    order = await place_order(db)
    for name, (content, message) in FORGED.items():
        response = await upload(client, order, name, content)
        assert response.status_code == 422, name
        assert message in response.text, (name, response.text[-2000:])
        assert 'data-testid="document-error"' in response.text
    assert await documents(db) == []
    assert not any(client.app.state.storage.temp_dir().glob("document-*"))

    for name, content in GOOD.items():
        assert (await upload(client, order, name, content)).status_code == 303, name
    stored = {document.name: document.content_type for document in await documents(db)}
    assert stored == {name: CONTENT_TYPES[kind_by_name(name)] for name in GOOD}


async def test_photos_get_a_small_thumbnail_only_their_viewers_see(client, other_client, db) -> None:
    await register(client, COMPANY)
    order = await place_order(db)
    for name, content in (("photo.jpg", image("JPEG", (2400, 1200))), ("drawing.pdf", PDF)):
        assert (await upload(client, order, name, content)).status_code == 303
    by_name = {document.name: document for document in await documents(db)}
    page = await client.get(f"/orders/{order.id}")
    assert page.text.count('data-testid="document-thumbnail"') == 1

    thumbnail = await client.get(f"/documents/{by_name['photo.jpg'].id}/thumbnail.png")
    assert thumbnail.status_code == 200 and thumbnail.headers["content-type"] == "image/png"
    assert thumbnail.headers["x-content-type-options"] == "nosniff"
    with Image.open(io.BytesIO(thumbnail.content)) as shown:
        assert shown.format == "PNG" and shown.size == (160, 80)
    assert (await client.get(f"/documents/{by_name['photo.jpg'].id}/thumbnail.png")).content == thumbnail.content
    assert (await client.get(f"/documents/{by_name['drawing.pdf'].id}/thumbnail.png")).status_code == 404

    await register(other_client, OTHER)
    assert (await other_client.get(f"/documents/{by_name['photo.jpg'].id}/thumbnail.png")).status_code == 404


async def test_the_upload_form_names_every_kind(client, db) -> None:
    await register(client, COMPANY)
    order = await place_order(db)
    page = (await client.get(f"/orders/{order.id}")).text
    assert "File (PDF, TXT, PPTX, DXF, DWG, STEP, IGES, PNG, JPEG, ZIP; up to 25 MB each)" in page
    assert 'accept=".pdf,.txt,.pptx,.dxf,.dwg,.step,.stp,.iges,.igs,.png,.jpg,.jpeg,.zip"' in page
