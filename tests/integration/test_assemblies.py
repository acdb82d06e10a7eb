"""A STEP assembly of a plate, two brackets and four bolts is three parts, not one milled block:
the file page lists them with their counts and cannot go in the cart as it is; one click makes a
file of each part (cut out in the sandbox, then analysed like an upload), quantity = its count;
or the owner says it is one assembled item and it is priced whole, saying so."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

from tests.integration.conftest import COMPANY, csrf_token, register
from tests.integration.test_cart import add_to_cart
from tests.integration.uploads import TOTAL, run_worker, upload_id, wait_final

cq = pytest.importorskip("cadquery")

PART = re.compile(r'data-testid="assembly-part" data-count="(\d+)">\s*(?:<a href="(/files/[0-9a-f-]{36})">)?'
                  r'(?:<strong>)?([^<]+)<')


def write_rig(path: Path, scale: float = 1.0) -> Path:
    """A plate, two brackets and four identical bolts, as a STEP assembly (`scale`: all of it
    smaller or larger)."""
    k = scale
    plate = cq.Workplane("XY").box(100 * k, 60 * k, 5 * k)
    bracket = cq.Workplane("XY").box(20 * k, 5 * k, 20 * k).faces(">Y").workplane().hole(5 * k)
    bolt = (cq.Workplane("XY").circle(2.5 * k).extrude(16 * k).faces(">Z").workplane()
            .polygon(6, 9 * k).extrude(3 * k))
    rig = cq.Assembly(name="rig")
    rig.add(plate, name="plate")
    rig.add(bracket, name="bracket", loc=cq.Location((-30 * k, 0, 12.5 * k)))
    rig.add(bracket, name="bracket_right", loc=cq.Location((30 * k, 0, 12.5 * k), (0, 0, 1), 180))
    for n, (x, y) in enumerate([(-40, -20), (40, -20), (-40, 20), (40, 20)]):
        rig.add(bolt, name=f"bolt{n}", loc=cq.Location((x * k, y * k, -8 * k)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        rig.save(str(path))
    return path


@pytest.fixture(scope="module")
def rig(tmp_path_factory) -> bytes:
    return write_rig(tmp_path_factory.mktemp("rig") / "rig.step").read_bytes()


async def ready_rig(client, settings, rig: bytes) -> str:
    file_id = await upload_id(client, "rig.step", rig)
    await run_worker(settings)
    status, _ = await wait_final(client, file_id)
    assert status == "ready"
    return file_id


async def test_an_assembly_becomes_its_parts_each_priced_with_its_count(client, settings, db, rig) -> None:
    await register(client, COMPANY)
    file_id = await ready_rig(client, settings, rig)
    page = (await client.get(f"/files/{file_id}")).text
    assert "This file holds 7 bodies of 3 different parts." in page
    assert [(count, name.strip()) for count, _, name in PART.findall(page)] == [
        ("1", "plate"), ("2", "bracket"), ("4", "bolt0")]
    assert TOTAL.search(page) is None and 'data-testid="add-to-cart"' not in page  # not one milled block
    refused = await add_to_cart(client, file_id)
    assert refused.status_code == 303 and refused.headers["location"] == f"/files/{file_id}"
    assert "several parts" in (await client.get(f"/files/{file_id}")).text

    token = await csrf_token(client, f"/files/{file_id}")
    split = await client.post(f"/files/{file_id}/split", data={"_csrf_token": token}, follow_redirects=False)
    assert split.status_code == 303
    await run_worker(settings)  # each part is cut out, then analysed
    page = (await client.get(f"/files/{file_id}")).text
    links = [link for _, link, _ in PART.findall(page)]
    assert len(links) == 3 and all(links)
    totals = []
    for link, quantity in zip(links, ("1", "2", "4"), strict=True):
        status, _ = await wait_final(client, link.rsplit("/", 1)[1])
        assert status == "ready"
        part_page = (await client.get(link)).text
        assert f'name="quantity" type="number" min="1" max="100000" step="1" inputmode="numeric"\n' \
               f'               value="{quantity}"' in part_page  # its count in the file
        totals.append(TOTAL.search(part_page).group(1))
        added = await add_to_cart(client, link.rsplit("/", 1)[1], quantity=quantity)
        assert added.headers["location"] == "/cart"
    cart = (await client.get("/cart")).text
    assert cart.count('data-testid="charge-setup"') == 3  # one per part design
    again = await client.post(f"/files/{file_id}/split", data={"_csrf_token": token}, follow_redirects=False)
    assert again.status_code == 303  # a second click (or a form sent twice) makes no more files
    page = (await client.get(f"/files/{file_id}")).text
    assert [link for _, link, _ in PART.findall(page)] == links


async def test_an_assembly_said_to_be_one_item_is_priced_whole(client, settings, rig) -> None:
    await register(client, COMPANY)
    file_id = await ready_rig(client, settings, rig)
    token = await csrf_token(client, f"/files/{file_id}")
    said = await client.post(f"/files/{file_id}/whole", data={"_csrf_token": token, "whole": "1"},
                             follow_redirects=False)
    assert said.status_code == 303
    page = (await client.get(f"/files/{file_id}?process=fdm&material=pla")).text  # bolts under a plate: not 3-axis
    assert TOTAL.search(page) and 'data-testid="priced-whole"' in page
    added = await add_to_cart(client, file_id, process="fdm", material="pla")
    assert added.headers["location"] == "/cart"


async def test_only_the_owner_splits_a_file(client, other_client, settings, rig) -> None:
    file_id = await ready_rig(client, settings, rig)
    await register(other_client, COMPANY)
    token = await csrf_token(other_client, "/")
    stranger = await other_client.post(f"/files/{file_id}/split", data={"_csrf_token": token})
    assert stranger.status_code == 404
