"""Measure a triangle soup: weld, volume, area, boxes, shells and bodies, edges.

The facets' own figures, the weld, the edges and the shells' components run compiled
(`geometry.native`) where that was built, else in numpy; the rest is vectorised numpy (no
numba or trimesh: importing those costs more than measuring a million facets). Two threads:
volume/area/extents beside the weld, then the caller's side task (the thin-wall check) beside
the edges, shells and oriented box. The steps are in `weld`, `topology` and `bounds`; this
module puts them in order and gathers the figures.

Memory: a binary STL comes as a `geometry.stl.BinaryStl` and is welded as it is read, a slice
at a time (the facets' figures and the next slice's read on the other thread), so its whole
soup (36 bytes a facet) is never in memory; the peak is then about the welded mesh and its
per-facet figures (about 1.8 times the file for a 1.3 M-facet sphere, the interpreter
included, where holding the soup and float64 copies took 3.5 times). The edges give the
shells' components rather than every pair of faces (the pairs only when facets must be
turned), and the thin-wall check and the oriented box work through the points in blocks.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from geometry import native
from geometry.bounds import check_coordinates, face_normals, oriented_box
from geometry.model import GeometryError
from geometry.orient import turn as turn_facets
from geometry.orient import turned_facets
from geometry.stl import BinaryStl
from geometry.threads import Background
from geometry.topology import edges, shells
from geometry.weld import close_gaps, weld, weld_tolerance

_CHUNK = 1 << 16


@dataclass(frozen=True)
class GapsClosed:
    points: int  # points joined to another
    edges: int  # open edges closed by that
    distance_mm: float  # the largest distance closed
    tolerance_mm: float


@dataclass
class MeshMetrics:
    triangles: int  # facets in the file
    degenerate: int  # facets with two equal corners (dropped from the topology)
    vertices: np.ndarray  # (V, 3) unique points, file precision
    faces: np.ndarray  # (n, 3) int32 indices into vertices, degenerate facets removed
    volume_mm3: float  # bodies less voids, each shell taken the right way round
    signed_volume_mm3: float  # the plain signed sum over every facet
    area_mm2: float
    bbox_min: np.ndarray
    bbox_max: np.ndarray
    obb_mm: tuple[float, float, float]
    bodies: int  # shells that bound material
    shells: int  # connected components (through edges of two facets)
    voids: int  # closed shells enclosed by a body: sealed cavities
    inverted_shells: int  # shells whose facets face the wrong way
    open_edges: int
    nonmanifold_edges: int
    misoriented_edges: int
    face_areas: np.ndarray  # (n,) per kept face
    face_size: np.ndarray  # (n,) per kept face: largest axis-aligned extent
    gaps: GapsClosed | None = None  # gaps the weld closed
    face_outward: np.ndarray | None = None  # (n,) ±1 per face with several shells (see Mesh)
    face_shell: np.ndarray | None = None  # (n,) shell of each face, when there are several
    shell_outer: np.ndarray | None = None  # (shells,) True where a shell bounds a body
    turned_facets: int = 0  # facets wound against their shell, turned before measuring
    side_result: Any = None  # what measure's side_task returned

    @property
    def watertight(self) -> bool:
        return self.open_edges == 0 and self.nonmanifold_edges == 0

    @property
    def bbox_mm(self) -> tuple[float, float, float]:
        size = self.bbox_max - self.bbox_min
        return (float(size[0]), float(size[1]), float(size[2]))

    @property
    def inverted(self) -> bool:
        return self.inverted_shells > 0


def soup_geometry(triangles: np.ndarray, centre: np.ndarray):
    """Signed volume, per-facet areas, largest extents and signed volumes (×6) of a soup.

    Compiled: in float64. In numpy: products formed in the file's precision (float32 for
    binary STL: each term is then exact to ~1e-7) about `centre`, summed in float64.
    """
    if native.enabled():
        return native.soup(triangles, centre)
    n = len(triangles)
    areas = np.empty(n, dtype=np.float64)
    sizes = np.empty(n, dtype=np.float32)
    centre = centre.astype(triangles.dtype)
    volumes = np.empty(n, dtype=np.float32)  # six times each facet's signed tetrahedron
    with np.errstate(all="ignore"):  # NaN / inf are refused by the caller, not warned about
        return _soup_geometry(triangles, centre, areas, sizes, volumes)


def _soup_geometry(triangles, centre, areas, sizes, volumes):
    n = len(triangles)
    volume6 = 0.0
    flat = triangles.reshape(n, 9)
    for s in range(0, n, _CHUNK):
        # one transposed copy per chunk: every operation below runs on contiguous rows
        x0, y0, z0, x1, y1, z1, x2, y2, z2 = flat[s : s + _CHUNK].T.copy()
        sx = np.maximum(np.maximum(x0, x1), x2) - np.minimum(np.minimum(x0, x1), x2)
        sy = np.maximum(np.maximum(y0, y1), y2) - np.minimum(np.minimum(y0, y1), y2)
        sz = np.maximum(np.maximum(z0, z1), z2) - np.minimum(np.minimum(z0, z1), z2)
        np.maximum(sx, sy, out=sx)
        np.maximum(sx, sz, out=sx)
        sizes[s : s + _CHUNK] = sx
        x1 -= x0
        y1 -= y0
        z1 -= z0
        x2 -= x0
        y2 -= y0
        z2 -= z0
        x0 -= centre[0]
        y0 -= centre[1]
        z0 -= centre[2]
        cx = y1 * z2
        cx -= z1 * y2
        cy = z1 * x2
        cy -= x1 * z2
        cz = x1 * y2
        cz -= y1 * x2
        term = x0 * cx
        term += y0 * cy
        term += z0 * cz
        volume6 += float(term.sum(dtype=np.float64))
        volumes[s : s + _CHUNK] = term
        cx *= cx
        cy *= cy
        cz *= cz
        cx += cy
        cx += cz
        areas[s : s + _CHUNK] = cx
    np.sqrt(areas, out=areas)
    areas *= 0.5
    return volume6 / 6.0, areas, sizes, volumes


class _Later:
    """A value set once by one thread and awaited by another (the first `set` wins)."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._value: Any = None

    def set(self, value: Any) -> None:
        if not self._event.is_set():
            self._value = value
            self._event.set()

    def get(self) -> Any:
        self._event.wait()
        return self._value


def _oriented_box(vertices, faces, areas):
    """The oriented box, hinted by the normals of the largest facets."""
    k = len(areas)
    top = np.argpartition(areas, k - 64)[-64:] if k > 64 else np.arange(k)
    top = top[np.argsort(areas[top])[::-1]]
    return oriented_box(vertices, face_normals(vertices, faces[top]))


def _centre(sample: np.ndarray) -> np.ndarray:
    """Where the facets' signed volumes are taken about: the mean of every k-th facet's corners."""
    sample = sample.reshape(-1, 3).astype(np.float64)
    return np.nan_to_num(sample.mean(axis=0), nan=0.0, posinf=0.0, neginf=0.0)


class _Ready:
    """A result already at hand, read like a `Background`'s."""

    def __init__(self, value: Any) -> None:
        self._value = value

    def wait(self) -> None:
        pass

    def result(self) -> Any:
        return self._value


def _weld_soup(triangles: np.ndarray):
    """(facets, vertices, inverse, the soup's figures to come) of a soup in memory: the
    figures are worked out on the other thread while the soup is welded."""
    if not (triangles.flags.writeable and triangles.flags.c_contiguous):
        triangles = triangles.copy()
    if triangles.dtype not in (np.float32, np.float64):
        triangles = triangles.astype(np.float64)
    n = len(triangles)
    if n == 0:
        raise GeometryError("empty_model", "no facets")
    triangles = np.ascontiguousarray(triangles)
    centre = _centre(triangles[:: max(1, n // 1024)])
    geometry = Background(soup_geometry, triangles, centre)
    vertices, inverse = weld(triangles.reshape(-1, 3))
    return n, vertices, inverse, geometry


def _weld_slices(source: BinaryStl):
    """The same for a binary STL read a slice at a time (compiled passes only): while one slice
    is welded, the other thread works out its figures and reads the next, so the whole soup is
    never in memory (the peak of measuring a large STL is then about its welded mesh)."""
    n = len(source)
    if n == 0:
        raise GeometryError("empty_model", "no facets")
    centre = _centre(source.sample(max(1, n // 1024)))
    areas = np.empty(n, dtype=np.float64)
    sizes = np.empty(n, dtype=np.float32)
    volumes = np.empty(n, dtype=np.float32)
    inverse = np.empty(3 * n, dtype=np.int32)
    welder = native.Welder(3 * n, source.dtype)
    slices = source.slices()

    def figures_then_read(start: int, part: np.ndarray, total: float):
        end = start + len(part)
        total = native.soup_into(part, centre, areas[start:end], sizes[start:end], volumes[start:end], total)
        return total, next(slices, None)

    total = 0.0
    current = next(slices, None)
    while current is not None:
        start, part = current
        side = Background(figures_then_read, start, part, total)
        welder.feed(part.reshape(-1, 3), inverse[3 * start : 3 * (start + len(part))])
        total, current = side.result()
    vertices = welder.close()
    return n, vertices, inverse, _Ready((total / 6.0, areas, sizes, volumes))


def measure(
    triangles: np.ndarray | list[np.ndarray], side_task: Callable[..., Any] | None = None
) -> MeshMetrics:
    """Measure an (n, 3, 3) triangle soup (float32 or float64, millimetres).

    Pass ``[soup]`` to hand the soup over: it is then released as soon as it is welded.
    The soup may be changed in place (its -0.0 made 0.0).
    `side_task(vertices=, faces=, face_areas=, face_size=, bbox_min=, bbox_max=, outward=)`
    (the thin-wall check) runs alongside the topology checks; its result is `side_result`.
    Changes no process-wide state (see `geometry.tuning` for what a measuring process may set).
    """
    held = triangles if isinstance(triangles, list) else [triangles]
    del triangles  # only `held` refers to the soup now: it is released after the weld
    source = held.pop()
    if isinstance(source, BinaryStl) and not native.enabled():
        source = source.read()
    if isinstance(source, BinaryStl):
        n, vertices, inverse, geometry = _weld_slices(source)
    else:
        n, vertices, inverse, geometry = _weld_soup(source)
    del source
    cols = np.ascontiguousarray(vertices.T)
    lo = cols.min(axis=1).astype(np.float64)
    hi = cols.max(axis=1).astype(np.float64)
    del cols
    try:
        check_coordinates(lo, hi)
    except GeometryError:
        geometry.wait()
        raise
    faces = inverse.reshape(n, 3)
    distinct = faces[:, 0] != faces[:, 1]
    distinct &= faces[:, 1] != faces[:, 2]
    distinct &= faces[:, 0] != faces[:, 2]
    kept = int(np.count_nonzero(distinct))
    signed_volume, areas, sizes, volumes = geometry.result()
    del geometry
    if kept == 0:
        raise GeometryError("degenerate_model", "every facet has coinciding corners")
    if kept < n:
        faces = faces[distinct]
        areas = areas[distinct]
        sizes = sizes[distinct]
        volumes = volumes[distinct]
    del distinct
    area = float(areas.sum())
    if not area > 0.0:
        raise GeometryError("degenerate_model", "every facet has zero area")
    # beside the topology and then the oriented box: the caller's side task (the thin-wall
    # rays), which takes about as long (two busy threads, two CPUs); it waits for the shells
    # only to keep each ray within its own shell
    labels = _Later()
    side_kwargs = dict(
        vertices=vertices,
        faces=faces,
        face_areas=areas,
        face_size=sizes,
        bbox_min=lo,
        bbox_max=hi,
        outward=-1.0 if signed_volume < 0 else 1.0,
        face_shell=labels.get,
    )
    side = None
    if side_task is not None and Background.enabled:
        side = Background(side_task, **side_kwargs)
    try:
        welded_faces = faces
        edge_info = edges(faces, len(vertices), pairs=False)  # the shells' components, not the pairs
        gaps = None
        if edge_info.open:
            tolerance = weld_tolerance(lo, hi)
            closed = close_gaps(vertices, faces, edge_info.open_vertices, tolerance)
            if closed is not None:
                again = edges(closed.faces, len(vertices), pairs=False)
                if again.open < edge_info.open and again.nonmanifold <= edge_info.nonmanifold:
                    gaps = GapsClosed(closed.points, edge_info.open - again.open, closed.distance_mm, tolerance)
                    faces, edge_info = closed.faces, again
                del again
            del closed
        turned = 0
        if edge_info.misoriented:
            paired = edge_info if edge_info.pair_a is not None else edges(faces, len(vertices))
            mask = turned_facets(len(faces), faces, paired)
            del paired
            if mask.any():
                turned_faces = turn_facets(faces, mask)
                again = edges(turned_faces, len(vertices), pairs=False)
                if again.misoriented < edge_info.misoriented:
                    turned = int(np.count_nonzero(mask))
                    faces, edge_info = turned_faces, again
                    volumes = np.where(mask, -volumes, volumes)
                    signed_volume = float(np.sum(volumes, dtype=np.float64)) / 6.0
                del turned_faces, again
        shell = shells(vertices, faces, volumes, edge_info)
        labels.set(shell.face_shell)
    except BaseException:
        labels.set(None)  # the side task must not wait for shells that will never come
        raise
    open_edges, nonmanifold_edges, misoriented_edges = edge_info.open, edge_info.nonmanifold, edge_info.misoriented
    del volumes, edge_info  # the components: the shells have them now
    obb = _oriented_box(vertices, welded_faces, areas)
    if side_task is not None and side is None:  # no threads: the side task runs now
        side = Background(side_task, **side_kwargs)
    side_result = side.result() if side is not None else None
    return MeshMetrics(
        triangles=n,
        degenerate=n - kept,
        vertices=vertices,
        faces=faces,
        volume_mm3=shell.volume_mm3 if shell.count > 1 else abs(signed_volume),
        signed_volume_mm3=signed_volume,
        area_mm2=area,
        bbox_min=lo,
        bbox_max=hi,
        obb_mm=obb,
        bodies=shell.bodies,
        shells=shell.count,
        voids=shell.voids,
        inverted_shells=shell.inverted,
        open_edges=open_edges,
        nonmanifold_edges=nonmanifold_edges,
        misoriented_edges=misoriented_edges,
        face_areas=areas,
        face_size=sizes,
        gaps=gaps,
        face_outward=shell.face_outward,
        face_shell=shell.face_shell,
        shell_outer=shell.outer,
        turned_facets=turned,
        side_result=side_result,
    )
