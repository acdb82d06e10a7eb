import struct

import numpy as np
import pytest
from models import box, sphere, write_stl

from geometry.model import GeometryError
from geometry.stl import read_ascii, read_binary, read_stl


def test_binary_round_trip(tmp_path):
    tri = sphere(2)
    path = write_stl(tmp_path / "s.stl", tri)
    got = read_binary(path)
    assert got.dtype == np.float32 and got.shape == tri.shape
    np.testing.assert_array_equal(got, tri.astype(np.float32))


def test_ascii_round_trip(tmp_path):
    tri = sphere(2)
    got = read_ascii(write_stl(tmp_path / "s.stl", tri, ascii=True))
    np.testing.assert_allclose(got, tri, atol=1e-6)


ONE = (
    b"solid t 123\n facet normal 1e-5 0 0\n  outer loop\n   vertex 1.5E+01 -2e-3 3\n"
    b"   vertex 1 2 3\n   vertex 4 5 6\n  endloop\n endfacet\nendsolid t 123\n"
)


def test_ascii_exponents_and_names_with_digits(tmp_path):
    path = tmp_path / "one.stl"
    path.write_bytes(ONE)
    np.testing.assert_array_equal(read_ascii(path), [[[15, -0.002, 3], [1, 2, 3], [4, 5, 6]]])


def test_ascii_upper_case_and_two_solids(tmp_path):
    path = tmp_path / "two.stl"
    path.write_bytes(ONE.upper() + ONE)
    got = read_ascii(path)
    assert got.shape == (2, 3, 3)
    np.testing.assert_array_equal(got[0], got[1])


@pytest.mark.parametrize(
    "content",
    [
        b"solid x\nendsolid x\n",
        ONE.replace(b"vertex 1 2 3", b"vertex 1 2 banana"),
        ONE.replace(b"vertex 1 2 3", b"vertex 1 2"),
        ONE.replace(b"endloop", b"endloop\n garbage here 12 \n"),
        ONE + b"\x00\x01\x02",
        b"solid " + bytes(range(1, 256)) * 10,
    ],
)
def test_ascii_garbage_is_refused(tmp_path, content):
    path = tmp_path / "bad.stl"
    path.write_bytes(content)
    with pytest.raises(GeometryError) as err:
        read_ascii(path)
    assert err.value.code == "invalid_stl"
    assert err.value.message.startswith("The STL file is damaged")


def test_truncated_binary_reads_as_failed_ascii(tmp_path):
    path = write_stl(tmp_path / "t.stl", box(), ascii=False)
    data = path.read_bytes()
    path.write_bytes(b"solid" + data[5:-30])
    with pytest.raises(GeometryError) as err:
        read_stl(path, "stl_ascii")
    assert "truncated" in err.value.message


def test_binary_count_mismatch(tmp_path):
    path = tmp_path / "lie.stl"
    path.write_bytes(b" " * 80 + struct.pack("<I", 7) + b"\0" * 50)
    with pytest.raises(GeometryError):
        read_binary(path)


def test_long_blank_runs_do_not_hang(tmp_path):
    path = tmp_path / "blank.stl"
    path.write_bytes(ONE.replace(b"endsolid", b"\n" * 2_000_000 + b"endsolid"))
    assert read_ascii(path).shape == (1, 3, 3)
    path.write_bytes(b"solid x\n" + b"facet normal " * 200_000)
    with pytest.raises(GeometryError):
        read_ascii(path)
