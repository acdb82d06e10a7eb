"""Previews: a shaded isometric PNG thumbnail and a GLB for the browser viewer.

Headless by construction: the thumbnail is drawn by a small vectorised z-buffer rasteriser in
numpy (no GPU, no display, no OpenGL), flat-shaded per face (Lambert plus ambient),
supersampled and reduced with Pillow. Large meshes are decimated first (grid clustering for
very large inputs, then quadric simplification with fast_simplification), which both the GLB
and the thumbnail use. Positions stay in millimetres and the decimated mesh keeps the bounds.
"""

from __future__ import annotations

import os

import numpy as np

from geometry.limits import GLB_MAX_FACES, THUMBNAIL_PX
from geometry.model import GeometryError, Mesh

# Above this many faces, grid clustering brings the mesh down to CLUSTER_TO * GLB_MAX_FACES
# before quadric simplification (whose cost grows with its input: ~2 µs per face).
CLUSTER_ABOVE = 3 * GLB_MAX_FACES
CLUSTER_TO = 1.5

BACKGROUND = np.array([244, 246, 249], dtype=np.float32)
BASE_COLOUR = np.array([120, 160, 205], dtype=np.float32)
EDGE_COLOUR = np.array([52, 70, 92], dtype=np.float32)
AMBIENT = 0.28
DIFFUSE = 0.72
VIEW_FROM = np.array([1.0, -1.0, 1.0])  # isometric: front (-Y), right (+X), top (+Z)
LIGHT_FROM = np.array([0.35, -0.6, 1.0])  # from the upper left of the viewer
MARGIN = 0.07
SUPERSAMPLE = 2
CREASE_DEG = 40.0
_CANDIDATE_BUDGET = 4_000_000  # rasteriser work per chunk (pixel candidates)
_ROWS_FROM = 16  # triangles whose pixel box is this wide or wider are rasterised row by row


def write_previews(
    mesh: Mesh,
    png_path: str | os.PathLike | None = None,
    glb_path: str | os.PathLike | None = None,
    size: int = THUMBNAIL_PX,
    max_faces: int = GLB_MAX_FACES,
) -> Mesh:
    """Write the PNG thumbnail and/or the GLB; return the (possibly decimated) mesh used."""
    vertices, faces = _checked(mesh)
    small = decimate(Mesh(vertices, faces), max_faces)
    if glb_path is not None:
        write_glb(small, glb_path)
    if png_path is not None:
        render_png(small, size=size).save(os.fspath(png_path), format="PNG", optimize=False)
    return small


def _checked(mesh: Mesh) -> tuple[np.ndarray, np.ndarray]:
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    faces = np.asarray(mesh.faces)
    if vertices.ndim != 2 or vertices.shape[1] != 3 or faces.ndim != 2 or faces.shape[1] != 3:
        raise GeometryError("empty_model", "no triangles to show")
    if len(faces) == 0 or len(vertices) == 0:
        raise GeometryError("empty_model", "no triangles to show")
    if not np.isfinite(vertices).all():
        raise GeometryError("invalid_coordinates")
    faces = faces.astype(np.int64, copy=False)
    if faces.min() < 0 or faces.max() >= len(vertices):
        raise GeometryError("internal", "preview: faces refer to missing points")
    return vertices, faces


# --------------------------------------------------------------------------- decimation


def decimate(mesh: Mesh, max_faces: int = GLB_MAX_FACES) -> Mesh:
    """At most `max_faces` faces (about), same bounds. Small meshes are returned as they are."""
    vertices, faces = np.asarray(mesh.vertices, np.float64), np.asarray(mesh.faces, np.int64)
    if len(faces) <= max_faces:
        return Mesh(vertices, faces)
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    if len(faces) > CLUSTER_ABOVE:
        vertices, faces = cluster(vertices, faces, int(CLUSTER_TO * max_faces))
    if len(faces) > max_faces:
        import fast_simplification

        reduction = 1.0 - max_faces / len(faces)
        v32, f32 = fast_simplification.simplify(
            vertices.astype(np.float32), faces.astype(np.int32), target_reduction=reduction
        )
        if len(f32):
            vertices, faces = np.asarray(v32, np.float64), np.asarray(f32, np.int64)
    return Mesh(_keep_bounds(vertices, lo, hi), faces)


def _keep_bounds(vertices: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Decimation moves points by a fraction of a cell: stretch back to the original box."""
    new_lo, new_hi = vertices.min(axis=0), vertices.max(axis=0)
    span = new_hi - new_lo
    scale = np.where(span > 0, (hi - lo) / np.where(span > 0, span, 1.0), 1.0)
    return (vertices - new_lo) * scale + lo


def cluster(vertices: np.ndarray, faces: np.ndarray, target_faces: int) -> tuple[np.ndarray, np.ndarray]:
    """Grid vertex clustering: one original vertex per occupied cell; O(n), vectorised.

    The cell size comes from the surface area (a surface mesh has about two faces per
    vertex); the six extreme vertices represent their cells, so the bounds are kept.
    """
    lo = vertices.min(axis=0)
    step = max(1, len(faces) // 100_000)  # the area of a sample of faces is plenty
    tri = vertices[faces[::step]]
    area = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    total = float(area.sum()) * len(faces) / len(tri)
    span = float(np.ptp(vertices, axis=0).max())
    # A surface crosses about 1.5 A / c² cells of size c (fewer when it is axis-aligned), and
    # a mesh has about two faces per vertex.
    cell = np.sqrt(3.0 * total / max(target_faces, 1)) if total > 0 else span / 100
    cell = max(cell, span * 1e-6, 1e-9)
    best = (vertices, faces)
    for _ in range(4):
        q = np.floor((vertices - lo) / cell).astype(np.int64)
        dims = q.max(axis=0) + 1
        key = (q[:, 0] * dims[1] + q[:, 1]) * dims[2] + q[:, 2]
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
        rep = first.copy()
        for axis in range(3):
            for idx in (vertices[:, axis].argmin(), vertices[:, axis].argmax()):
                rep[inverse[idx]] = idx
        new_faces = inverse[faces]
        a, b, c = new_faces[:, 0], new_faces[:, 1], new_faces[:, 2]
        new_faces = new_faces[(a != b) & (b != c) & (a != c)]
        new_faces = _unique_faces(new_faces, len(rep))
        best = (vertices[rep], new_faces)
        if len(new_faces) <= target_faces * 1.25:
            break
        cell *= np.sqrt(len(new_faces) / target_faces) * 1.05
    return _compact(*best)


def _unique_faces(faces: np.ndarray, n_vertices: int) -> np.ndarray:
    """Drop faces that repeat the same three vertices (in any order)."""
    if n_vertices >= 1 << 21:
        ordered = np.sort(faces, axis=1)
        _, keep = np.unique(ordered, axis=0, return_index=True)
    else:
        ordered = np.sort(faces, axis=1)
        key = (ordered[:, 0] << 42) | (ordered[:, 1] << 21) | ordered[:, 2]
        _, keep = np.unique(key, return_index=True)
    return faces[np.sort(keep)]


def _compact(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    used = np.zeros(len(vertices), dtype=bool)
    used[faces.reshape(-1)] = True
    remap = np.cumsum(used) - 1
    return vertices[used], remap[faces]


# --------------------------------------------------------------------------- GLB


def write_glb(mesh: Mesh, path: str | os.PathLike) -> None:
    import trimesh

    tm = trimesh.Trimesh(
        vertices=np.asarray(mesh.vertices, dtype=np.float64),
        faces=np.asarray(mesh.faces, dtype=np.int64),
        process=False,
        validate=False,
    )
    data = tm.export(file_type="glb")
    with open(path, "wb") as fh:
        fh.write(data)


# --------------------------------------------------------------------------- thumbnail


def _view_basis() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Screen right, screen up, and the direction into the screen."""
    into = -VIEW_FROM / np.linalg.norm(VIEW_FROM)
    right = np.cross(into, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right)
    up = np.cross(right, into)
    return right, up, into


def render_png(mesh: Mesh, size: int = 256):
    """A shaded isometric thumbnail of `size`×`size` pixels (a Pillow image)."""
    from PIL import Image

    image = render_array(mesh, size * SUPERSAMPLE)
    picture = Image.fromarray(image, mode="RGB")
    if SUPERSAMPLE > 1:
        picture = picture.reduce(SUPERSAMPLE)
    return picture


def render_array(mesh: Mesh, size: int) -> np.ndarray:
    """Rasterise `mesh` into an RGB uint8 array (size, size, 3)."""
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    faces = np.asarray(mesh.faces, dtype=np.int64)
    right, up, into = _view_basis()
    sx, sy, depth = vertices @ right, vertices @ up, vertices @ into
    # Fit the projected box into the picture with a margin, centred.
    x0, x1, y0, y1 = sx.min(), sx.max(), sy.min(), sy.max()
    extent = max(x1 - x0, y1 - y0, 1e-12)
    scale = size * (1 - 2 * MARGIN) / extent
    px = (sx - 0.5 * (x0 + x1)) * scale + size / 2
    py = size / 2 - (sy - 0.5 * (y0 + y1)) * scale  # image rows go down

    face_id, zbuf = rasterise(px, py, depth, faces, size, return_depth=True)

    # Flat shading per face: Lambert (two-sided, so inverted normals still look right).
    tri = vertices[faces]
    normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    lengths = np.linalg.norm(normals, axis=1)
    lengths[lengths == 0] = 1.0
    normals /= lengths[:, None]
    light = LIGHT_FROM / np.linalg.norm(LIGHT_FROM)
    viewer = -into
    facing = np.sign(normals @ viewer)
    facing[facing == 0] = 1.0
    lambert = np.clip((normals * facing[:, None]) @ light, 0.0, 1.0)
    shade = (AMBIENT + DIFFUSE * lambert).astype(np.float32)

    covered = face_id >= 0
    image = np.empty((size, size, 3), dtype=np.float32)
    image[:] = BACKGROUND
    image[covered] = BASE_COLOUR * shade[face_id[covered]][:, None]
    # Lines make the shape read at 256 px: the outline, creases (sharp edges between faces)
    # and steps in depth (a rim in front of a floor).
    outline = covered & ~_eroded(covered)
    lines = _feature_lines(face_id, zbuf, normals * facing[:, None], depth_step=extent * 0.02)
    image[lines & ~outline] = 0.6 * image[lines & ~outline] + 0.4 * EDGE_COLOUR
    image[outline] = 0.35 * image[outline] + 0.65 * EDGE_COLOUR
    return np.clip(image, 0, 255).astype(np.uint8)


def _feature_lines(face_id: np.ndarray, zbuf: np.ndarray, normals: np.ndarray, depth_step: float) -> np.ndarray:
    """Pixels next to a crease (normals apart by more than CREASE_DEG) or a depth step."""
    covered = face_id >= 0
    n = np.zeros(face_id.shape + (3,), dtype=np.float32)
    n[covered] = normals[face_id[covered]]
    z = np.where(covered, zbuf, 0.0)
    lines = np.zeros(face_id.shape, dtype=bool)
    cos_crease = np.cos(np.radians(CREASE_DEG))
    for axis in (0, 1):
        a = [slice(None), slice(None)]
        b = [slice(None), slice(None)]
        a[axis], b[axis] = slice(None, -1), slice(1, None)
        a, b = tuple(a), tuple(b)
        both = covered[a] & covered[b]
        crease = (np.einsum("ijk,ijk->ij", n[a], n[b]) < cos_crease) & both
        step = (np.abs(z[a] - z[b]) > depth_step) & both
        hit = crease | step
        lines[a] |= hit
    return lines


def _eroded(mask: np.ndarray) -> np.ndarray:
    out = mask.copy()
    out[1:, :] &= mask[:-1, :]
    out[:-1, :] &= mask[1:, :]
    out[:, 1:] &= mask[:, :-1]
    out[:, :-1] &= mask[:, 1:]
    return out


def rasterise(
    px: np.ndarray,
    py: np.ndarray,
    depth: np.ndarray,
    faces: np.ndarray,
    size: int,
    return_depth: bool = False,
):
    """Z-buffer: for each pixel the index of the nearest face covering its centre, or -1.

    Triangles are grouped by the size of their pixel bounding box (1, 2, 4, ... pixels); each
    small group tests all pixel centres of its box at once, in chunks of bounded work; larger
    triangles are walked row by row (`_row_candidates`).
    """
    zbuf = np.full(size * size, np.inf)
    fbuf = np.full(size * size, -1, dtype=np.int64)

    tx, ty, tz = px[faces], py[faces], depth[faces]
    # Pixel centres are at integer + 0.5: the first and last centre column/row in each box.
    cx0 = np.maximum(np.ceil(tx.min(axis=1) - 0.5), 0).astype(np.int64)
    cx1 = np.minimum(np.floor(tx.max(axis=1) - 0.5), size - 1).astype(np.int64)
    cy0 = np.maximum(np.ceil(ty.min(axis=1) - 0.5), 0).astype(np.int64)
    cy1 = np.minimum(np.floor(ty.max(axis=1) - 0.5), size - 1).astype(np.int64)
    w, h = cx1 - cx0 + 1, cy1 - cy0 + 1
    # Twice the signed area; degenerate (edge-on) triangles cover no pixel.
    area2 = (tx[:, 1] - tx[:, 0]) * (ty[:, 2] - ty[:, 0]) - (tx[:, 2] - tx[:, 0]) * (ty[:, 1] - ty[:, 0])
    alive = (w > 0) & (h > 0) & (np.abs(area2) > 1e-12)
    idx = np.flatnonzero(alive)
    if len(idx) == 0:
        return (fbuf.reshape(size, size), zbuf.reshape(size, size)) if return_depth else fbuf.reshape(size, size)
    extent = np.maximum(w[idx], h[idx])
    bucket = np.ceil(np.log2(extent)).astype(np.int64)

    for b in np.unique(bucket):
        k = 1 << int(b)
        members = idx[bucket == b]
        if k >= _ROWS_FROM:  # large boxes: only the pixels inside, row by row
            # chunks of bounded work: a triangle costs its rows and its area in pixels
            cost = np.cumsum(np.abs(area2[members]) / 2 + h[members] + 1)
            cuts = np.searchsorted(cost, np.arange(_CANDIDATE_BUDGET, cost[-1], _CANDIDATE_BUDGET))
            for sel in np.split(members, np.unique(np.clip(cuts, 1, len(members) - 1))):
                f, x, y = _row_candidates(sel, tx, ty, cx0, cx1, cy0, h)
                _shade(f, x, y, tx, ty, tz, area2, size, zbuf, fbuf)
            continue
        offsets = np.arange(k)
        per_chunk = max(1, _CANDIDATE_BUDGET // (k * k))
        for start in range(0, len(members), per_chunk):
            sel = members[start : start + per_chunk]
            _raster_chunk(sel, k, offsets, tx, ty, tz, cx0, cy0, w, h, area2, size, zbuf, fbuf)
    if return_depth:
        return fbuf.reshape(size, size), zbuf.reshape(size, size)
    return fbuf.reshape(size, size)


def _raster_chunk(sel, k, offsets, tx, ty, tz, cx0, cy0, w, h, area2, size, zbuf, fbuf):
    n = len(sel)
    ox = np.broadcast_to(offsets[None, None, :], (n, k, k))
    oy = np.broadcast_to(offsets[None, :, None], (n, k, k))
    inside_box = (ox < w[sel, None, None]) & (oy < h[sel, None, None])
    t_i, oy_i, ox_i = np.nonzero(inside_box)
    f = sel[t_i]
    _shade(f, cx0[f] + ox_i, cy0[f] + oy_i, tx, ty, tz, area2, size, zbuf, fbuf)


def _row_candidates(sel, tx, ty, cx0, cx1, cy0, h):
    """(face, column, row) of the pixel centres inside each triangle, found row by row: where
    the row's centre line crosses the triangle's edges. A long thin sliver (CAD tessellations
    are full of them) costs its pixels, not its bounding box."""
    rows = h[sel]
    f = np.repeat(sel, rows)
    row = cy0[f] + np.arange(len(f)) - np.repeat(np.cumsum(rows) - rows, rows)
    y = row + 0.5
    left = np.full(len(f), np.inf)
    right = np.full(len(f), -np.inf)
    for a, b in ((0, 1), (1, 2), (2, 0)):
        xa, xb, ya, yb = tx[f, a], tx[f, b], ty[f, a], ty[f, b]
        crosses = (np.minimum(ya, yb) <= y) & (y <= np.maximum(ya, yb)) & (ya != yb)
        x = xa + (y - ya) * (xb - xa) / np.where(ya != yb, yb - ya, 1.0)
        left = np.where(crosses, np.minimum(left, x), left)
        right = np.where(crosses, np.maximum(right, x), right)
    first = np.maximum(np.ceil(left - 0.5 - 1e-7), cx0[f])
    last = np.minimum(np.floor(right - 0.5 + 1e-7), cx1[f])
    count = np.where(last >= first, last - first + 1, 0).astype(np.int64)
    face = np.repeat(f, count)
    offset = np.arange(len(face)) - np.repeat(np.cumsum(count) - count, count)
    column = np.repeat(first.astype(np.int64), count) + offset
    return face, column, np.repeat(row, count)


def _shade(f, col, row, tx, ty, tz, area2, size, zbuf, fbuf):
    """Depth-test candidate pixels (col, row) of faces f into the buffers."""
    x = col.astype(np.float64) + 0.5
    y = row.astype(np.float64) + 0.5
    x0, x1, x2 = tx[f, 0], tx[f, 1], tx[f, 2]
    y0, y1, y2 = ty[f, 0], ty[f, 1], ty[f, 2]
    inv = 1.0 / area2[f]
    # Barycentric weights from edge functions; a small tolerance closes cracks between faces.
    w0 = ((x1 - x) * (y2 - y) - (x2 - x) * (y1 - y)) * inv
    w1 = ((x2 - x) * (y0 - y) - (x0 - x) * (y2 - y)) * inv
    w2 = 1.0 - w0 - w1
    eps = -1e-9
    hit = (w0 >= eps) & (w1 >= eps) & (w2 >= eps)
    if not hit.any():
        return
    f, w0, w1, w2 = f[hit], w0[hit], w1[hit], w2[hit]
    z = w0 * tz[f, 0] + w1 * tz[f, 1] + w2 * tz[f, 2]
    pix = row[hit] * size + col[hit]
    np.minimum.at(zbuf, pix, z)
    nearest = z <= zbuf[pix]
    fbuf[pix[nearest]] = f[nearest]
