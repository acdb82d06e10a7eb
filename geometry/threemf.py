"""3MF reader. The ZIP is checked before anything is inflated.

Checks on the central directory: member count, total uncompressed size and compression ratio
(each member and overall). Inflating is then bounded again while reading, since sizes in the
directory can lie. DOCTYPE / entity declarations are refused (no entity expansion).
The model's ``unit`` attribute is honoured; everything is converted to millimetres. Build items
and components are resolved with their transforms.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
import zipfile

import numpy as np

from geometry.formats import MAX_FACETS
from geometry.model import GeometryError

MAX_MEMBERS = 1000
MAX_TOTAL_BYTES = 512_000_000  # a 3MF part of this size is ~5 M triangles of XML
MAX_RATIO = 200.0  # deflate cannot do better than ~1030:1; real 3MF XML is ~5-30:1
RATIO_FLOOR_BYTES = 1 << 20  # tiny members may compress far better without being bombs
MAX_DEPTH = 16

UNITS_MM = {
    "micron": 0.001,
    "millimeter": 1.0,
    "centimeter": 10.0,
    "inch": 25.4,
    "foot": 304.8,
    "meter": 1000.0,
}


def _bad(detail: str) -> GeometryError:
    return GeometryError("invalid_3mf", f"Not a valid 3MF file: {detail}.")


def check_archive(archive: zipfile.ZipFile) -> None:
    """Refuse zip bombs and archives with absurd member counts, before inflating anything."""
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise GeometryError(
            "zip_too_many_members",
            f"The 3MF archive has {len(members):,} members (the limit is {MAX_MEMBERS:,}): "
            "it is not a normal 3MF file.",
        )
    total = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members)
    if total > MAX_TOTAL_BYTES:
        raise GeometryError(
            "zip_too_large",
            f"The 3MF archive would unpack to {total / 1e6:,.0f} MB (the limit is "
            f"{MAX_TOTAL_BYTES / 1e6:,.0f} MB).",
        )
    for m in members:
        if m.file_size > RATIO_FLOOR_BYTES and m.file_size > MAX_RATIO * max(m.compress_size, 1):
            ratio = m.file_size / max(m.compress_size, 1)
            raise GeometryError(
                "zip_bomb",
                f"The 3MF member {m.filename!r} is compressed {ratio:,.0f}:1, which only a zip "
                "bomb does: it was not unpacked.",
            )
    if total > RATIO_FLOOR_BYTES and total > MAX_RATIO * max(packed, 1):
        raise GeometryError(
            "zip_bomb",
            f"The 3MF archive is compressed {total / max(packed, 1):,.0f}:1, which only a zip "
            "bomb does: it was not unpacked.",
        )


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    limit = min(info.file_size, MAX_TOTAL_BYTES)
    chunks, size = [], 0
    with archive.open(info) as stream:
        while True:
            chunk = stream.read(1 << 20)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise GeometryError("zip_bomb", "A 3MF member unpacks to more than it declares.")
            chunks.append(chunk)
    return b"".join(chunks)


def _model_part(archive: zipfile.ZipFile) -> zipfile.ZipInfo:
    names = {i.filename.lstrip("/"): i for i in archive.infolist()}
    rels = names.get("_rels/.rels")
    if rels is not None:
        try:
            root = ET.fromstring(_safe_xml(_read_member(archive, rels)))
        except ET.ParseError as exc:
            raise _bad("its relationships part is not XML") from exc
        for rel in root.iter():
            if rel.get("Type", "").endswith("/3dmodel") and rel.get("Target"):
                target = rel.get("Target").lstrip("/")
                if target in names:
                    return names[target]
    for name, info in names.items():
        if name.lower().endswith(".model"):
            return info
    raise _bad("it has no 3D model part")


def _safe_xml(data: bytes) -> bytes:
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise _bad("it declares a DOCTYPE or entities, which 3MF never needs")
    return data


def _transform(text: str | None) -> np.ndarray:
    matrix = np.eye(4)
    if not text:
        return matrix
    try:
        values = [float(v) for v in text.split()]
    except ValueError as exc:
        raise _bad("a transform is not numeric") from exc
    if len(values) != 12:
        raise _bad("a transform does not have 12 numbers")
    matrix[:3, :3] = np.asarray(values[:9]).reshape(3, 3)
    matrix[3, :3] = values[9:]
    return matrix  # 3MF uses row vectors: p' = [x y z 1] @ M


def read_3mf(path: str | os.PathLike) -> np.ndarray:
    """The triangle soup (n, 3, 3) float64 in millimetres of a 3MF file's build."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _bad("the ZIP container is damaged") from exc
    with archive:
        check_archive(archive)
        part = _model_part(archive)
        try:
            data = _read_member(archive, part)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise _bad("the model part cannot be unpacked") from exc
    try:
        root = ET.fromstring(_safe_xml(data))
    except ET.ParseError as exc:
        raise _bad("the model part is not well-formed XML") from exc
    del data
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    unit = root.get("unit", "millimeter")
    if unit not in UNITS_MM:
        raise _bad(f"unknown unit {unit!r}")
    scale = UNITS_MM[unit]

    meshes: dict[str, np.ndarray] = {}
    components: dict[str, list[tuple[str, np.ndarray]]] = {}
    total = 0
    for obj in root.iter(f"{ns}object"):
        oid = obj.get("id")
        mesh = obj.find(f"{ns}mesh")
        if mesh is not None:
            verts = mesh.find(f"{ns}vertices")
            tris = mesh.find(f"{ns}triangles")
            if verts is None or tris is None:
                continue
            try:
                points = np.array(
                    [(float(v.get("x")), float(v.get("y")), float(v.get("z"))) for v in verts],
                    dtype=np.float64,
                ).reshape(-1, 3)
                index = np.array(
                    [(int(t.get("v1")), int(t.get("v2")), int(t.get("v3"))) for t in tris],
                    dtype=np.int64,
                ).reshape(-1, 3)
            except (TypeError, ValueError) as exc:
                raise _bad("a vertex or triangle has a missing or non-numeric attribute") from exc
            if len(index) and (index.min() < 0 or index.max() >= len(points)):
                raise _bad("a triangle refers to a vertex that does not exist")
            total += len(index)
            if total > MAX_FACETS:
                raise GeometryError("too_large", f"The 3MF has more than {MAX_FACETS:,} triangles.")
            meshes[oid] = points[index]
        comps = obj.find(f"{ns}components")
        if comps is not None:
            components[oid] = [
                (c.get("objectid"), _transform(c.get("transform")))
                for c in comps.findall(f"{ns}component")
            ]

    def resolve(oid: str, matrix: np.ndarray, depth: int) -> list[np.ndarray]:
        if depth > MAX_DEPTH:
            raise _bad("components are nested too deeply (or refer to each other)")
        out = []
        if oid in meshes:
            soup = meshes[oid]
            out.append(soup @ matrix[:3, :3] + matrix[3, :3])
        for child, child_matrix in components.get(oid, []):
            out.extend(resolve(child, child_matrix @ matrix, depth + 1))
        return out

    build = root.find(f"{ns}build")
    items = (
        [(i.get("objectid"), _transform(i.get("transform"))) for i in build.findall(f"{ns}item")]
        if build is not None
        else [(oid, np.eye(4)) for oid in meshes]
    )
    soups: list[np.ndarray] = []
    for oid, matrix in items:
        soups.extend(resolve(oid, matrix, 0))
    soups = [s for s in soups if len(s)]
    if not soups:
        raise GeometryError("empty_model", "The 3MF file contains no triangles.")
    soup = np.concatenate(soups).reshape(-1, 3, 3)
    if scale != 1.0:
        soup *= scale
    return soup
