"""What an attached document is, judged by its content, 25 MB at most: PDF, plain text, PPTX,
DXF, DWG, STEP, IGES, PNG, JPEG or ZIP.

    checked = check_document(path, "drawing.pdf")    # raises DocumentRefused with a message

The name's extension must agree with the content: a `.dwg` that is not a DWG is refused, and so
is anything that is none of these kinds. A PPTX is a ZIP: for it and for a ZIP, the member
count, total unpacked size, packing ratio and member names are read from the archive's
directory and checked before anything is inflated. A ZIP may not hold another archive: each
member's first bytes are read (a few bytes inflated at most) to tell.
"""

from __future__ import annotations

import codecs
import re
import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from portal.core.i18n import N_, gettext

MAX_DOCUMENT_BYTES = 25 * 1024 * 1024
MAX_ZIP_MEMBERS = 5_000
MAX_ZIP_UNPACKED = 256 * 1024 * 1024
MAX_ZIP_RATIO = 100  # unpacked size / file size; office files are a few times, bombs thousands
MAX_ZIP_DIRECTORY = 8 * 1024 * 1024  # the central directory zipfile would read into memory
TEXT_CHUNK = 256 * 1024

MAX_IMAGE_PIXELS = 64_000_000  # a photo from any camera; more is a decompression bomb
MAX_MEMBER_NAME = 400

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "txt": "text/plain",  # with the charset the text was found in
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "dxf": "image/vnd.dxf",
    "dwg": "image/vnd.dwg",
    "step": "model/step",
    "iges": "model/iges",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "zip": "application/zip",
}
EXTENSIONS = {
    "pdf": (".pdf",), "txt": (".txt",), "pptx": (".pptx",), "dxf": (".dxf",), "dwg": (".dwg",),
    "step": (".step", ".stp"), "iges": (".iges", ".igs"), "png": (".png",), "jpeg": (".jpg", ".jpeg"),
    "zip": (".zip",),
}
IMAGE_KINDS = ("png", "jpeg")
KIND_LIST = "PDF, TXT, PPTX, DXF, DWG, STEP, IGES, PNG, JPEG, ZIP"  # the same words in every language
ACCEPT = ",".join(extension for extensions in EXTENSIONS.values() for extension in extensions)

# Archives a ZIP may not hold, by their first bytes; office files are ZIPs too and may be inside.
ARCHIVE_MAGIC = (b"PK\x03\x04", b"Rar!", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00",
                 b"\x28\xb5\x2f\xfd", b"MSCF")
ARCHIVE_NAMES = (".zip", ".rar", ".7z", ".gz", ".tgz", ".tar", ".bz2", ".xz", ".zst", ".cab", ".arj",
                 ".lz", ".lzma", ".z", ".iso", ".jar")
OFFICE_NAMES = (".pptx", ".docx", ".xlsx", ".odt", ".ods", ".odp")

DXF_BINARY = b"AutoCAD Binary DXF\r\n\x1a\x00"
DWG_MAGIC = re.compile(rb"AC10[0-9]{2}")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"

EOCD = b"PK\x05\x06"
EOCD64_LOCATOR = b"PK\x06\x07"
EOCD64 = b"PK\x06\x06"


class DocumentRefused(Exception):
    """A message (marked with N_) for the person, with its placeholders' values."""

    def __init__(self, message: str, **args: object) -> None:
        super().__init__(message)
        self.message = message
        self.args_ = args


def refused_text(refused: DocumentRefused) -> str:
    """The refusal in the reader's language, with the file's name in it (escaped for the page's
    own translation step, which formats every message once more)."""
    if not refused.args_:
        return refused.message
    return (gettext(refused.message) % refused.args_).replace("%", "%%")


@dataclass(frozen=True)
class CheckedDocument:
    kind: str  # one of CONTENT_TYPES
    content_type: str
    name: str  # the file name as it will be shown and downloaded


def clean_name(name: str) -> str:
    """The base name without folders, control characters or a leading dot; at most 200 characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C")
    base = base.strip().lstrip(".").strip()
    if len(base) > 200:
        stem, dot, extension = base.rpartition(".")
        base = f"{stem[: 200 - len(extension) - 1]}.{extension}" if dot and len(extension) <= 10 else base[:200]
    return base


def kind_by_name(name: str) -> str | None:
    lowered = name.lower()
    return next((kind for kind, extensions in EXTENSIONS.items() if lowered.endswith(extensions)), None)


def check_document(path: Path, name: str) -> CheckedDocument:
    """Raise DocumentRefused unless the file is what its name says and one of the kinds."""
    shown = clean_name(name)
    if not shown:
        raise DocumentRefused(N_("The file has no name: please rename it and attach it again."))
    claimed = kind_by_name(shown)
    if claimed is None:
        raise DocumentRefused(N_("%(name)s cannot be attached. Attach one of: %(kinds)s."), name=shown, kinds=KIND_LIST)
    size = path.stat().st_size
    if size == 0:
        raise DocumentRefused(N_("%(name)s is empty."), name=shown)
    if size > MAX_DOCUMENT_BYTES:
        raise DocumentRefused(
            N_("%(name)s is larger than %(limit)s MB."), name=shown, limit=MAX_DOCUMENT_BYTES // 2**20
        )
    if claimed == "txt":
        charset = _check_text(path, shown)
        return CheckedDocument(claimed, f"{CONTENT_TYPES[claimed]}; charset={charset}", shown)
    if claimed == "pptx":
        _check_pptx(path, shown, size)
    elif claimed == "zip":
        _check_zip(path, shown, size)
    else:
        with path.open("rb") as handle:
            head = handle.read(HEAD)
        if not HEAD_CHECKS[claimed](head):
            raise DocumentRefused(NOT_WHAT_NAMED[claimed], name=shown)
        if claimed in IMAGE_KINDS:
            _check_image(path, shown, claimed)
    return CheckedDocument(claimed, CONTENT_TYPES[claimed], shown)


HEAD = 64 * 1024  # the first bytes every check but text and ZIP looks at


def _is_pdf(head: bytes) -> bool:
    return b"%PDF-" in head[:1024]  # readers accept the header anywhere in the first kilobyte (PDF 1.7, annex H)


def _is_dxf(head: bytes) -> bool:
    """Binary DXF by its sentinel; ASCII DXF starts with group code 0 and SECTION (after comments)."""
    if head.startswith(DXF_BINARY):
        return True
    lines = head.decode("latin-1").splitlines()
    pairs = [(code.strip(), value.strip()) for code, value in zip(lines[0::2], lines[1::2], strict=False)]
    for code, value in pairs:
        if code != "999":  # a comment group may come first
            return code == "0" and value == "SECTION"
    return False


def _is_dwg(head: bytes) -> bool:
    return DWG_MAGIC.fullmatch(head[:6]) is not None


def _is_step(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"ISO-10303-21")


def _is_iges(head: bytes) -> bool:
    """Fixed 80-column records, the section letter in column 73: Start lines, then Global ones."""
    records = [line for line in head.splitlines()[:-1] if line.strip()]  # the last one may be cut short
    if not records or any(len(line) < 80 for line in records):
        return False
    letters = bytes(line[72] for line in records)
    return letters.startswith(b"S") and letters.lstrip(b"S")[:1] == b"G"


def _is_png(head: bytes) -> bool:
    return head.startswith(PNG_MAGIC)


def _is_jpeg(head: bytes) -> bool:
    return head.startswith(JPEG_MAGIC)


HEAD_CHECKS = {"pdf": _is_pdf, "dxf": _is_dxf, "dwg": _is_dwg, "step": _is_step, "iges": _is_iges,
               "png": _is_png, "jpeg": _is_jpeg}
NOT_WHAT_NAMED = {
    "pdf": N_("%(name)s is named as a PDF, but it is not a PDF file."),
    "dxf": N_("%(name)s is named as a DXF drawing, but it is not one."),
    "dwg": N_("%(name)s is named as a DWG drawing, but it is not one."),
    "step": N_("%(name)s is named as a STEP model, but it is not one."),
    "iges": N_("%(name)s is named as an IGES model, but it is not one."),
    "png": N_("%(name)s is named as a PNG image, but it is not one."),
    "jpeg": N_("%(name)s is named as a JPEG image, but it is not one."),
}


def _check_image(path: Path, name: str, kind: str) -> None:
    """The header as Pillow reads it (no pixels are decoded): the right format, a sane size."""
    too_large = DocumentRefused(N_("%(name)s has more than %(limit)s megapixels and is refused."), name=name,
                                limit=MAX_IMAGE_PIXELS // 1_000_000)
    try:
        with Image.open(path) as image:
            fmt, (width, height) = image.format, image.size
    except Image.DecompressionBombError:  # Pillow's own, higher limit
        raise too_large from None
    except (OSError, ValueError, SyntaxError):
        raise DocumentRefused(NOT_WHAT_NAMED[kind], name=name) from None
    if fmt != kind.upper():
        raise DocumentRefused(NOT_WHAT_NAMED[kind], name=name)
    if width * height > MAX_IMAGE_PIXELS:
        raise too_large


CHARSETS = {"utf-16": "utf-16", "utf-8-sig": "utf-8", "cp1251": "windows-1251"}  # codec → its IANA name


def _check_text(path: Path, name: str) -> str:
    """UTF-8 (or UTF-16 with its mark, or Windows-1251), without control characters: the charset."""
    with path.open("rb") as handle:
        head = handle.read(4)
    utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    encodings = ["utf-16"] if utf16 else ["utf-8-sig", "cp1251"]
    for encoding in encodings:
        outcome = _scan_text(path, encoding)
        if outcome == "ok":
            return CHARSETS[encoding]
        if outcome == "control":
            break
    raise DocumentRefused(N_("%(name)s is named as a text file, but it is not plain text."), name=name)


def _scan_text(path: Path, encoding: str) -> str:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(TEXT_CHUNK):
                if _has_controls(decoder.decode(chunk)):
                    return "control"
            if _has_controls(decoder.decode(b"", final=True)):
                return "control"
    except UnicodeDecodeError:
        return "undecodable"
    return "ok"


_CONTROLS = {chr(code) for code in (*range(0, 9), *range(14, 32), 127)}


def _has_controls(text: str) -> bool:
    return not _CONTROLS.isdisjoint(text)


def _check_pptx(path: Path, name: str, size: int) -> None:
    not_pptx = DocumentRefused(N_("%(name)s is named as a PPTX presentation, but it is not one."), name=name)
    infos = _zip_members(path, name, size, not_pptx)
    names = {info.filename for info in infos}
    if "[Content_Types].xml" not in names or "ppt/presentation.xml" not in names:
        raise not_pptx


def _check_zip(path: Path, name: str, size: int) -> None:
    not_zip = DocumentRefused(N_("%(name)s is named as a ZIP archive, but it is not one."), name=name)
    infos = _zip_members(path, name, size, not_zip)
    if not infos:
        raise DocumentRefused(N_("%(name)s is an empty archive."), name=name)
    for info in infos:
        if not _safe_member_name(info.filename):
            raise DocumentRefused(N_("%(name)s holds a file with an unsafe name (%(member)s) and is refused."),
                                  name=name, member=clean_name(info.filename)[:80] or "?")
        if info.flag_bits & 0x1:
            raise DocumentRefused(N_("%(name)s is encrypted: attach it without a password."), name=name)
    try:
        with zipfile.ZipFile(path) as archive:
            nested = next((info.filename for info in infos if _is_archive(archive, info)), None)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, zlib.error):
        raise not_zip from None
    if nested is not None:
        raise DocumentRefused(N_("%(name)s holds another archive (%(member)s): attach its files instead."),
                              name=name, member=clean_name(nested)[:80])


def _safe_member_name(member: str) -> bool:
    parts = member.replace("\\", "/").split("/")
    return (
        0 < len(member) <= MAX_MEMBER_NAME
        and not member.startswith(("/", "\\"))
        and ":" not in parts[0]  # a drive letter
        and ".." not in parts
        and not any(unicodedata.category(ch)[0] == "C" for ch in member)
    )


def _is_archive(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """By the name, then by the first bytes (a few bytes inflated at most); an office file may
    be a ZIP."""
    lowered = info.filename.lower()
    if info.is_dir():
        return False
    if lowered.endswith(ARCHIVE_NAMES):
        return True
    with archive.open(info) as member:
        head = member.read(8)
    return head.startswith(ARCHIVE_MAGIC) and not (head.startswith(b"PK") and lowered.endswith(OFFICE_NAMES))


def _zip_members(path: Path, name: str, size: int, not_one: DocumentRefused) -> list[zipfile.ZipInfo]:
    """The archive's directory, once its size, member count and packing ratio are known to be sane."""
    with path.open("rb") as handle:
        if handle.read(4) != b"PK\x03\x04":
            raise not_one
        directory = _zip_directory(handle, size)
    if directory is None:
        raise not_one
    members, directory_size = directory
    if members > MAX_ZIP_MEMBERS or directory_size > MAX_ZIP_DIRECTORY:
        raise DocumentRefused(
            N_("%(name)s holds more than %(count)s files inside and is refused."), name=name, count=MAX_ZIP_MEMBERS
        )
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()  # the central directory only: nothing is inflated
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise not_one from None
    unpacked = sum(info.file_size for info in infos)
    if unpacked > MAX_ZIP_UNPACKED or unpacked > size * MAX_ZIP_RATIO:
        raise DocumentRefused(
            N_("%(name)s would unpack to far more than its size (a ZIP bomb?) and is refused."), name=name
        )
    return infos


def _zip_directory(handle, size: int) -> tuple[int, int] | None:
    """(member count, central directory size) from the end-of-central-directory record (ZIP64
    too), or None when there is no such record."""
    tail_size = min(size, 22 + 0xFFFF)
    handle.seek(size - tail_size)
    tail = handle.read(tail_size)
    at = tail.rfind(EOCD)
    if at < 0 or len(tail) - at < 22:
        return None
    count, directory_size = struct.unpack("<HI", tail[at + 10 : at + 16])
    if count != 0xFFFF and directory_size != 0xFFFFFFFF:
        return count, directory_size
    locator = tail.rfind(EOCD64_LOCATOR, 0, at)
    if locator < 0 or at - locator < 20:
        return None
    (offset,) = struct.unpack("<Q", tail[locator + 8 : locator + 16])
    if offset + 56 > size:
        return None
    handle.seek(offset)
    record = handle.read(56)
    if not record.startswith(EOCD64):
        return None
    count64, directory_size64 = struct.unpack("<QQ", record[32:48])
    return count64, directory_size64
