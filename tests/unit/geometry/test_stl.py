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


@pytest.mark.parametrize("units", [None, "in"])
def test_a_binary_stl_measured_as_it_is_read_gives_the_figures_of_its_whole_soup(tmp_path, units, mesh_passes):
    # more facets than one slice, odd counts, two bodies, a few facets wound the wrong way
    from geometry.analyze import measure_and_check
    from geometry.stl import SLICE_FACETS, BinaryStl

    big = sphere(6, 30.0)
    small = box(at=(100.0, 0.0, 0.0))
    small[::5] = small[::5, ::-1]
    tri = np.concatenate((big, big[:1234] + 200.0, small)).astype(np.float32)
    assert len(tri) > SLICE_FACETS
    path = write_stl(tmp_path / "m.stl", tri)
    streamed, streamed_mesh, _ = measure_and_check([BinaryStl(path)], "stl", units=units)
    whole, whole_mesh, _ = measure_and_check([read_binary(path)], "stl", units=units)
    assert streamed.as_dict() == whole.as_dict()
    np.testing.assert_array_equal(streamed_mesh.vertices, whole_mesh.vertices)
    np.testing.assert_array_equal(streamed_mesh.faces, whole_mesh.faces)


def test_a_binary_stl_read_in_slices_is_the_file(tmp_path):
    from geometry.stl import BinaryStl

    tri = sphere(6).astype(np.float32)  # 81,920 facets: three slices
    path = write_stl(tmp_path / "s.stl", tri)
    source = BinaryStl(path)
    np.testing.assert_array_equal(source.read(), tri)
    np.testing.assert_array_equal(source.sample(1000), tri[::1000])
    np.testing.assert_array_equal(source.scaled(25.4).sample(7), tri[::7] * np.float32(25.4))


def test_a_binary_stl_cut_short_while_it_is_read_is_refused(tmp_path):
    from geometry.stl import BinaryStl

    path = write_stl(tmp_path / "s.stl", sphere(6))
    source = BinaryStl(path)
    with open(path, "r+b") as fh:
        fh.truncate(84 + 50 * 50_000)
    with pytest.raises(GeometryError) as caught:
        source.read()
    assert caught.value.code == "stl_truncated"


MEMORY_CHILD = """
import sys
from geometry.tuning import tune_process
tune_process()
from geometry.analyze import analyze_file, default_limits
import geometry.dfm, geometry.machining, geometry.measure, geometry.parts, geometry.rays, geometry.units
default_limits()

def status(key):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key):
                return int(line.split()[1]) * 1024

with open("/proc/self/clear_refs", "w") as fh:
    fh.write("5")  # the peak starts again from here
before = status("VmRSS")
analyze_file(sys.argv[1])
print(status("VmHWM") - before)
"""


def test_measuring_a_large_binary_stl_takes_less_memory_than_a_few_copies_of_the_file(tmp_path):
    # 327,680 facets, 16 MB: the whole soup alone is 0.7 times the file, and the measures used to
    # add up to 4.5 times the file; read a slice at a time, they stay under 3 times
    import os
    import subprocess
    import sys
    from pathlib import Path

    path = write_stl(tmp_path / "big.stl", sphere(7, 30.0))
    root = Path(__file__).resolve().parents[3]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])))
    grown = int(subprocess.run([sys.executable, "-c", MEMORY_CHILD, str(path)], env=env, capture_output=True,
                               text=True, check=True).stdout)
    assert grown < 3 * path.stat().st_size, f"measuring took {grown / 1e6:.0f} MB more"
