"""The rate card editor: every kind of entry added and removed, removals the rest of the card
still depends on refused beside the Remove box, and the price preview (which saves nothing)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from geometry.pricing import load_rate_card
from portal.db.models import ModelFile, RateCardVersion
from tests.integration.conftest import csrf_token
from tests.integration.test_quotes import editor_fields, invalid, post_quote, ready_file, staff_editor, total

NEW_PROCESS = {"new.processes.code": "cnc_5axis", "new.processes.name": "CNC milling (5-axis)",
               "new.processes.name_ru": "Фрезерование с ЧПУ (5 осей)", "new.processes.based_on": "cnc_milling"}
NEW_TOLERANCE = {"new.tolerances.code": "iso2768_v", "new.tolerances.name": "ISO 2768-v (very coarse)",
                 "new.tolerances.name_ru": "ISO 2768-v (очень грубый)", "new.tolerances.multiplier": "0.9",
                 "new.tolerances.processes": "cnc_milling, fdm"}
NEW_BREAK = {"new.quantity_breaks.quantity": "75", "new.quantity_breaks.discount": "0.14"}
NEW_MATERIAL = {"new.processes.sla.materials.code": "castable", "new.processes.sla.materials.name": "Castable wax",
                "new.processes.sla.materials.class": "resin", "new.processes.sla.materials.density_g_cm3": "1.1",
                "new.processes.sla.materials.price_per_kg": "30000", "new.processes.sla.materials.factor": "0.8"}
NEW_FINISH = {"new.finishes.code": "chromate", "new.finishes.name": "Chromate conversion",
              "new.finishes.per_part": "150", "new.finishes.per_cm2": "0.5", "new.finishes.extra_days": "2",
              "new.finishes.processes": "cnc_milling", "new.finishes.material_classes": "aluminium"}
NEW_LEAD_TIME = {"new.lead_times.code": "slow", "new.lead_times.name": "Slow", "new.lead_times.multiplier": "0.8",
                 "new.lead_times.days": "25"}


async def cards(db) -> list[dict]:
    async with db() as session:
        rows = (await session.scalars(select(RateCardVersion).order_by(RateCardVersion.number))).all()
        return [row.data for row in rows]


async def post_editor(client, changes: dict, path: str = "/admin/rates", htmx: bool = False):
    fields = editor_fields((await client.get("/admin/rates")).text)
    token = await csrf_token(client, "/admin/rates")
    headers = {"HX-Request": "true"} if htmx else {}
    return await client.post(path, data={**fields, **changes, "_csrf_token": token}, headers=headers,
                             follow_redirects=False)


def remove_error(group: str, page: str) -> str | None:
    """The message beside a Remove box, if any (and the box marked invalid)."""
    box = re.search(rf'value="{re.escape(group)}" name="remove"[^>]*aria-invalid="true"', page)
    message = re.search(rf'value="{re.escape(group)}" name="remove".*?data-testid="remove-error">([^<]+)<', page, re.S)
    return message.group(1) if box and message else None


def marked(name: str, page: str) -> bool:
    return re.search(rf'name="{re.escape(name)}"(?: value="[^"]*")?\s+aria-invalid="true"', page) is not None


async def test_each_kind_of_entry_is_added_and_removed(client, db) -> None:
    await staff_editor(client, db)
    added = await post_editor(client, {**NEW_PROCESS, **NEW_TOLERANCE, **NEW_BREAK, **NEW_MATERIAL, **NEW_FINISH,
                                       **NEW_LEAD_TIME})
    assert added.status_code == 303, added.text
    assert added.headers["location"] == "/admin/rates"
    [card] = await cards(db)
    priced = load_rate_card(card)  # the reader that prices quotes takes it
    process = priced.process("cnc_5axis")
    assert process.name == "CNC milling (5-axis)" and process.name_ru == "Фрезерование с ЧПУ (5 осей)"
    milling = priced.process("cnc_milling")
    assert process.hourly_rate == milling.hourly_rate and [m.id for m in process.materials] == [
        m.id for m in milling.materials]  # a copy, to change after saving
    assert {t.id for t in priced.tolerances_for("cnc_5axis")} == {
        t.id for t in priced.tolerances_for("cnc_milling")} - {"iso2768_v"}  # the new class names only milling
    assert [t.id for t in priced.tolerances][:2] == ["iso2768_v", "iso2768_c"]  # loosest first
    assert [b.quantity for b in priced.quantity_breaks][5:7] == [75, 100] and priced.discount_for(80) == Decimal(
        "0.14")
    assert priced.process("sla").material("castable").name == "Castable wax"
    assert priced.finish("chromate").material_classes == ("aluminium",)
    assert priced.lead_times[0].id == "slow"

    page = (await client.get("/admin/rates")).text
    assert 'id="panel-process-cnc_5axis"' in page and "CNC milling (5-axis)" in page
    assert "From 75 parts" in page  # a break is headed by its quantity, not its place in the list
    version = page.split('data-number="1">', 1)[1]
    assert 'data-key="quantity_breaks.75"' in version and 'data-key="quantity_breaks.100.discount"' not in version

    fields = editor_fields(page)
    breaks = {fields[f"quantity_breaks[{i}].quantity"]: f"quantity_breaks[{i}]" for i in range(10)}
    tolerance = next(key[:-3] for key, value in fields.items() if key.endswith("].id") and value == "iso2768_v")
    lead_time = next(key[:-3] for key, value in fields.items() if key.endswith("].id") and value == "slow")
    everything = [
        "processes.cnc_5axis", tolerance, breaks["75"], "processes.sla.materials.castable", "finishes.chromate",
        lead_time]
    still_named = await post_editor(client, {"remove": everything})
    assert still_named.status_code == 422  # the copy is offered with milling's finishes and tolerances
    assert "finish Bead blasting, matte" in remove_error("processes.cnc_5axis", still_named.text)
    unnamed = {key: ", ".join(p for p in value.split(", ") if p != "cnc_5axis") for key, value in fields.items()
               if key.endswith(".processes")}
    removed = await post_editor(client, {**unnamed, "remove": everything})
    assert removed.status_code == 303, removed.text
    after = load_rate_card((await cards(db))[-1])
    assert after.process("cnc_5axis") is None and after.tolerance("iso2768_v") is None
    assert 75 not in [b.quantity for b in after.quantity_breaks] and after.finish("chromate") is None
    assert after.process("sla").material("castable") is None and after.lead_time("slow") is None
    assert all("cnc_5axis" not in f.processes for f in after.finishes)


async def test_removing_what_the_card_still_uses_is_refused_beside_its_remove_box(client, db) -> None:
    await staff_editor(client, db)
    used_process = await post_editor(client, {"remove": "processes.sla"})
    assert used_process.status_code == 422
    message = remove_error("processes.sla", used_process.text)
    assert message and "finish Sanded, layer lines removed" in message
    assert "tolerance class ISO 2768-f (fine)" in message
    assert marked("finishes.sanded.processes", used_process.text)  # where it is named
    assert marked("tolerances[2].processes", used_process.text)
    assert 'id="panel-process-sla" data-testid="rate-panel" open' in used_process.text
    assert "This names SLA resin printing, which you are removing." in used_process.text

    default = await post_editor(client, {"remove": "tolerances[1]"})
    assert default.status_code == 422
    assert "the default tolerance" in remove_error("tolerances[1]", default.text)
    assert marked("default_tolerance", default.text)
    no_class = await post_editor(client, {"default_tolerance": "iso2768_f",
                                          "remove": ["tolerances[0]", "tolerances[1]"]})
    assert no_class.status_code == 422  # FDM and SLS printing are offered only these two
    assert remove_error("tolerances[1]", no_class.text) == (
        "Not removed: FDM printing would have no tolerance class left.")
    last_material = await post_editor(client, {"remove": [f"processes.sls.materials.{m}"
                                                          for m in ("pa12", "pa11", "pa12_gf")]})
    assert last_material.status_code == 422
    assert remove_error("processes.sls.materials.pa11", last_material.text) == (
        "Not removed: a process needs at least one material.")
    first_break = await post_editor(client, {"remove": "quantity_breaks[0]"})
    assert first_break.status_code == 422
    assert remove_error("quantity_breaks[0]", first_break.text) == "Not removed: the quantity breaks start at 1 part."
    assert await cards(db) == []  # nothing saved by any of them

    # taken out of the finishes and tolerance classes in the same form, the process goes
    fields = editor_fields((await client.get("/admin/rates")).text)
    unnamed = {key: ", ".join(p for p in value.split(", ") if p != "sla") for key, value in fields.items()
               if key.endswith(".processes")}
    gone = await post_editor(client, {**unnamed, "remove": "processes.sla"})
    assert gone.status_code == 303, gone.text
    assert load_rate_card((await cards(db))[-1]).process("sla") is None


async def test_a_new_entry_that_would_not_price_is_refused_on_its_field(client, db) -> None:
    await staff_editor(client, db)
    slug = await post_editor(client, {**NEW_PROCESS, "new.processes.code": "5-axis milling"})
    assert slug.status_code == 422 and invalid("new.processes.code", "5-axis milling", slug.text)
    assert "Enter a code of up to 40 Latin letters, digits and underscores." in slug.text
    too_long = await post_editor(client, {**NEW_PROCESS, "new.processes.code": "x" * 41})
    assert too_long.status_code == 422 and marked("new.processes.code", too_long.text)
    taken = await post_editor(client, {**NEW_PROCESS, "new.processes.code": "fdm"})
    assert taken.status_code == 422 and "The code fdm is already used here" in taken.text
    unnamed = await post_editor(client, {**NEW_PROCESS, "new.processes.name": ""})
    assert unnamed.status_code == 422 and marked("new.processes.name", unnamed.text)
    no_source = await post_editor(client, {**NEW_PROCESS, "new.processes.based_on": ""})
    assert no_source.status_code == 422 and marked("new.processes.based_on", no_source.text)
    assert "Choose the process to copy." in no_source.text
    not_a_number = await post_editor(client, {**NEW_TOLERANCE, "new.tolerances.multiplier": "abc"})
    assert not_a_number.status_code == 422 and invalid("new.tolerances.multiplier", "abc", not_a_number.text)
    unknown = await post_editor(client, {**NEW_TOLERANCE, "new.tolerances.processes": "cnc_milling, laser"})
    assert unknown.status_code == 422 and invalid("new.tolerances.processes", "cnc_milling, laser", unknown.text)
    assert "names an unknown process" in unknown.text
    twice = await post_editor(client, {**NEW_BREAK, "new.quantity_breaks.quantity": "100"})
    assert twice.status_code == 422 and invalid("new.quantity_breaks.quantity", "100", twice.text)
    assert "There is a break from 100 parts already" in twice.text
    smaller = await post_editor(client, {**NEW_BREAK, "new.quantity_breaks.discount": "0.5"})
    assert smaller.status_code == 422 and invalid("new.quantity_breaks.discount", "0.5", smaller.text)
    assert "discount for 100 must not be below that for 75" in smaller.text
    assert await cards(db) == []
    in_order = await post_editor(client, {**NEW_TOLERANCE, "new.tolerances.multiplier": "1.1"})
    assert in_order.status_code == 303  # placed between m (1.0) and f (1.25), where it is in order
    assert [t["id"] for t in (await cards(db))[-1]["tolerances"]][1:4] == ["iso2768_m", "iso2768_v", "iso2768_f"]


@pytest.mark.slow
async def test_the_preview_shows_old_and_new_prices_of_recent_quotes_and_saves_nothing(
    client, other_client, settings, db, tmp_path
) -> None:
    file_id = await ready_file(client, settings, tmp_path)
    shown = await post_quote(client, file_id, {"process": "cnc_milling", "material": "al_6061", "quantity": "3"})
    assert shown.status_code == 200
    async with db() as session:
        before = await session.get(ModelFile, file_id)
        remembered = (before.last_total, before.updated_at)
    await staff_editor(other_client, db)
    fields = editor_fields((await other_client.get("/admin/rates")).text)
    rate = Decimal(fields["processes.cnc_milling.hourly_rate"])
    dearer = {"processes.cnc_milling.hourly_rate": str(rate * 2), **NEW_BREAK}

    page = await post_editor(other_client, dearer, path="/admin/rates/preview")
    assert page.status_code == 200
    assert f'name="processes.cnc_milling.hourly_rate" value="{rate * 2}"' in page.text  # the edits stay in the form
    assert 'name="new.quantity_breaks.quantity" value="75"' in page.text
    [row] = re.findall(r'data-testid="rate-preview-row">(.*?)</tr>', page.text, re.S)
    assert "part.stl" in row and "CNC milling (3-axis)" in row and "Aluminium 6061-T6" in row
    old = Decimal(re.search(r'data-testid="old-price">[^\d]*([\d,]+\.\d\d)', row).group(1).replace(",", ""))
    new = Decimal(re.search(r'data-testid="new-price">[^\d]*([\d,]+\.\d\d)', row).group(1).replace(",", ""))
    assert new > old and re.search(r'data-testid="price-change">\+\d', row)
    assert old == remembered[0]  # the card in use prices as the panel did

    fragment = await post_editor(other_client, dearer, path="/admin/rates/preview", htmx=True)
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert fragment.text.lstrip().startswith('<div id="rate-preview"') and "data-testid=\"new-price\"" in fragment.text

    refused = await post_editor(other_client, {"processes.cnc_milling.hourly_rate": "cheap"}, "/admin/rates/preview",
                                htmx=True)
    assert refused.status_code == 200 and "cannot price a quote" in refused.text
    assert 'href="#rate-processes-cnc_milling-hourly_rate"' in refused.text and "new-price" not in refused.text
    refused_page = await post_editor(other_client, {"processes.cnc_milling.hourly_rate": "cheap"},
                                     "/admin/rates/preview")
    assert refused_page.status_code == 422 and invalid("processes.cnc_milling.hourly_rate", "cheap", refused_page.text)

    assert await cards(db) == []  # nothing saved by a preview
    async with db() as session:
        after = await session.get(ModelFile, file_id)
        assert (after.last_total, after.updated_at) == remembered
    again = await post_quote(client, file_id, {"process": "cnc_milling", "material": "al_6061", "quantity": "3"})
    assert total(again.text) == remembered[0]  # the customer's price is as it was


async def test_with_no_priced_quote_the_preview_says_there_is_nothing_to_compare(client, db) -> None:
    await staff_editor(client, db)
    page = await post_editor(client, {}, path="/admin/rates/preview")
    assert page.status_code == 200 and "No quote has been priced yet" in page.text


async def test_only_staff_reach_the_preview(client, db) -> None:
    from tests.integration.conftest import PERSON, login, register

    await register(client, {**PERSON, "email": "buyer@example.com"})
    await login(client, "buyer@example.com", PERSON["password"])
    token = await csrf_token(client, "/")
    answer = await client.post("/admin/rates/preview", data={"_csrf_token": token}, follow_redirects=False)
    assert answer.status_code == 404
