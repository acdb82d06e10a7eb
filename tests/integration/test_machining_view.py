"""A milled part shows why it costs what it costs: a plate with holes from the top and a pocket
on the back has its sharp pocket corners coloured on a "Machining features" view of the model,
the milling price names its two setups, and the machining findings stay with milling (a printed
part has no cutter to reach the corners)."""

from __future__ import annotations

import re

import pytest

from tests.integration.uploads import run_worker, upload_id, wait_final

cq = pytest.importorskip("cadquery")


@pytest.fixture(scope="module")
def back_pocket(tmp_path_factory) -> bytes:
    """A 100 × 60 × 10 plate, three blind holes from the top, a sharp 40 × 20 pocket on the back."""
    part = (cq.Workplane("XY").box(100, 60, 10, centered=(True, True, False))
            .faces(">Z").workplane().pushPoints([(-30, 0), (30, 0), (0, 20)]).hole(6.8, 6)
            .faces("<Z").workplane().rect(40, 20).cutBlind(-4))
    path = tmp_path_factory.mktemp("machining") / "back_pocket.step"
    cq.exporters.export(part, str(path))
    return path.read_bytes()


async def ready(client, settings, data: bytes) -> str:
    file_id = await upload_id(client, "back_pocket.step", data)
    await run_worker(settings)
    status, page = await wait_final(client, file_id)
    assert status == "ready", page
    return file_id


async def panel(client, file_id: str, query: str) -> str:
    return (await client.get(f"/files/{file_id}/quote?{query}", headers={"HX-Request": "true"})).text


async def test_the_features_view_colours_the_sharp_corners(client, settings, back_pocket) -> None:
    file_id = await ready(client, settings, back_pocket)
    page = (await client.get(f"/files/{file_id}")).text
    assert 'data-testid="features-toggle"' in page and f"/files/{file_id}?view=features" in page

    glb = await client.get(f"/files/{file_id}/features.glb")
    assert glb.status_code == 200 and glb.headers["content-type"].startswith("model/gltf-binary")
    assert glb.content[:4] == b"glTF"

    view = (await client.get(f"/files/{file_id}?view=features")).text
    assert f'src="/files/{file_id}/features.glb"' in view
    legend = view.split('data-testid="features-legend"')[1].split("</div>")[0]
    assert 'data-feature="small_radius"' in legend and "Small inside radius" in legend
    assert 'data-feature="undercut"' not in legend  # only the kinds this part has

    russian = (await client.get(f"/files/{file_id}?view=features", headers={"Accept-Language": "ru"})).text
    assert "Малый внутренний радиус" in russian.split('data-testid="features-legend"')[1]


async def test_the_milling_price_names_its_setups_and_printing_drops_the_cutter_findings(
    client, settings, back_pocket
) -> None:
    file_id = await ready(client, settings, back_pocket)
    milling = await panel(client, file_id, "process=cnc_milling&material=al_6061&quantity=1")
    drivers = milling.split('data-testid="price-drivers"')[1].split("</ul>")[0]
    assert "2 setups (+Z, -Z)" in drivers
    assert re.search(r"3 holes", drivers)
    assert 'data-code="sharp_inside_corner"' in milling

    printing = await panel(client, file_id, "process=fdm&material=pla&quantity=1")
    assert 'data-testid="price-drivers"' in printing
    printed = printing.split('data-testid="price-drivers"')[1].split("</ul>")[0]
    assert "setups" not in printed and "Print time per part (estimated)" in printed
    assert 'data-code="sharp_inside_corner"' not in printing

    russian = (await client.get(f"/files/{file_id}/quote?process=cnc_milling&material=al_6061&quantity=1",
                                headers={"HX-Request": "true", "Accept-Language": "ru"})).text
    assert "2 установа (+Z, -Z)" in russian.split('data-testid="price-drivers"')[1]
