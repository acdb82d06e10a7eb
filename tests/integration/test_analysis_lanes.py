"""Measuring and drawing run in separate sandboxes: one file's pictures never hold up the next
file's price."""

from __future__ import annotations

import threading

import pytest

from geometry.pricing import load_rate_card
from portal.files.analysis import AnalysisFailed, ModelAnalyzer
from portal.quotes.services import default_card_data, limits_of
from tests.integration.hostile import HANG_DRAWING
from tests.integration.uploads import box_stl

pytestmark = pytest.mark.slow


def test_a_file_is_measured_while_another_ones_previews_are_still_drawn(tmp_path) -> None:
    limits = limits_of(load_rate_card(default_card_data()))
    slow = box_stl(tmp_path / "slow.stl")
    slow.write_bytes(HANG_DRAWING.ljust(80, b" ") + slow.read_bytes()[80:])  # the STL header carries it
    quick = box_stl(tmp_path / "quick.stl", (5.0, 6.0, 7.0))
    analyzer = ModelAnalyzer(1024, 6, 6, function="tests.integration.hostile:analyze")
    analyzer.start()
    try:
        assert analyzer.analyze(slow, limits, previews=False).metrics["volume_mm3"] > 0  # measures as usual
        drawn: list[Exception] = []

        def draw() -> None:
            with pytest.raises(AnalysisFailed) as failure:
                analyzer.analyze(slow, limits)
            drawn.append(failure.value)

        drawing = threading.Thread(target=draw)
        drawing.start()
        drawing.join(0.5)  # the drawing sandbox is now busy with the hanging child
        measured = analyzer.analyze(quick, limits, previews=False)
        assert drawing.is_alive(), "the drawing ended before the other file was measured"
        assert measured.metrics["volume_mm3"] == pytest.approx(210.0)
        drawing.join(30)
        assert drawn and drawn[0].code == "timeout"
    finally:
        analyzer.close()
