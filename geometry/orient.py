"""Orient each shell's facets consistently before its volume is taken.

A facet wound the other way from its neighbour (both run their shared edge the same way) adds
its tetrahedron with the wrong sign. As admesh does, the facets of each shell are visited
breadth-first over the edges they share with exactly one other facet, starting from the
shell's lowest-numbered facet, and each is wound to agree with the facet it was reached from.
Where that would turn most of a shell, the shell's other facets are turned instead: the
facets that disagree with most of their shell are the ones repaired. Whether a whole shell
faces inwards is decided afterwards, by the sign of its volume (`geometry.topology.shells`).

The breadth-first search runs level by level in numpy, so its cost is a few array operations
per level; it only runs on meshes that have misoriented edges.
"""

from __future__ import annotations

import numpy as np

from geometry.topology import Edges, components


def disagree(faces: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """For each pair of faces (a[i], b[i]) sharing an edge: True where both run it the same way."""
    fa = np.take(faces, a, axis=0)
    fb = np.take(faces, b, axis=0)
    same = np.zeros(len(a), dtype=bool)
    for k in range(3):
        for j in range(3):
            same |= (fa[:, k] == fb[:, j]) & (fa[:, (k + 1) % 3] == fb[:, (j + 1) % 3])
    return same


def turned_facets(n_faces: int, faces: np.ndarray, edge_info: Edges) -> np.ndarray:
    """A mask of the facets to turn so that every shell's facets agree with each other."""
    a = np.asarray(edge_info.pair_a, dtype=np.int64)
    b = np.asarray(edge_info.pair_b, dtype=np.int64)
    parity = disagree(faces, a, b)
    # adjacency in both directions, sorted by facet: neighbours of f are nb[start[f]:start[f+1]]
    src = np.concatenate((a, b))
    dst = np.concatenate((b, a))
    par = np.concatenate((parity, parity))
    order = np.argsort(src, kind="stable")
    dst, par = dst[order], par[order]
    start = np.searchsorted(src[order], np.arange(n_faces + 1))
    del src, order

    _, labels = components(n_faces, a.astype(np.int32), b.astype(np.int32))
    labels = np.asarray(labels, dtype=np.int64)
    seen = np.zeros(n_faces, dtype=bool)
    turn = np.zeros(n_faces, dtype=bool)
    frontier = np.flatnonzero(labels == np.arange(n_faces))  # each shell's lowest facet
    seen[frontier] = True
    while len(frontier):
        counts = start[frontier + 1] - start[frontier]
        origin = np.repeat(frontier, counts)
        offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        slots = np.repeat(start[frontier], counts) + offsets
        reached = dst[slots]
        fresh = ~seen[reached]
        reached, origin, flips = reached[fresh], origin[fresh], par[slots][fresh]
        reached, first = np.unique(reached, return_index=True)  # each facet from one parent
        turn[reached] = turn[origin[first]] ^ flips[first]
        seen[reached] = True
        frontier = reached
    # keep the majority of each shell as it is
    turned_per_shell = np.bincount(labels, weights=turn, minlength=n_faces)
    size = np.bincount(labels, minlength=n_faces)
    flip_shell = turned_per_shell * 2 > size
    return turn ^ flip_shell[labels]


def turn(faces: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """`faces` with the masked facets wound the other way (a new array)."""
    out = faces.copy()
    out[mask] = out[mask][:, ::-1]
    return out
