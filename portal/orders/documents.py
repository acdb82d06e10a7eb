"""What an attached document is, judged by its content: PDF, plain text or PPTX, 25 MB at most.

    checked = check_document(path, "drawing.pdf")    # raises DocumentRefused with a message

The name's extension must agree with the content: a `.pdf` that is not a PDF is refused, and so
is anything that is none of the three. A PPTX is a ZIP: its member count, total unpacked size
and packing ratio are read from the archive's directory and checked before anything is
inflated (nothing here ever inflates a member).
"""

from __future__ import annotations

import codecs
import struct
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from portal.core.i18n import N_

MAX_DOCUMENT_BYTES = 25 * 1024 * 1024
MAX_ZIP_MEMBERS = 5_000
MAX_ZIP_UNPACKED = 256 * 1024 * 1024
MAX_ZIP_RATIO = 100  # unpacked size / file size; office files are a few times, bombs thousands
MAX_ZIP_DIRECTORY = 8 * 1024 * 1024  # the central directory zipfile would read into memory
TEXT_CHUNK = 256 * 1024

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "txt": "text/plain",  # with the charset the text was found in
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
EXTENSIONS = {"pdf": ".pdf", "txt": ".txt", "pptx": ".pptx"}
ALLOWED = N_("Attach a PDF, TXT or PPTX file.")

EOCD = b"PK\x05\x06"
EOCD64_LOCATOR = b"PK\x06\x07"
EOCD64 = b"PK\x06\x06"


class DocumentRefused(Exception):
    """A message (marked with N_) for the person, with its placeholders' values."""

    def __init__(self, message: str, **args: object) -> None:
        super().__init__(message)
        self.message = message
        self.args_ = args


@dataclass(frozen=True)
class CheckedDocument:
    kind: str  # pdf, txt, pptx
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
    return next((kind for kind, extension in EXTENSIONS.items() if lowered.endswith(extension)), None)


def check_document(path: Path, name: str) -> CheckedDocument:
    """Raise DocumentRefused unless the file is what its name says and one of the three kinds."""
    shown = clean_name(name)
    if not shown:
        raise DocumentRefused(N_("The file has no name: please rename it and attach it again."))
    claimed = kind_by_name(shown)
    if claimed is None:
        raise DocumentRefused(N_("%(name)s cannot be attached. Attach a PDF, TXT or PPTX file."), name=shown)
    size = path.stat().st_size
    if size == 0:
        raise DocumentRefused(N_("%(name)s is empty."), name=shown)
    if size > MAX_DOCUMENT_BYTES:
        raise DocumentRefused(
            N_("%(name)s is larger than %(limit)s MB."), name=shown, limit=MAX_DOCUMENT_BYTES // 2**20
        )
    if claimed == "pdf":
        _check_pdf(path, shown)
    elif claimed == "pptx":
        _check_pptx(path, shown, size)
    else:
        charset = _check_text(path, shown)
        return CheckedDocument(claimed, f"{CONTENT_TYPES[claimed]}; charset={charset}", shown)
    return CheckedDocument(claimed, CONTENT_TYPES[claimed], shown)


def _check_pdf(path: Path, name: str) -> None:
    with path.open("rb") as handle:
        head = handle.read(1024)
    # Readers accept the header anywhere in the first kilobyte (PDF 1.7, annex H).
    if b"%PDF-" not in head:
        raise DocumentRefused(N_("%(name)s is named as a PDF, but it is not a PDF file."), name=name)


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
    with path.open("rb") as handle:
        if handle.read(4) != b"PK\x03\x04":
            raise not_pptx
        directory = _zip_directory(handle, size)
    if directory is None:
        raise not_pptx
    members, directory_size = directory
    if members > MAX_ZIP_MEMBERS or directory_size > MAX_ZIP_DIRECTORY:
        raise DocumentRefused(
            N_("%(name)s holds more than %(count)s files inside and is refused."), name=name, count=MAX_ZIP_MEMBERS
        )
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()  # the central directory only: nothing is inflated
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise not_pptx from None
    unpacked = sum(info.file_size for info in infos)
    if unpacked > MAX_ZIP_UNPACKED or unpacked > size * MAX_ZIP_RATIO:
        raise DocumentRefused(
            N_("%(name)s would unpack to far more than its size (a ZIP bomb?) and is refused."), name=name
        )
    names = {info.filename for info in infos}
    if "[Content_Types].xml" not in names or "ppt/presentation.xml" not in names:
        raise not_pptx


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
