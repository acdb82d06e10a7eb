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


def test_points_welded_in_slices_are_welded_as_in_one_call():
    rng = np.random.default_rng(5)
    grid = rng.integers(0, 40, size=(90_000, 3)).astype(np.float32)  # many repeats
    grid[::7] *= -0.0  # and both zeros
    whole_unique, whole_inverse = native.weld(grid)
    welder = native.Welder(len(grid), np.float32)
    inverse = np.empty(len(grid), dtype=np.int32)
    for start in range(0, len(grid), 10_007):
        welder.feed(grid[start : start + 10_007], inverse[start : start + 10_007])
    np.testing.assert_array_equal(welder.close(), whole_unique)
    np.testing.assert_array_equal(inverse, whole_inverse)


def test_faces_joined_as_their_edges_are_found_are_the_components_of_their_pairs():
    from models import box, sphere

    from geometry.weld import weld

    tri = np.concatenate((sphere(3), box(at=(50.0, 0.0, 0.0)), box(at=(50.0, 0.0, 40.0))[:-1]))
    tri[5] = tri[5, ::-1]  # one facet wound the wrong way: a misoriented pair still joins
    vertices, inverse = weld(tri.reshape(-1, 3).copy())
    faces = inverse.reshape(-1, 3)
    paired = native.edges(faces, len(vertices))
    joined = native.edges(faces, len(vertices), joined=True)
    count, labels = native.components(len(faces), paired.pair_a, paired.pair_b)
    assert joined.components == count == 3
    np.testing.assert_array_equal(joined.labels, labels)
    assert (joined.open, joined.nonmanifold, joined.misoriented) == (paired.open, paired.nonmanifold, 3)
    np.testing.assert_array_equal(np.sort(joined.open_faces), np.sort(paired.open_faces))
