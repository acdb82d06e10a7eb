"""Small test models, made at test time (nothing binary is committed)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import trimesh

from geometry.stl import write_ascii, write_binary


def box(size=(10.0, 20.0, 30.0), at=(0.0, 0.0, 0.0)) -> np.ndarray:
    mesh = trimesh.creation.box(extents=size)
    mesh.apply_translation(np.asarray(at) + np.asarray(size) / 2)
    return mesh.triangles.copy()


def cylinder(radius=5.0, height=10.0, sections=64) -> np.ndarray:
    return trimesh.creation.cylinder(radius=radius, height=height, sections=sections).triangles


def polygon_prism_volume(radius: float, height: float, sections: int) -> float:
    return 0.5 * sections * radius**2 * np.sin(2 * np.pi / sections) * height


def sphere(subdivisions=3, radius=10.0) -> np.ndarray:
    return trimesh.creation.icosphere(subdivisions=subdivisions, radius=radius).triangles


def tube(outer=10.0, inner=9.6, height=30.0, sections=64) -> np.ndarray:
    """A pipe with a 0.4 mm wall."""
    outer_mesh = trimesh.creation.annulus(r_min=inner, r_max=outer, height=height, sections=sections)
    return outer_mesh.triangles


def prism(outline, cap, depth: float) -> np.ndarray:
    """A closed prism: `outline` (x, z) corners in order, `cap` its triangulation (index triples
    into the outline), extruded along y from 0 to `depth`; facets facing out."""
    points = np.asarray(outline, dtype=np.float64)
    front = np.column_stack([points[:, 0], np.zeros(len(points)), points[:, 1]])
    back = front + np.array([0.0, depth, 0.0])
    facets = [[front[a], front[b], front[c]] for a, b, c in cap]
    facets += [[back[a], back[c], back[b]] for a, b, c in cap]
    for i in range(len(points)):
        j = (i + 1) % len(points)
        facets += [[front[i], back[i], back[j]], [front[i], back[j], front[j]]]
    soup = np.asarray(facets)
    signed = np.einsum("ij,ij->i", soup[:, 0], np.cross(soup[:, 1], soup[:, 2])).sum()
    return soup if signed > 0 else soup[:, ::-1].copy()


def tee(stem=(10.0, 40.0), bar=(60.0, 6.0), depth=10.0, offset=25.0) -> np.ndarray:
    """A T standing on its stem (x from 0 to stem width, z from 0 up), its bar on top from
    x = -offset; one solid, depth mm thick along y."""
    (sw, sh), (bw, bh) = stem, bar
    outline = [(0, 0), (sw, 0), (sw, sh), (bw - offset, sh), (bw - offset, sh + bh), (-offset, sh + bh),
               (-offset, sh), (0, sh)]
    cap = [(0, 1, 2), (0, 2, 7), (5, 6, 7), (5, 7, 2), (5, 2, 3), (5, 3, 4)]
    return prism(outline, cap, depth)


def rotated(triangles: np.ndarray, angles=(0.3, 0.5, 0.7)) -> np.ndarray:
    matrix = trimesh.transformations.euler_matrix(*angles)[:3, :3]
    return triangles @ matrix.T


def write_stl(path: Path, triangles: np.ndarray, ascii: bool = False) -> Path:
    if ascii:
        write_ascii(path, triangles)
    else:
        write_binary(path, triangles)
    return path


def write_obj(path: Path, triangles: np.ndarray) -> Path:
    points = np.asarray(triangles, dtype=np.float64).reshape(-1, 3)
    lines = [f"v {x:.9g} {y:.9g} {z:.9g}" for x, y, z in points]
    lines += [f"f {3 * i + 1} {3 * i + 2} {3 * i + 3}" for i in range(len(triangles))]
    path.write_text("# test\no part\n" + "\n".join(lines) + "\n")
    return path


def model_xml(triangles: np.ndarray, unit: str = "millimeter") -> bytes:
    points, index = np.unique(
        np.asarray(triangles, dtype=np.float64).reshape(-1, 3), axis=0, return_inverse=True
    )
    index = index.reshape(-1, 3)
    verts = "".join(f'<vertex x="{x:.9g}" y="{y:.9g}" z="{z:.9g}"/>' for x, y, z in points)
    tris = "".join(f'<triangle v1="{a}" v2="{b}" v3="{c}"/>' for a, b, c in index)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<model unit="{unit}" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">'
        f'<resources><object id="1" type="model"><mesh><vertices>{verts}</vertices>'
        f"<triangles>{tris}</triangles></mesh></object></resources>"
        '<build><item objectid="1"/></build></model>'
    ).encode()


RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Target="/3D/3dmodel.model" Id="rel0" '
    b'Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/></Relationships>'
)


def write_3mf(path: Path, triangles: np.ndarray, unit: str = "millimeter") -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("_rels/.rels", RELS)
        archive.writestr("3D/3dmodel.model", model_xml(triangles, unit))
    return path


def write_zip_bomb(path: Path) -> Path:
    """A 3MF whose model part inflates ~1000:1 (50 MB from ~50 kB)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("_rels/.rels", RELS)
        archive.writestr("3D/3dmodel.model", b"\0" * 50_000_000)
    path.write_bytes(buffer.getvalue())
    return path


def write_many_members(path: Path, count: int = 5000) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for i in range(count):
            archive.writestr(f"m/{i}.txt", b"")
    return path


# --- meshes as CAD exporters write them ---------------------------------------------------


def with_zero_noise(triangles: np.ndarray, noise: float) -> np.ndarray:
    """Every other facet writes its zero coordinates as `noise` (-0.0, 1e-33 ...), as some
    exporters do: the same point then has two bit patterns."""
    soup = np.asarray(triangles, dtype=np.float32).copy()
    every_other = soup[::2]
    every_other[every_other == 0] = np.float32(noise)
    soup[::2] = every_other
    return soup


def corner_touching_boxes() -> np.ndarray:
    """Two closed boxes that share one corner point and nothing else."""
    return np.concatenate([box((10, 10, 10)), box((10, 10, 10), at=(10, 10, 10))])


def free_inverted() -> np.ndarray:
    """A 10 mm cube and, apart from it, a 5 mm cube whose facets face inwards."""
    return np.concatenate([box((10, 10, 10)), box((5, 5, 5), at=(20, 0, 0))[:, ::-1]])


def production_3mf(path: Path, triangles: np.ndarray, offset=(100.0, 0.0, 0.0)) -> Path:
    """A 3MF whose mesh lives in a second model part, reached from the build through the
    production extension's p:path, placed by a component transform and a build transform."""
    core = "http://schemas.microsoft.com/3dmanufacturing/core/2015/02"
    prod = "http://schemas.microsoft.com/3dmanufacturing/production/2015/06"
    part = model_xml(triangles).replace(b"<build><item objectid=\"1\"/></build>", b"<build/>")
    x, y, z = offset
    root = (
        f'<?xml version="1.0" encoding="UTF-8"?><model unit="millimeter" xmlns="{core}" '
        f'xmlns:p="{prod}" requiredextensions="p"><resources>'
        f'<object id="5" type="model"><components>'
        f'<component objectid="1" p:path="/3D/Objects/part.model" transform="1 0 0 0 1 0 0 0 1 {x} {y} {z}"/>'
        f'<component objectid="1" p:path="/3D/Objects/part.model"/>'
        f"</components></object></resources>"
        f'<build><item objectid="5" transform="1 0 0 0 1 0 0 0 1 0 0 7"/></build></model>'
    ).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("_rels/.rels", RELS)
        archive.writestr("3D/3dmodel.model", root)
        archive.writestr("3D/Objects/part.model", part)
    return path
