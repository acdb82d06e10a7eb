"""Slicing with PrusaSlicer: options, orientation, the G-code summary, and hostile models."""

from __future__ import annotations

import os
import shutil
import signal
import time

import numpy as np
import pytest
from models import box, write_stl

from geometry.analyze import mesh_of
from geometry.model import GeometryError
from geometry.sandbox import Sandbox
from geometry.slicer import (
    SliceOptions,
    SliceResult,
    orientation_matrix,
    parse_duration,
    read_summary,
    slice_model,
)

needs_slicer = pytest.mark.skipif(shutil.which("prusa-slicer") is None, reason="prusa-slicer is not installed")


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(preload=("geometry.slicer", "geometry.analyze"), warmup=()) as running:
        yield running


def test_durations_as_prusaslicer_writes_them():
    assert parse_duration("47m 32s") == 47 * 60 + 32
    assert parse_duration("2h 44m 3s") == 2 * 3600 + 44 * 60 + 3
    assert parse_duration("1d 0h 0m 5s") == 86405
    with pytest.raises(ValueError):
        parse_duration("soon")


def test_the_summary_comments_and_layers_are_read(tmp_path):
    gcode = tmp_path / "part.gcode"
    layers = "".join(f";LAYER_CHANGE\n;Z:{0.2 * i:.1f}\nG1 X1 Y1 E0.1\n;AFTER_LAYER_CHANGE\n" for i in range(1, 8))
    gcode.write_text(
        "G28\n" + layers + "; filament used [mm] = 4162.18\n; filament used [cm3] = 10.01\n"
        "; estimated printing time (normal mode) = 1h 2m 3s\n; prusaslicer_config = begin\n"
    )
    assert read_summary(gcode) == {
        "filament_mm": 4162.18, "filament_cm3": 10.01, "print_seconds": 3723.0, "layers": 7
    }
    gcode.write_text("G28\n")
    with pytest.raises(GeometryError) as caught:
        read_summary(gcode)
    assert caught.value.code == "slice_failed"


@pytest.mark.parametrize(
    "change,option",
    [({"infill_percent": 25}, "infill"), ({"layer_mm": 0.15}, "layer"), ({"orientation": "upside"}, "orientation"),
     ({"material": "../pla"}, "material")],
)
def test_options_outside_the_offer_are_refused(change, option):
    with pytest.raises(GeometryError) as caught:
        SliceOptions(**{"material": "pla", **change}).check()
    assert caught.value.code == "bad_slice_option" and caught.value.params["option"] == option


def _turned(triangles, orientation):
    mesh = mesh_of(triangles.astype(np.float64))
    turned = mesh.vertices @ orientation_matrix(mesh.vertices, mesh.faces, orientation).T
    return np.ptp(turned, axis=0)


def test_lying_flat_puts_a_standing_plate_on_its_large_face():
    plate = box((60.0, 4.0, 40.0))  # standing on its 60 × 4 edge
    assert _turned(plate, "as_uploaded")[2] == pytest.approx(40)
    assert _turned(plate, "flat")[2] == pytest.approx(4)


def test_fewest_supports_turns_a_t_over_onto_its_bar():
    # a T standing on its stem: the bar's underside overhangs; upside down it needs nothing
    stem = box((10.0, 10.0, 40.0), at=(0.0, 0.0, 0.0))
    bar = box((60.0, 10.0, 6.0), at=(-25.0, 0.0, 40.0))
    t_shape = np.concatenate([stem, bar])
    mesh = mesh_of(t_shape.astype(np.float64))
    turned = mesh.vertices @ orientation_matrix(mesh.vertices, mesh.faces, "fewest_supports").T
    low = turned[:, 2].min()
    near_bed = turned[np.abs(turned[:, 2] - low) < 1e-6]
    assert np.ptp(near_bed[:, 0]) == pytest.approx(60) or np.ptp(near_bed[:, 1]) == pytest.approx(60)


def test_a_missing_slicer_is_said_so(tmp_path):
    path = write_stl(tmp_path / "part.stl", box())
    with pytest.raises(GeometryError) as caught:
        slice_model(path, SliceOptions("pla"), slicer=str(tmp_path / "prusa-slicer"))
    assert caught.value.code == "slicer_missing"
    assert "slicer is not installed" in caught.value.message


@needs_slicer
def test_a_box_is_sliced_in_the_sandbox(tmp_path, sandbox):
    path = write_stl(tmp_path / "part.stl", box((20.0, 20.0, 10.0)))
    result = slice_model(path, SliceOptions("pla", layer_mm=0.2, infill_percent=20), sandbox=sandbox)
    assert isinstance(result, SliceResult)
    assert result.layers == 50 and result.height_mm == pytest.approx(10)
    assert 0 < result.mass_g < 4.0 * 1.24  # less than the solid 4 cm³
    assert result.mass_g == pytest.approx(result.filament_cm3 * 1.24)
    assert 60 < result.print_seconds < 3 * 3600
    solid = slice_model(path, SliceOptions("pla", infill_percent=100), sandbox=sandbox)
    assert solid.mass_g > result.mass_g * 1.5 and solid.print_seconds > result.print_seconds
    inches = slice_model(path, SliceOptions("pla", scale=2.0), sandbox=sandbox)
    assert inches.height_mm == pytest.approx(20) and inches.mass_g > result.mass_g * 4


def _slicer_processes() -> set[int]:
    found = set()
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as handle:
                    if b"prusa-slicer" in handle.read().split(b"\0")[0]:
                        found.add(int(pid))
            except OSError:
                pass
    return found


@needs_slicer
def test_a_slice_that_runs_too_long_is_ended_with_its_process_group(tmp_path):
    # a dense, tall mesh at the finest layer takes the slicer far longer than the limit
    rng = np.random.default_rng(1)
    spikes = rng.uniform(0, 200, size=(300_000, 3, 3)).astype(np.float32)
    path = write_stl(tmp_path / "spikes.stl", spikes)
    before = _slicer_processes()
    started = time.monotonic()
    with Sandbox(preload=("geometry.slicer", "geometry.analyze"), warmup=(), wall_seconds=4) as short:
        with pytest.raises(GeometryError) as caught:
            slice_model(path, SliceOptions("pla", layer_mm=0.1, infill_percent=40), sandbox=short)
        assert short.ping()  # the sandbox goes on serving
    assert caught.value.code == "slice_timeout" and caught.value.params == {"seconds": 4}
    assert time.monotonic() - started < 30
    deadline = time.monotonic() + 5
    while _slicer_processes() - before and time.monotonic() < deadline:
        time.sleep(0.1)
    leftover = _slicer_processes() - before
    for pid in leftover:  # do not leave one behind for the next test
        os.kill(pid, signal.SIGKILL)
    assert not leftover


@needs_slicer
def test_a_degenerate_model_is_a_clean_error(tmp_path, sandbox):
    flat = np.zeros((1000, 3, 3), dtype=np.float32)
    flat[:, 1, 0] = 1.0  # every facet a line: no area
    path = write_stl(tmp_path / "flat.stl", flat)
    with pytest.raises(GeometryError) as caught:
        slice_model(path, SliceOptions("pla"), sandbox=sandbox)
    assert caught.value.code in ("degenerate_model", "slice_failed")
