"""3MF reader. The ZIP is checked before anything is inflated.

Checks on the central directory: member count, total uncompressed size and compression ratio
(each member and overall). Inflating is then bounded again while reading, since sizes in the
directory can lie. DOCTYPE / entity declarations are refused (no entity expansion).
The model's ``unit`` attribute is honoured; everything is converted to millimetres. Build items
and components are resolved with their transforms, also across model parts (the production
extension's ``p:path``: a build item or component may name an object in another part).
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
import zipfile

import numpy as np

from geometry.limits import (
    MAX_FACETS,
    THREEMF_MAX_DEPTH,
    ZIP_MAX_MEMBERS,
    ZIP_MAX_RATIO,
    ZIP_MAX_TOTAL_BYTES,
    ZIP_RATIO_FLOOR_BYTES,
)
from geometry.model import GeometryError

PRODUCTION_NS = "{http://schemas.microsoft.com/3dmanufacturing/production/2015/06}"

UNITS_MM = {
    "micron": 0.001,
    "millimeter": 1.0,
    "centimeter": 10.0,
    "inch": 25.4,
    "foot": 304.8,
    "meter": 1000.0,
}


def _bad(detail: str) -> GeometryError:
    return GeometryError("invalid_3mf", detail)


def check_archive(archive: zipfile.ZipFile) -> None:
    """Refuse zip bombs and archives with absurd member counts, before inflating anything."""
    members = archive.infolist()
    if len(members) > ZIP_MAX_MEMBERS:
        raise GeometryError("zip_too_many_members", count=len(members), limit=ZIP_MAX_MEMBERS)
    total = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members)
    if total > ZIP_MAX_TOTAL_BYTES:
        raise GeometryError("zip_too_large", size_mb=total / 1e6, limit_mb=ZIP_MAX_TOTAL_BYTES / 1e6)
    for m in members:
        ratio = m.file_size / max(m.compress_size, 1)
        if m.file_size > ZIP_RATIO_FLOOR_BYTES and ratio > ZIP_MAX_RATIO:
            raise GeometryError("zip_bomb", f"member {m.filename!r}", ratio=ratio)
    if total > ZIP_RATIO_FLOOR_BYTES and total > ZIP_MAX_RATIO * max(packed, 1):
        raise GeometryError("zip_bomb", "whole archive", ratio=total / max(packed, 1))


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    limit = min(info.file_size, ZIP_MAX_TOTAL_BYTES)
    chunks, size = [], 0
    with archive.open(info) as stream:
        while True:
            chunk = stream.read(1 << 20)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                ratio = size / max(info.compress_size, 1)
                raise GeometryError("zip_bomb", f"{info.filename!r} grew past its size", ratio=ratio)
            chunks.append(chunk)
    return b"".join(chunks)


def _root_part(names: dict[str, zipfile.ZipInfo], archive: zipfile.ZipFile) -> str:
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
                    return target
    for name in names:
        if name.lower().endswith(".model"):
            return name
    raise _bad("it has no 3D model part")


def _safe_xml(data: bytes) -> bytes:
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise _bad("it declares a DOCTYPE or entities, which 3MF never needs")
    return data


def _transform(text: str | None, scale: float) -> np.ndarray:
    """A 3MF transform as a 4×4 row-vector matrix (p' = [x y z 1] @ M), translation in mm."""
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
    matrix[3, :3] = np.asarray(values[9:]) * scale
    return matrix


Ref = tuple[str, str]  # (model part name, object id)


class _Package:
    """The model parts of one archive, parsed when first referred to."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.names = {i.filename.lstrip("/"): i for i in archive.infolist()}
        self.root = _root_part(self.names, archive)
        self.meshes: dict[Ref, np.ndarray] = {}
        self.components: dict[Ref, list[tuple[Ref, np.ndarray]]] = {}
        self.parsed: dict[str, ET.Element] = {}
        self.facets = 0

    def part(self, name: str) -> ET.Element:
        name = name.lstrip("/")
        if name in self.parsed:
            return self.parsed[name]
        info = self.names.get(name)
        if info is None:
            raise _bad(f"it refers to a missing model part {name!r}")
        try:
            data = _read_member(self.archive, info)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise _bad("a model part cannot be unpacked") from exc
        try:
            root = ET.fromstring(_safe_xml(data))
        except ET.ParseError as exc:
            raise _bad("a model part is not well-formed XML") from exc
        del data
        self.parsed[name] = root
        self._objects(name, root)
        return root

    def _objects(self, name: str, root: ET.Element) -> None:
        ns = _namespace(root)
        scale = _scale(root)
        for obj in root.iter(f"{ns}object"):
            ref = (name, obj.get("id"))
            mesh = obj.find(f"{ns}mesh")
            if mesh is not None:
                soup = _mesh_soup(mesh, ns)
                self.facets += len(soup)
                if self.facets > MAX_FACETS:
                    raise GeometryError("too_many_facets", count=self.facets, limit=MAX_FACETS)
                self.meshes[ref] = soup * scale if scale != 1.0 else soup
            comps = obj.find(f"{ns}components")
            if comps is not None:
                self.components[ref] = [
                    (
                        (_path(c, name), c.get("objectid")),
                        _transform(c.get("transform"), scale),
                    )
                    for c in comps.findall(f"{ns}component")
                ]

    def resolve(self, ref: Ref, matrix: np.ndarray, depth: int = 0) -> list[np.ndarray]:
        if depth > THREEMF_MAX_DEPTH:
            raise _bad("components are nested too deeply (or refer to each other)")
        self.part(ref[0])
        out = []
        soup = self.meshes.get(ref)
        if soup is not None:
            out.append(soup @ matrix[:3, :3] + matrix[3, :3])
        for child, child_matrix in self.components.get(ref, []):
            out.extend(self.resolve(child, child_matrix @ matrix, depth + 1))
        return out


def _namespace(root: ET.Element) -> str:
    return root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""


def _scale(root: ET.Element) -> float:
    unit = root.get("unit", "millimeter")
    if unit not in UNITS_MM:
        raise _bad(f"unknown unit {unit!r}")
    return UNITS_MM[unit]


def _path(element: ET.Element, default: str) -> str:
    return (element.get(f"{PRODUCTION_NS}path") or default).lstrip("/")


def _mesh_soup(mesh: ET.Element, ns: str) -> np.ndarray:
    verts = mesh.find(f"{ns}vertices")
    tris = mesh.find(f"{ns}triangles")
    if verts is None or tris is None:
        return np.empty((0, 3, 3))
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
    return points[index]


def read_3mf(path: str | os.PathLike) -> np.ndarray:
    """The triangle soup (n, 3, 3) float64 in millimetres of a 3MF file's build."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _bad("the ZIP container is damaged") from exc
    with archive:
        check_archive(archive)
        package = _Package(archive)
        root = package.part(package.root)
        ns = _namespace(root)
        scale = _scale(root)
        build = root.find(f"{ns}build")
        if build is not None:
            items = [
                ((_path(i, package.root), i.get("objectid")), _transform(i.get("transform"), scale))
                for i in build.findall(f"{ns}item")
            ]
        else:
            items = [(ref, np.eye(4)) for ref in package.meshes]
        soups: list[np.ndarray] = []
        for ref, matrix in items:
            soups.extend(package.resolve(ref, matrix))
    soups = [s for s in soups if len(s)]
    if not soups:
        raise GeometryError("empty_model", "the 3MF build has no triangles")
    return np.concatenate(soups).reshape(-1, 3, 3)
