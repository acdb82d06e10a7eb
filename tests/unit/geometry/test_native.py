"""The compiled mesh passes: built with the suite's install, and careful with what they are handed.

That they give the numpy passes' answers is tested with every mesh in test_measure.py and
test_shells.py, which run once with each."""

import numpy as np
import pytest

from geometry import native


def test_the_compiled_passes_are_built_and_used():
    # the portal's speed figures assume them: an install without a C compiler falls back to numpy
    assert native.AVAILABLE, "geometry._native is not built: `make install` builds it (it needs gcc)"
    assert native.enabled()


def test_vertex_numbers_out_of_range_are_refused_not_read():
    with pytest.raises(ValueError, match="out of range"):
        native.edges(np.array([[0, 1, 5]], dtype=np.int32), 3)
    with pytest.raises(ValueError, match="out of range"):
        native.edges(np.array([[0, -1, 2]], dtype=np.int32), 3)
    with pytest.raises(ValueError, match="out of range"):
        native.components(2, np.array([0], dtype=np.int32), np.array([2], dtype=np.int32))


def test_buffers_of_the_wrong_size_are_refused():
    from geometry import _native

    points = np.zeros((4, 3), dtype=np.float32)
    with pytest.raises(ValueError, match="inverse"):
        _native.weld(points, False, np.empty(3, dtype=np.int32))
    with pytest.raises(ValueError, match="points"):
        _native.weld(np.zeros(7, dtype=np.float32), False, np.empty(2, dtype=np.int32))
    with pytest.raises(ValueError, match="b: expected 8 bytes"):
        _native.components(3, np.array([0, 1], dtype=np.int32), np.array([1], dtype=np.int32))


def test_an_empty_mesh_and_a_lone_point():
    unique, inverse = native.weld(np.zeros((0, 3), dtype=np.float64))
    assert unique.shape == (0, 3) and len(inverse) == 0
    found = native.edges(np.zeros((0, 3), dtype=np.int32), 0)
    assert (found.open, found.nonmanifold, found.misoriented, len(found.pair_a)) == (0, 0, 0, 0)
    assert native.components(1, np.empty(0, np.int32), np.empty(0, np.int32))[0] == 1


def test_a_soup_of_distinct_points_grows_the_table_and_keeps_every_point():
    points = np.random.default_rng(3).random((50_000, 3))  # no two equal: the table must grow
    unique, inverse = native.weld(points)
    assert len(unique) == len(points)
    np.testing.assert_array_equal(unique[inverse], points)
