"""Instant first, exact next, on the quote panel: an FDM price shows at once as an estimate and
says so, the panel asks again while the worker slices, and then shows the slicer's price; other
processes say nothing of slicing; the print options are the panel's own."""

from __future__ import annotations

import re
import shutil

import pytest

from tests.integration.test_quotes import ready_file
from tests.integration.uploads import TOTAL, run_worker

pytestmark = pytest.mark.skipif(shutil.which("prusa-slicer") is None, reason="prusa-slicer is not installed")

SOURCE = re.compile(r'data-testid="price-source" data-source="([a-z]+)"')
FDM = "process=fdm&material=pla&infill=20&layer=0.2&orientation=as_uploaded&quantity=20"  # above the minimum


async def panel(client, file_id: str, query: str) -> str:
    answer = await client.get(f"/files/{file_id}/quote?{query}", headers={"HX-Request": "true"})
    assert answer.status_code == 200
    return answer.text


async def test_an_fdm_price_is_an_estimate_until_the_slice_is_made(client, settings, tmp_path) -> None:
    file_id = await ready_file(client, settings, tmp_path, size=(60.0, 40.0, 20.0))
    first = await panel(client, file_id, FDM)
    assert SOURCE.search(first).group(1) == "estimate"
    assert 'hx-trigger="load delay:2s"' in first  # the panel asks again
    estimate = TOTAL.search(first).group(1)
    assert (await panel(client, file_id, FDM)).count('data-source="estimate"') == 1  # not kept as final

    await run_worker(settings)  # the slice job the panel enqueued
    exact = await panel(client, file_id, FDM)
    assert SOURCE.search(exact).group(1) == "slicer"
    assert 'hx-trigger="load delay:2s"' not in exact  # and stops asking
    assert TOTAL.search(exact).group(1) != estimate

    denser = await panel(client, file_id, FDM.replace("infill=20", "infill=100"))
    assert SOURCE.search(denser).group(1) == "estimate"  # other settings: another slice
    await run_worker(settings)
    solid = await panel(client, file_id, FDM.replace("infill=20", "infill=100"))
    assert SOURCE.search(solid).group(1) == "slicer"
    assert float(TOTAL.search(solid).group(1)) > float(TOTAL.search(exact).group(1))


async def test_print_options_belong_to_fdm_only(client, settings, tmp_path) -> None:
    file_id = await ready_file(client, settings, tmp_path)
    printed = await panel(client, file_id, FDM)
    assert 'id="q-infill"' in printed and 'id="q-layer"' in printed and 'id="q-orientation"' in printed
    milled = await panel(client, file_id, "process=cnc_milling&infill=100")
    assert 'id="q-infill"' not in milled and SOURCE.search(milled) is None
    odd = await panel(client, file_id, FDM.replace("infill=20", "infill=55"))
    assert re.search(r'<option value="20" selected>', odd)  # not on offer: the material's default
