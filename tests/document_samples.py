"""Small files of every attachable kind, real and forged, built in memory for the document tests."""

from __future__ import annotations

import io
import zipfile

from PIL import Image

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
DXF_ASCII = b"999\nmade by hand\n  0\nSECTION\n  2\nHEADER\n  0\nENDSEC\n  0\nEOF\n"
DXF_BINARY = b"AutoCAD Binary DXF\r\n\x1a\x00" + b"\x00\x00SECTION\x00"
DWG = b"AC1032\x00\x00\x00\x00\x00\x03" + bytes(64)
STEP = b"ISO-10303-21;\nHEADER;\nFILE_NAME('part.step','2026-01-01',(''),(''),'','','');\nENDSEC;\nEND-ISO-10303-21;\n"


def iges() -> bytes:
    def record(text: str, section: str, number: int) -> str:
        return f"{text:<72}{section}{number:>7}\n"

    return "".join([
        record("A plate with a hole", "S", 1),
        record("1H,,1H;,4HPART,8Hpart.igs,4Htest,4Htest,32,38,6,308,15,4HPART,1.,2,", "G", 1),
        record("2HMM,1,0.01,15H20260101.120000,0.001,100.,4Htest,4Htest,11,0;", "G", 2),
        record("S      1G      2D      0P      0", "T", 1),
    ]).encode()


def image(kind: str, size: tuple[int, int] = (640, 480)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 60, 30)).save(buffer, kind)
    return buffer.getvalue()


def archive(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as packed:
        for name, data in members.items():
            packed.writestr(name, data)
    return buffer.getvalue()


def pptx() -> bytes:
    return archive({"[Content_Types].xml": b"<Types/>", "ppt/presentation.xml": b"<p:presentation/>"})


def zip_bomb(first: str = "readme.txt") -> bytes:
    """A ZIP whose one big member inflates to 300 MB of zeros (about 300 KB packed)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as packed:
        packed.writestr(first, b"hello")
        with packed.open("zeros.bin", "w", force_zip64=True) as member:
            block = b"\0" * (1024 * 1024)
            for _ in range(300):
                member.write(block)
    return buffer.getvalue()


GOOD = {
    "drawing.dxf": DXF_ASCII,
    "binary.dxf": DXF_BINARY,
    "drawing.dwg": DWG,
    "part.step": STEP,
    "part.stp": STEP,
    "part.igs": iges(),
    "part.iges": iges(),
    "photo.png": image("PNG"),
    "photo.jpg": image("JPEG"),
    "photo.jpeg": image("JPEG"),
    "all.zip": archive({"drawings/part.dxf": DXF_ASCII, "photo.jpg": image("JPEG"), "slides.pptx": pptx()}),
}

FORGED = {  # name, content, what the person is told
    "drawing.dxf": (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "is named as a DXF drawing, but it is not one"),
    "drawing.dwg": (PDF, "is named as a DWG drawing, but it is not one"),
    "old.dwg": (b"AC2.10" + bytes(64), "is named as a DWG drawing, but it is not one"),
    "part.step": (b"solid cube\nendsolid cube\n", "is named as a STEP model, but it is not one"),
    "part.igs": (b"S" * 200, "is named as an IGES model, but it is not one"),
    "photo.png": (image("JPEG"), "is named as a PNG image, but it is not one"),
    "photo.jpg": (b"\xff\xd8\xff" + b"\0" * 40, "is named as a JPEG image, but it is not one"),
    "all.zip": (PDF, "is named as a ZIP archive, but it is not one"),
    "bomb.zip": (zip_bomb(), "ZIP bomb"),
    "nested.zip": (archive({"inner.zip": archive({"a.txt": b"a"})}), "holds another archive (inner.zip)"),
    "hidden.zip": (archive({"inner.bin": archive({"a.txt": b"a"})}), "holds another archive (inner.bin)"),
    "gzip.zip": (archive({"data.bin": b"\x1f\x8b\x08\x00" + bytes(40)}), "holds another archive (data.bin)"),
    "escape.zip": (archive({"../../etc/cron.d/x": b"a"}), "unsafe name"),
}
