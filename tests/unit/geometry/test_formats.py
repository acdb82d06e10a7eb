import struct
import zipfile

import pytest
from models import box, write_3mf, write_obj, write_stl

from geometry import formats
from geometry.formats import detect_format
from geometry.model import GeometryError


def test_binary_stl_by_size(tmp_path):
    path = write_stl(tmp_path / "part.bin", box())
    assert detect_format(path) == "stl_binary"


def test_binary_stl_with_solid_header_is_still_binary(tmp_path):
    path = tmp_path / "part.stl"
    write_stl(path, box())
    data = bytearray(path.read_bytes())
    data[:21] = b"solid exported by cad"
    path.write_bytes(bytes(data))
    assert detect_format(path) == "stl_binary"


def test_ascii_stl(tmp_path):
    assert detect_format(write_stl(tmp_path / "a.stl", box(), ascii=True)) == "stl_ascii"


@pytest.mark.parametrize("prefix", [b"", b"\xef\xbb\xbf", b"\n  \t"])
def test_step_by_magic(tmp_path, prefix):
    path = tmp_path / "x.bin"
    path.write_bytes(prefix + b"ISO-10303-21;\nHEADER;\nENDSEC;\n")
    assert detect_format(path) == "step"


def test_3mf_and_obj(tmp_path):
    assert detect_format(write_3mf(tmp_path / "a.3mf", box())) == "3mf"
    assert detect_format(write_obj(tmp_path / "a.obj", box())) == "obj"


def test_name_does_not_matter(tmp_path):
    path = write_obj(tmp_path / "looks.stl", box())
    assert detect_format(path) == "obj"


@pytest.mark.parametrize(
    "content, code",
    [
        (b"", "empty_model"),
        (b"hello world, not a model at all\x00\x01", "unknown_format"),
        (bytes(range(256)) * 4, "unknown_format"),
    ],
)
def test_refused(tmp_path, content, code):
    path = tmp_path / "bad"
    path.write_bytes(content)
    with pytest.raises(GeometryError) as err:
        detect_format(path)
    assert err.value.code == code


def test_missing_file(tmp_path):
    with pytest.raises(GeometryError) as err:
        detect_format(tmp_path / "nope.stl")
    assert err.value.code == "not_found"


def test_lying_count_names_the_sizes(tmp_path):
    path = tmp_path / "lie.stl"
    path.write_bytes(b"\x01" * 80 + struct.pack("<I", 1000) + b"\x00" * 50 * 3)
    with pytest.raises(GeometryError) as err:
        detect_format(path)
    assert "1,000 facets" in err.value.message and "234 bytes" in err.value.message


def test_facet_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(formats, "MAX_FACETS", 5)
    path = write_stl(tmp_path / "big.stl", box())
    with pytest.raises(GeometryError) as err:
        detect_format(path)
    assert err.value.code == "too_many_facets"


def test_zip_is_3mf_candidate(tmp_path):
    path = tmp_path / "z.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.txt", "x")
    assert detect_format(path) == "3mf"
