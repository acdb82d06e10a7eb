"""Facets wound against their neighbours are turned (breadth-first, as admesh) before the
volume is taken, in the compiled and the numpy passes alike."""

from __future__ import annotations

import numpy as np
import pytest
from models import box, sphere

from geometry.analyze import analyze_triangles
from geometry.measure import measure

pytestmark = pytest.mark.usefixtures("mesh_passes")


def _flipped(tri: np.ndarray, which) -> np.ndarray:
    out = np.array(tri, dtype=np.float64, copy=True)
    out[which] = out[which][:, ::-1]
    return out


@pytest.mark.parametrize("which", [[0], [0, 5], [1, 2, 7, 11], list(range(0, 12, 2))])
def test_box_with_flipped_facets_measures_its_true_volume(which):
    m = measure(_flipped(box((10, 20, 30)), which))
    assert m.volume_mm3 == pytest.approx(6000, rel=1e-9)
    assert m.misoriented_edges == 0 and m.turned_facets == len(which)
    if len(which) < 6:  # half and half: no majority, the shell may come out inside out
        assert not m.inverted


def test_the_minority_is_turned_even_when_the_first_facet_is_wrong():
    # seven of twelve facets flipped, facet 0 among them: the five others are the ones turned
    m = measure(_flipped(box(), [0, 1, 2, 3, 4, 5, 6]))
    assert m.turned_facets == 5
    assert m.volume_mm3 == pytest.approx(6000, rel=1e-9)


def test_each_shell_is_oriented_on_its_own():
    two = np.concatenate([_flipped(box(), [3]), _flipped(sphere(3), list(range(0, 400, 7)))])
    m = measure(two.astype(np.float32))
    assert m.bodies == 2 and m.misoriented_edges == 0
    assert m.turned_facets == 1 + len(range(0, 400, 7))
    assert m.volume_mm3 == pytest.approx(6000 + measure(sphere(3)).volume_mm3, rel=1e-6)


def test_the_finding_says_the_normals_were_repaired():
    analysis = analyze_triangles(_flipped(box(), [0, 5]), "stl", [])
    codes = {f.code: f for f in analysis.findings}
    assert "normals_repaired" in codes and codes["normals_repaired"].params["facets"] == 2
    assert "inconsistent_normals" not in codes
    assert analysis.volume_mm3 == pytest.approx(6000, rel=1e-9)
