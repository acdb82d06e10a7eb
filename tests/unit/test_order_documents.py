"""Document checks by content: the name's extension must agree with what the bytes are."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from PIL import Image

from portal.core.documents import (
    MAX_ZIP_MEMBERS,
    DocumentRefused,
    check_document,
    clean_name,
)
from portal.orders.thumbnails import make_thumbnail
from tests.document_samples import DWG, DXF_ASCII, STEP, iges, image


def write(tmp_path: Path, content: bytes, name: str = "file") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def pptx(members: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("ppt/presentation.xml", "<p:presentation/>")
        for name, data in (members or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def refused(tmp_path: Path, content: bytes, name: str) -> str:
    with pytest.raises(DocumentRefused) as caught:
        check_document(write(tmp_path, content), name)
    return caught.value.message


def test_a_real_pdf_passes_and_a_renamed_image_does_not(tmp_path) -> None:
    assert check_document(write(tmp_path, b"%PDF-1.7\n%%EOF"), "Чертёж.PDF").kind == "pdf"
    assert "not a PDF" in refused(tmp_path, b"\x89PNG\r\n\x1a\n....", "drawing.pdf")


def test_text_in_utf8_utf16_and_cp1251_passes_binary_does_not(tmp_path) -> None:
    for content in ("Допуск ±0,1".encode(), "Допуск".encode("utf-16"), "Допуск".encode("cp1251")):
        assert check_document(write(tmp_path, content), "notes.txt").kind == "txt"
    assert "not plain text" in refused(tmp_path, b"MZ\x90\x00\x03\x00\x00\x00", "notes.txt")


def test_a_pptx_is_a_zip_with_a_presentation_inside(tmp_path) -> None:
    assert check_document(write(tmp_path, pptx()), "slides.pptx").kind == "pptx"
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert "not one" in refused(tmp_path, plain_zip.getvalue(), "slides.pptx")
    assert "not one" in refused(tmp_path, b"PK\x03\x04 truncated", "slides.pptx")


def test_a_pptx_bomb_is_refused_from_the_directory_alone(tmp_path) -> None:
    bomb = pptx({"ppt/media/zeros.bin": b"\0" * (40 * 1024 * 1024)})
    assert len(bomb) < 100 * 1024
    assert "ZIP bomb" in refused(tmp_path, bomb, "slides.pptx")


def test_too_many_members_are_refused_before_the_directory_is_read(tmp_path) -> None:
    content = pptx()
    # Claim more members in the end record than the limit: refused without parsing them.
    at = content.rfind(b"PK\x05\x06")
    forged = content[: at + 8] + struct.pack("<HH", MAX_ZIP_MEMBERS + 1, MAX_ZIP_MEMBERS + 1) + content[at + 12 :]
    assert "more than" in refused(tmp_path, forged, "slides.pptx")


def test_other_kinds_and_empty_files_are_refused(tmp_path) -> None:
    assert "cannot be attached" in refused(tmp_path, b"%PDF-1.4", "setup.exe")
    assert "empty" in refused(tmp_path, b"", "a.pdf")


@pytest.mark.parametrize(
    "raw,shown",
    [("../../etc/passwd.txt", "passwd.txt"), ("C:\\Users\\a\\b.pdf", "b.pdf"), (".hidden.pdf", "hidden.pdf"),
     ("bad\x00name\u202e.pdf", "badname.pdf"), ("x" * 300 + ".pdf", "x" * 196 + ".pdf")],
)
def test_names_are_cleaned(raw, shown) -> None:
    assert clean_name(raw) == shown


def test_drawings_and_models_are_told_by_their_first_bytes(tmp_path) -> None:
    assert check_document(write(tmp_path, DXF_ASCII.replace(b"\n", b"\r\n")), "a.DXF").kind == "dxf"
    assert check_document(write(tmp_path, DWG), "a.dwg").kind == "dwg"
    assert check_document(write(tmp_path, b"\xef\xbb\xbf" + STEP), "a.stp").kind == "step"
    assert check_document(write(tmp_path, iges().replace(b"\n", b"\r\n")), "a.igs").kind == "iges"
    assert "not one" in refused(tmp_path, b"  0\nSECTIONS\n", "a.dxf")
    assert "not one" in refused(tmp_path, b"AC1O32" + bytes(20), "a.dwg")
    assert "not one" in refused(tmp_path, iges().replace(b"G      1", b"D      1"), "a.igs")


def test_an_image_claiming_too_many_pixels_is_refused_from_its_header(tmp_path) -> None:
    png = bytearray(image("PNG", (4, 4)))
    png[16:24] = struct.pack(">II", 20_000, 20_000)  # IHDR width, height
    png[29:33] = struct.pack(">I", zlib.crc32(bytes(png[12:29])))
    assert "megapixels" in refused(tmp_path, bytes(png), "photo.png")


def test_a_photo_thumbnail_is_small_upright_and_a_broken_one_is_none(tmp_path) -> None:
    thumbnail = make_thumbnail(write(tmp_path, image("JPEG", (3000, 1000)), "a.jpg"))
    with Image.open(io.BytesIO(thumbnail)) as shown:
        assert shown.size == (160, 53)
    assert make_thumbnail(write(tmp_path, b"\xff\xd8\xff" + bytes(100), "b.jpg")) is None
