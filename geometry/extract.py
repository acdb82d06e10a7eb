"""One part of a file as a file of its own, so that it can be measured, previewed and priced.

``extract_part(path, index)`` returns ``(kind, data)``: ``("step", bytes)`` for a STEP file (the
part's solid, written by OpenCASCADE, in the sandbox), ``("stl", bytes)`` for a mesh (a binary
STL of the part's first body, where it lies in the file). `index` numbers the entries of
``Analysis.parts`` from 0, in the same order. ``python -m geometry part FILE --index N --out F``
writes it; `geometry.pipeline.write_part` does the same inside the sandbox child.
"""

from __future__ import annotations

import os

import numpy as np

from geometry.model import GeometryError


def stl_bytes(triangles: np.ndarray) -> bytes:
    """A binary STL of an (n, 3, 3) soup (normals from the winding)."""
    tri = np.asarray(triangles, dtype=np.float64)
    normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    length = np.linalg.norm(normal, axis=1, keepdims=True)
    np.divide(normal, length, out=normal, where=length > 0)
    records = np.zeros(len(tri), dtype=[("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")])
    records["n"] = normal
    records["v"] = tri
    header = b"part extracted by geometry".ljust(80, b" ")
    return header + np.uint32(len(tri)).tobytes() + records.tobytes()


def mesh_part(path: str | os.PathLike, index: int, units: str | None = None) -> np.ndarray:
    """The triangles (millimetres) of part `index` of a mesh file, in this process."""
    from geometry.analyze import read_triangles
    from geometry.formats import detect_format
    from geometry.measure import measure
    from geometry.parts import extract_mesh_part
    from geometry.units import scale_of

    kind = detect_format(path)
    if kind == "step":
        raise GeometryError("unknown_format", "a STEP file: use extract_part")
    soup = read_triangles(path, kind)
    factor = scale_of(units)
    if factor != 1.0:
        soup = soup * soup.dtype.type(factor)
    return extract_mesh_part(measure([soup]), index)


def extract_part(
    path: str | os.PathLike, index: int, units: str | None = None, sandbox=None
) -> tuple[str, bytes]:
    """("step" or "stl", the file's bytes) of part `index` of a model file."""
    from geometry.formats import detect_format

    if detect_format(path) == "step":
        from geometry.step import _sandbox, check_step_header

        check_step_header(path)
        return "step", _sandbox(sandbox).run("geometry.assembly:extract_step_part", os.fspath(path), int(index))
    return "stl", stl_bytes(mesh_part(path, index, units))
