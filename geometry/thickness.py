"""A map of wall thickness: per facet, the distance inwards to the other side of the wall.

From the centre of each facet a ray goes inwards along the facet's normal; the first facet of
its own shell that it meets (Embree's ray tracer, through `embreex`) is the other side of the
wall, and the distance is the wall's thickness there (a body touching this one, in an
assembly, is passed through: contact is not a wall). Rays look `reach_mm` deep; a wall thicker than that is "thick
enough" (infinite in the map). On a huge mesh the rays start from an evenly spread sample of
`MAP_MAX_RAYS` facets and the map says so (``sampled``); the other facets take the value of the
nearest measured facet.

`colours` turns thicknesses into vertex colours on a fixed scale, the same for every part:
below the process minimum red; from the minimum (yellow) to twice the minimum (the viewer's
neutral blue-grey); thicker, neutral. `legend` describes that scale for a page.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geometry.limits import MAP_MAX_RAYS, MAP_PASS_THROUGH, MAP_REACH
from geometry.model import Mesh

RED = np.array([214, 40, 40], dtype=np.float64)
YELLOW = np.array([240, 200, 40], dtype=np.float64)
NEUTRAL = np.array([120, 160, 205], dtype=np.float64)  # the preview's base colour


@dataclass
class ThicknessMap:
    facet_mm: np.ndarray  # (n,) per facet of the mesh; inf where the wall is thicker than reach
    reach_mm: float
    rays: int  # rays cast
    sampled: bool  # True: rays from a sample of facets, the others took the nearest one's value
    outward: float | np.ndarray = 1.0  # ±1 (or per facet): +1 where the facets face outwards

    @property
    def facets(self) -> int:
        return len(self.facet_mm)

    def thinnest(self) -> tuple[float, int]:
        """(thickness, facet index) of the thinnest wall found, or (inf, -1)."""
        if not len(self.facet_mm) or not np.isfinite(self.facet_mm).any():
            return float("inf"), -1
        k = int(np.argmin(self.facet_mm))
        return float(self.facet_mm[k]), k


def _inward(vertices: np.ndarray, faces: np.ndarray, outward) -> tuple[np.ndarray, np.ndarray]:
    """Facet centres and unit directions into the material (`outward`: ±1, or ±1 per facet)."""
    tri = np.take(vertices, faces, axis=0).astype(np.float64)
    normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    length = np.linalg.norm(normal, axis=1)
    np.divide(normal, length[:, None], out=normal, where=length[:, None] > 0)
    sign = np.asarray(outward, dtype=np.float64)
    return tri.mean(axis=1), -(sign[:, None] if sign.ndim else sign) * normal


def thickness_map(
    mesh: Mesh,
    reach_mm: float,
    outward: float | None = None,
    max_rays: int = MAP_MAX_RAYS,
) -> ThicknessMap:
    """Wall thickness per facet of `mesh`, looking `reach_mm` deep.

    `outward`: +1 if the facets face outwards (the mesh's signed volume is positive), -1 if
    they face inwards; None: the mesh's own per-face `outward` if it has one, else worked out
    from the sign of its volume.
    """
    from embreex import mesh_construction, rtcore_scene

    vertices = np.ascontiguousarray(mesh.vertices, dtype=np.float32)
    faces = np.ascontiguousarray(mesh.faces, dtype=np.int32)
    n = len(faces)
    if outward is None and mesh.outward is not None:
        outward = np.asarray(mesh.outward, dtype=np.float64)
    if outward is None:
        tri = np.take(vertices, faces, axis=0).astype(np.float64)
        signed = np.einsum("ij,ij->i", tri[:, 0], np.cross(tri[:, 1], tri[:, 2])).sum()
        outward = -1.0 if signed < 0 else 1.0
        del tri
    sampled = n > max_rays
    picks = np.linspace(0, n - 1, max_rays).astype(np.int64) if sampled else np.arange(n)
    origins, dirs = _inward(vertices, faces[picks], outward if np.isscalar(outward) else outward[picks])
    aimed = np.any(dirs != 0, axis=1)  # zero-area facets have no direction
    extent = float(np.max(np.ptp(vertices, axis=0))) if len(vertices) else 1.0
    lift = 1e-6 * max(extent, 1e-9)  # start just inside, so a ray does not meet its own facet

    scene = rtcore_scene.EmbreeScene()
    mesh_construction.TriangleMesh(scene=scene, vertices=vertices, indices=faces)
    shell = None if mesh.shell is None else np.asarray(mesh.shell)
    hit = _first_hits(scene, origins + lift * dirs, dirs, aimed, picks, reach_mm, lift, shell)
    hit[hit > reach_mm] = np.inf

    if sampled:
        from scipy.spatial import cKDTree

        centres = np.take(vertices, faces, axis=0).astype(np.float64).mean(axis=1)
        _, nearest = cKDTree(origins).query(centres, k=1)
        facet_mm = hit[nearest]
    else:
        facet_mm = hit
    return ThicknessMap(facet_mm, reach_mm, rays=len(picks), sampled=sampled, outward=outward)


def _first_hits(scene, start, dirs, aimed, picks, reach_mm, lift, shell) -> np.ndarray:
    """Per ray, the distance to the first facet of its own shell (inf: none within reach).

    A ray that meets another shell first (a body touching this one) goes on from just past
    that facet, a bounded number of times.
    """
    hit = np.full(len(picks), np.inf)
    todo = np.flatnonzero(aimed)
    travelled = np.full(len(todo), lift)
    origin = start[todo].astype(np.float64)
    for _ in range(MAP_PASS_THROUGH + 1):
        if not len(todo):
            break
        found = scene.run(
            origin.astype(np.float32),
            dirs[todo].astype(np.float32),
            dists=np.maximum(reach_mm - travelled, 0.0).astype(np.float32),
            output=1,
        )
        prim = found["primID"]
        distance = travelled + found["tfar"].astype(np.float64)
        met = (prim >= 0) & (prim != picks[todo])
        foreign = np.zeros(len(todo), dtype=bool)
        if shell is not None:
            safe = np.where(met, prim, 0)
            foreign = met & (shell[safe] != shell[picks[todo]])
        mine = met & ~foreign
        hit[todo[mine]] = distance[mine]
        # the rays that met another shell go on from just past it
        again = foreign
        step = found["tfar"].astype(np.float64)[again] + lift
        origin = origin[again] + step[:, None] * dirs[todo[again]]
        travelled = travelled[again] + step
        todo = todo[again]
    return hit


def reach_for(min_wall_mm: float) -> float:
    return MAP_REACH * min_wall_mm


def vertex_thickness(mesh: Mesh, facet_mm: np.ndarray) -> np.ndarray:
    """Per vertex: the thinnest wall among the facets around it (a thin spot stays visible)."""
    out = np.full(len(mesh.vertices), np.inf)
    faces = np.asarray(mesh.faces)
    for k in range(3):
        np.minimum.at(out, faces[:, k], facet_mm)
    return out


def colours(thickness_mm: np.ndarray, min_wall_mm: float) -> np.ndarray:
    """RGBA uint8 per value on the fixed scale (see the module docstring)."""
    t = np.asarray(thickness_mm, dtype=np.float64)
    rgb = np.repeat(NEUTRAL[None, :], len(t), axis=0)
    thin = t < min_wall_mm
    rgb[thin] = RED
    between = (t >= min_wall_mm) & (t < 2 * min_wall_mm)
    f = ((t[between] - min_wall_mm) / min_wall_mm)[:, None]
    rgb[between] = YELLOW * (1 - f) + NEUTRAL * f
    rgba = np.empty((len(t), 4), dtype=np.uint8)
    rgba[:, :3] = np.clip(np.rint(rgb), 0, 255)
    rgba[:, 3] = 255
    return rgba


def legend(min_wall_mm: float, thickness: ThicknessMap | None = None) -> dict:
    """The scale, JSON-ready, for a legend next to the viewer."""
    data = {
        "min_wall_mm": min_wall_mm,
        "stops": [
            {"mm": 0.0, "rgb": RED.astype(int).tolist(), "label": "below the minimum"},
            {"mm": min_wall_mm, "rgb": YELLOW.astype(int).tolist(), "label": "at the minimum"},
            {"mm": 2 * min_wall_mm, "rgb": NEUTRAL.astype(int).tolist(), "label": "twice the minimum or more"},
        ],
    }
    if thickness is not None:
        thinnest, _ = thickness.thinnest()
        data.update(
            sampled=thickness.sampled,
            rays=thickness.rays,
            facets=thickness.facets,
            thinnest_mm=thinnest if np.isfinite(thinnest) else None,
            thin_share=float(np.mean(thickness.facet_mm < min_wall_mm)) if thickness.facets else 0.0,
        )
    return data


def write_thickness_glb(
    mesh: Mesh, facet_mm: np.ndarray, min_wall_mm: float, path, max_faces: int, small: Mesh | None = None
) -> Mesh:
    """A GLB of `mesh` (decimated to `max_faces`, or `small` if the caller has decimated it
    already) with the thickness as vertex colours."""
    import trimesh

    from geometry.preview import decimate

    per_vertex = vertex_thickness(mesh, facet_mm)
    if small is None:
        small = decimate(mesh, max_faces)
    if len(small.faces) != len(mesh.faces) or len(small.vertices) != len(mesh.vertices):
        # decimated: each kept point takes the thinnest value near it on the full mesh
        from scipy.spatial import cKDTree

        _, nearest = cKDTree(np.asarray(mesh.vertices, dtype=np.float64)).query(small.vertices, k=1)
        per_vertex = per_vertex[nearest]
    tm = trimesh.Trimesh(
        vertices=np.asarray(small.vertices, dtype=np.float64),
        faces=np.asarray(small.faces, dtype=np.int64),
        vertex_colors=colours(per_vertex, min_wall_mm),
        process=False,
        validate=False,
    )
    with open(path, "wb") as fh:
        fh.write(tm.export(file_type="glb"))
    return small
