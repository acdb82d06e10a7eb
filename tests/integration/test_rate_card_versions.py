"""Rate card versions: no version without a change, each version's changes, restoring an old one."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.db.models import RateCardVersion
from portal.quotes.ratecard_history import flat
from tests.integration.conftest import csrf_token
from tests.integration.test_quotes import editor_fields, staff_editor

RATE = "processes.cnc_milling.hourly_rate"
VAT = "vat_rate"


async def versions(db) -> list[RateCardVersion]:
    async with db() as session:
        return list((await session.scalars(select(RateCardVersion).order_by(RateCardVersion.number))).all())


async def save(client, changes: dict[str, str]):
    fields = editor_fields((await client.get("/admin/rates")).text)
    token = await csrf_token(client, "/admin/rates")
    return await client.post("/admin/rates", data={**fields, **changes, "_csrf_token": token}, follow_redirects=False)


def listed_changes(page: str, number: int) -> dict[str, str]:
    """The changes the versions list shows for one version: {key: "old → new"}."""
    item = page.split(f'data-number="{number}">', 1)[1].split('data-testid="rate-version"', 1)[0]
    found = re.findall(r'data-key="([^"]+)">[^<]*<span class="old">([^<]*)</span> → <span class="new">([^<]*)</span>',
                       item)
    return {key: f"{old} → {new}" for key, old, new in found}


async def test_saving_with_no_change_makes_no_version(client, db) -> None:
    await staff_editor(client, db)
    unchanged = await save(client, {})
    assert unchanged.status_code == 303 and await versions(db) == []
    assert "Nothing was changed" in (await client.get("/admin/rates")).text

    assert (await save(client, {RATE: "6400"})).status_code == 303
    assert (await save(client, {RATE: "6400.00"})).status_code == 303  # the same price, written otherwise
    assert [version.number for version in await versions(db)] == [1]


async def test_each_version_lists_exactly_what_it_changed_who_saved_it_and_when(client, db) -> None:
    await staff_editor(client, db)
    fields = editor_fields((await client.get("/admin/rates")).text)
    assert (await save(client, {RATE: "6400", VAT: "0.2"})).status_code == 303
    assert (await save(client, {VAT: "0.22"})).status_code == 303

    page = (await client.get("/admin/rates")).text
    assert listed_changes(page, 1) == {RATE: f"{fields[RATE]} → 6400", VAT: f"{fields[VAT]} → 0.2"}
    assert listed_changes(page, 2) == {VAT: "0.2 → 0.22"}
    assert "CNC milling" in page and "Machine rate per hour:" in page  # labels, not keys
    head = re.search(r'data-number="2">\s*<div class="rate-version-head">(.*?)</div>', page, re.S).group(1)
    assert "Maria Ivanova" in head
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", head)


async def test_an_old_version_is_restored_as_a_new_one(client, db) -> None:
    await staff_editor(client, db)
    assert (await save(client, {RATE: "6400"})).status_code == 303
    assert (await save(client, {RATE: "7000", VAT: "0.2"})).status_code == 303
    token = await csrf_token(client, "/admin/rates")
    restored = await client.post("/admin/rates/versions/1/restore", data={"_csrf_token": token},
                                 follow_redirects=False)
    assert restored.status_code == 303
    first, _, third = await versions(db)
    assert third.number == 3 and flat(third.data) == flat(first.data)
    page = (await client.get("/admin/rates")).text
    assert listed_changes(page, 3) == {RATE: "7000 → 6400", VAT: "0.2 → 0.22"}

    again = await client.post("/admin/rates/versions/3/restore", data={"_csrf_token": token}, follow_redirects=False)
    assert again.status_code == 303 and len(await versions(db)) == 3  # the card in use already
    missing = await client.post("/admin/rates/versions/99/restore", data={"_csrf_token": token})
    assert missing.status_code == 404


async def test_a_control_character_in_the_card_is_refused_next_to_its_field(client, db) -> None:
    await staff_editor(client, db)
    name = "processes.cnc_milling.name"
    refused = await save(client, {name: "CNC\x00 milling"})
    assert refused.status_code == 422 and await versions(db) == []
    assert "This field holds control characters" in refused.text
    assert re.search(rf'name="{re.escape(name)}"[^>]*aria-invalid="true"', refused.text)
