"""Edges, shells and bodies of an indexed triangle mesh.

Compiled (`geometry.native`) where it was built; the numpy versions here are the reference.
- Edges: each directed edge (corner k → k+1 of a face) becomes one 64-bit key,
  ``((min·V + max)·2 + (a > b))`` with the edge's slot (k·n + face) in the low bits, so one
  value sort groups the edges and carries the faces along. A closed, consistently oriented
  2-manifold is then exactly pairs of keys that differ only in the direction bit.
- Shells: connected components of faces through edges shared by exactly two faces (as admesh
  and trimesh count them), by repeated hooking of every root to its smallest neighbouring root
  (`np.minimum.at`) and pointer jumping. Shells that touch at a corner or along a
  non-manifold edge are separate.
- Bodies and voids: a closed shell is a void when an odd number of other closed shells enclose
  it (a ray-parity containment test), whatever way its facets face; every other shell bounds a
  body. A shell whose facets face the wrong way for its role is "inverted" and counted by its
  role, with its volume's sign corrected.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geometry import native
from geometry.limits import CONTAINMENT_MAX_TESTS, MAX_SHELLS_NESTED
from geometry.threads import Background


@dataclass(frozen=True)
class Edges:
    open: int  # edges of one face
    nonmanifold: int  # edges of more than two faces
    misoriented: int  # edges of two faces that run the same way
    pair_a: np.ndarray | None  # faces joined through an edge of exactly two faces (a[i] ~ b[i])
    pair_b: np.ndarray | None  # (None when only their components were asked for and kept)
    open_faces: np.ndarray  # the face of each open edge
    open_vertices: np.ndarray  # the ends of the open edges (unique ids)
    components: int | None = None  # how many components the pairs make, when found with them
    labels: np.ndarray | None = None  # each face's component (its smallest face), likewise


def edges(faces: np.ndarray, n_vertices: int, pairs: bool = True) -> Edges:
    """The edges of `faces` (no face with two equal corners).

    `pairs=False`: the compiled pass gives the faces' components (`labels`) instead of the
    pairs (for a large mesh, a third of the memory; the orientation needs the pairs, the
    shells only the components). The numpy pass always gives the pairs.
    """
    if native.enabled():
        found = native.edges(faces, n_vertices, joined=not pairs)
        return Edges(
            found.open,
            found.nonmanifold,
            found.misoriented,
            found.pair_a,
            found.pair_b,
            found.open_faces,
            np.unique(found.open_ends) if found.open else np.empty(0, dtype=np.int32),
            found.components,
            found.labels,
        )
    n = len(faces)
    face_bits = max(1, int(n - 1).bit_length())
    if max(1, int(n_vertices) * int(n_vertices) - 1).bit_length() + face_bits <= 63:
        closed = _closed_oriented(faces, n_vertices, face_bits)
        if closed is not None:
            return closed
    return _any_edges(faces, n_vertices)


def _closed_oriented(faces: np.ndarray, n_vertices: int, face_bits: int) -> Edges | None:
    """The common case, fast: a closed, consistently oriented 2-manifold, or None.

    The edges that run from the lower vertex number to the higher and those that run back
    are sorted apart, on two threads; the mesh is such a manifold exactly when both sorted
    lists hold the same edges, each once. Face numbers ride in the low bits of the keys, so
    the two lists also pair the faces on either side of every edge.
    """
    n = len(faces)
    key = np.empty(3 * n, dtype=np.int64)
    up = np.empty(3 * n, dtype=bool)
    index = np.arange(n, dtype=np.int64)
    for k in range(3):  # edge k of every face: (min·V + max), then the face
        a, b = faces[:, k], faces[:, (k + 1) % 3]
        part = key[k * n : (k + 1) * n]
        np.minimum(a, b, out=part, casting="unsafe")
        part *= n_vertices
        part += np.maximum(a, b)
        part <<= face_bits
        part |= index
        np.less(a, b, out=up[k * n : (k + 1) * n])
    forward = key[up]
    backward = key[~up]
    del key, up
    if len(forward) != len(backward):
        return None
    other = Background(backward.sort)
    forward.sort()
    other.result()
    return _paired_lists(forward, backward, face_bits)


def _paired_lists(forward: np.ndarray, backward: np.ndarray, face_bits: int) -> Edges | None:
    """Edges of a closed oriented manifold from its sorted up and back keys, or None if the
    two lists do not hold the same edges, each once."""
    step = 1 << 20
    for s in range(0, len(forward), step):
        f = forward[s : s + step + 1] >> face_bits
        if not np.array_equal(f[:step], backward[s : s + step] >> face_bits) or np.any(f[1:] <= f[:-1]):
            return None
    mask = np.int64((1 << face_bits) - 1)
    forward &= mask
    backward &= mask
    empty = np.empty(0, dtype=np.int64)
    return Edges(0, 0, 0, forward.astype(np.int32), backward.astype(np.int32), empty, empty)


def _any_edges(faces: np.ndarray, n_vertices: int) -> Edges:
    """Every case: open, non-manifold and misoriented edges counted, faces paired."""
    n = len(faces)
    slot_bits = max(1, int(3 * n - 1).bit_length())
    edge_bits = max(1, int(n_vertices) * int(n_vertices) - 1).bit_length() + 1
    if edge_bits + slot_bits <= 63:
        key = _packed_keys(faces, n_vertices, slot_bits)
        key.sort()
        slot = (key & np.int64((1 << slot_bits) - 1)).astype(np.int64)
        key >>= slot_bits
    else:  # a huge mesh: the slot does not fit beside the edge; sort a permutation instead
        key = _packed_keys(faces, n_vertices, 0)
        slot = np.argsort(key, kind="stable")
        key = key[slot]
    face = slot % n
    if len(key) % 2 == 0 and _paired(key):
        empty = np.empty(0, dtype=np.int64)
        return Edges(0, 0, 0, face[0::2], face[1::2], empty, empty)
    undirected = key >> 1
    start = np.empty(len(key), dtype=bool)
    start[0] = True
    np.not_equal(undirected[1:], undirected[:-1], out=start[1:])
    first = np.flatnonzero(start)
    counts = np.diff(np.append(first, len(key)))
    forward = np.add.reduceat(((key & 1) == 0).astype(np.int64), first)
    two = first[counts == 2]
    single = first[counts == 1]
    ends = np.stack((undirected[single] // n_vertices, undirected[single] % n_vertices), axis=1)
    return Edges(
        open=len(single),
        nonmanifold=int(np.count_nonzero(counts > 2)),
        misoriented=int(np.count_nonzero((counts == 2) & (forward != 1))),
        pair_a=face[two],
        pair_b=face[two + 1],
        open_faces=face[single],
        open_vertices=np.unique(ends),
    )


def _packed_keys(faces: np.ndarray, n_vertices: int, slot_bits: int) -> np.ndarray:
    n = len(faces)
    key = np.empty(3 * n, dtype=np.int64)
    for k in range(3):  # edge k of every face: (min·V + max)·2 + (a > b), then the slot
        a, b = faces[:, k], faces[:, (k + 1) % 3]
        part = key[k * n : (k + 1) * n]
        np.minimum(a, b, out=part, casting="unsafe")
        part *= n_vertices
        part += np.maximum(a, b)
        part <<= 1
        part += a > b
        if slot_bits:
            part <<= slot_bits
            part |= np.arange(k * n, (k + 1) * n, dtype=np.int64)
    return key


def _paired(key: np.ndarray) -> bool:
    """Every edge exactly twice, once each way: the sorted keys are pairs (2k, 2k + 1)."""
    step = 1 << 20
    for s in range(0, len(key), step):
        chunk = key[s : s + step]
        first, second = chunk[0::2], chunk[1::2]
        if np.any(first & 1) or not np.array_equal(second, first + 1):
            return False
    return True


def _jump(labels: np.ndarray) -> np.ndarray:
    while True:  # pointer jumping until every node points at its root
        jumped = np.take(labels, labels)
        if np.array_equal(jumped, labels):
            return labels
        labels = jumped


def _hook_round(labels, a, b):
    """Hook every root to the smaller root across each pair, jump to roots, keep the pairs
    that still join two components."""
    low = np.minimum(a, b)
    np.minimum.at(labels, a, low)
    np.minimum.at(labels, b, low)
    labels = _jump(labels)
    a = np.take(labels, a)
    b = np.take(labels, b)
    index = np.flatnonzero(a != b)
    return labels, a[index], b[index]


def components(n_nodes: int, a: np.ndarray, b: np.ndarray) -> tuple[int, np.ndarray]:
    """Connected components of nodes 0..n-1 joined by the pairs (a[i], b[i]).

    Returns (count, label per node), each label the smallest node of its component. After the
    first round the surviving roots are renumbered 0..R-1, so that the later rounds jump
    pointers over R entries, not over every node.
    """
    if native.enabled():
        return native.components(n_nodes, a, b)
    identity = np.arange(n_nodes, dtype=np.int32)
    labels, a, b = _hook_round(identity.copy(), a.astype(np.int32, copy=False), b.astype(np.int32, copy=False))
    if len(a):
        roots = np.flatnonzero(labels == identity).astype(np.int32)  # ascending: order is kept
        compact = np.zeros(n_nodes, dtype=np.int32)
        compact[roots] = np.arange(len(roots), dtype=np.int32)
        a, b = np.take(compact, a), np.take(compact, b)
        sub = np.arange(len(roots), dtype=np.int32)
        while len(a):
            sub, a, b = _hook_round(sub, a, b)
        labels = np.take(roots, np.take(sub, np.take(compact, labels)))
    return int(np.count_nonzero(labels == identity)), labels


@dataclass(frozen=True)
class Shells:
    count: int
    bodies: int  # shells that bound material
    voids: int  # closed shells inside a body, bounding a cavity
    inverted: int  # shells whose facets face the wrong way for their role
    volume_mm3: float  # bodies' volumes less the voids'
    complete: bool = True  # False: too many shells to test containment; voids by volume sign
    face_outward: np.ndarray | None = None  # (n,) ±1 per face with several shells, else None
    face_shell: np.ndarray | None = None  # (n,) the shell (0..count-1) of each face, several shells
    outer: np.ndarray | None = None  # (count,) True where a shell bounds a body (not a void)


def shells(
    vertices: np.ndarray,
    faces: np.ndarray,
    face_volume6: np.ndarray,
    edge_info: Edges,
) -> Shells:
    """Classify the shells of a mesh: bodies, voids, inverted shells, and the net volume.

    `face_volume6` is each face's signed tetrahedron volume (times six) about any fixed point.
    """
    if edge_info.labels is not None:
        count, labels = edge_info.components, edge_info.labels
    else:
        count, labels = components(len(faces), edge_info.pair_a, edge_info.pair_b)
    if count == 1:
        signed = np.array([float(np.sum(face_volume6, dtype=np.float64)) / 6.0])
        inverted = int(signed[0] < 0)
        return Shells(1, 1, 0, inverted, abs(float(signed[0])))
    _, shell_of = np.unique(labels, return_inverse=True)
    signed = np.bincount(shell_of, weights=face_volume6, minlength=count) / 6.0
    if count > MAX_SHELLS_NESTED:
        complete = False
    else:
        closed = np.ones(count, dtype=bool)
        if len(edge_info.open_faces):
            closed[np.unique(shell_of[edge_info.open_faces])] = False
        depth, complete = _nesting(vertices, faces, shell_of, count, closed, signed)
        role_outer = depth % 2 == 0
    if complete:
        right_way = np.where(role_outer, signed >= 0, signed <= 0)
        inverted = int(np.count_nonzero(~right_way))
        volume = float(np.sum(np.where(role_outer, 1.0, -1.0) * np.abs(signed)))
    else:  # too many shells to test: a shell facing against the whole is a void
        total = float(signed.sum())
        role_outer = signed * (1.0 if total >= 0 else -1.0) >= 0
        right_way = np.full(count, total >= 0)
        inverted = count if total < 0 else 0
        volume = total
    face_outward = np.where(right_way, 1, -1).astype(np.int8)[shell_of]
    return Shells(
        count=count,
        bodies=max(1, int(np.count_nonzero(role_outer))),
        voids=int(np.count_nonzero(~role_outer)),
        inverted=inverted,
        volume_mm3=abs(volume),
        complete=complete,
        face_outward=face_outward,
        face_shell=shell_of.astype(np.int32),
        outer=np.asarray(role_outer, dtype=bool),
    )


def _nesting(vertices, faces, shell_of, count, closed, signed) -> tuple[np.ndarray, bool]:
    """For each shell, how many closed shells enclose it (ray parity from one of its points)."""
    order = np.argsort(shell_of, kind="stable")
    bounds = np.searchsorted(shell_of[order], np.arange(count + 1))
    corner = vertices[faces[order[bounds[:-1]], 0]].astype(np.float64)  # a point of each shell
    lo = np.full((count, 3), np.inf)
    hi = np.full((count, 3), -np.inf)
    step = 1 << 16  # facets at a time: never every corner of a large mesh in float64 at once
    for s in range(0, len(faces), step):
        tri = np.take(vertices, faces[s : s + step], axis=0).astype(np.float64)
        np.minimum.at(lo, shell_of[s : s + step], tri.min(axis=1))
        np.maximum.at(hi, shell_of[s : s + step], tri.max(axis=1))
    depth = np.zeros(count, dtype=np.int64)
    # an enclosing shell is closed and its box holds the other's box
    inside = np.all(lo[:, None, :] <= lo[None, :, :], axis=2) & np.all(hi[:, None, :] >= hi[None, :, :], axis=2)
    inside &= closed[:, None]
    np.fill_diagonal(inside, False)
    outer, inner = np.nonzero(inside)
    sizes = np.diff(bounds)
    if int(np.sum(sizes[outer])) * 3 > CONTAINMENT_MAX_TESTS:
        return depth, False
    # a direction no CAD edge or face runs along
    direction = np.array([0.5773502691896258, 0.5773502691896257, 0.5773502691896259])
    direction += np.array([0.0123, -0.0311, 0.0187])
    direction /= np.linalg.norm(direction)
    for shell in np.unique(outer):
        enclosed = inner[outer == shell]
        own = np.take(vertices, faces[order[bounds[shell] : bounds[shell + 1]]], axis=0).astype(np.float64)
        crossings = _crossings(corner[enclosed], direction, own)
        depth[enclosed] += crossings % 2
    return depth, True


def _crossings(origins: np.ndarray, direction: np.ndarray, tri: np.ndarray) -> np.ndarray:
    """How many of the triangles each ray (origin, direction) crosses (Möller–Trumbore)."""
    v0 = tri[:, 0]
    e1 = tri[:, 1] - v0
    e2 = tri[:, 2] - v0
    p = np.cross(direction, e2)
    det = np.einsum("ij,ij->i", e1, p)
    ok = np.abs(det) > 1e-300
    inv = np.divide(1.0, det, out=np.zeros_like(det), where=ok)
    hits = np.zeros(len(origins), dtype=np.int64)
    for i, origin in enumerate(origins):
        s = origin - v0
        u = np.einsum("ij,ij->i", s, p) * inv
        q = np.cross(s, e1)
        v = (q @ direction) * inv
        t = np.einsum("ij,ij->i", e2, q) * inv
        hits[i] = np.count_nonzero(ok & (u >= 0) & (v >= 0) & (u + v <= 1) & (t > 0))
    return hits
