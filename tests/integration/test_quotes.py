"""The quote panel: options, units, manual review, the rate card and its versions."""

from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import update

from jobs.inline import InlineRunner
from portal.db.models import User
from tests.integration.conftest import COMPANY, PERSON, csrf_token, register
from tests.integration.uploads import TOTAL, box_stl, run_worker, upload_id

SIZE = re.compile(r'data-testid="part-size">([^<]+)<')


async def ready_file(client, settings, tmp_path, size=(10.0, 20.0, 30.0), name="part.stl") -> str:
    file_id = await upload_id(client, name, box_stl(tmp_path / name, size).read_bytes())
    await run_worker(settings)
    return file_id


async def post_quote(client, file_id: str, data: dict, htmx: bool = True):
    """What the panel does on a change: with htmx, it asks for the panel by GET and then keeps the
    choice (answered 204); without, the form posts and is sent to the file page."""
    token = await csrf_token(client, f"/files/{file_id}")
    if not htmx:
        return await client.post(f"/files/{file_id}/quote", data={**data, "_csrf_token": token},
                                 follow_redirects=False)
    panel = await client.get(f"/files/{file_id}/quote", params=data, headers={"HX-Request": "true"})
    kept = await client.post(f"/files/{file_id}/quote", data=data,
                             headers={"x-csrftoken": token, "HX-Request": "true"})
    assert kept.status_code == 204, kept.text
    return panel


async def answer_units(client, file_id: str, units: str, htmx: bool = True, **options):
    """The owner's answer to the units question (the form carries the panel's options)."""
    token = await csrf_token(client, f"/files/{file_id}")
    data = {"units": units, **options}
    if not htmx:
        return await client.post(f"/files/{file_id}/units", data={**data, "_csrf_token": token})
    return await client.post(f"/files/{file_id}/units", data=data,
                             headers={"x-csrftoken": token, "HX-Request": "true"})


def total(text: str) -> Decimal:
    match = TOTAL.search(text)
    assert match, text
    return Decimal(match.group(1))


async def make_staff(db, email: str) -> None:
    async with db() as session:
        await session.execute(update(User).where(User.email == email).values(is_staff=True))
        await session.commit()


@pytest.mark.slow
async def test_changing_the_quantity_changes_the_price_and_is_remembered(client, settings, tmp_path) -> None:
    file_id = await ready_file(client, settings, tmp_path)
    unpriced = await client.get("/files")  # ready, never opened: the price it opens with
    opening = total((await client.get(f"/files/{file_id}")).text)
    assert f'<a href="/files/{file_id}">₽{opening:,.2f}</a>' in unpriced.text
    one = total((await post_quote(client, file_id, {"process": "cnc_milling", "material": "al_6061",
                                                      "quantity": "1"})).text)
    ten = await post_quote(client, file_id, {"process": "cnc_milling", "material": "al_6061", "quantity": "10"})
    assert total(ten.text) > one
    assert "<html" not in ten.text  # the fragment alone
    listing = await client.get("/files")
    assert f"₽{total(ten.text):,.2f}" in listing.text  # the last price seen, on the list
    page = await client.get(f"/files/{file_id}")
    assert 'value="10"' in page.text


async def test_a_plain_form_posts_and_lands_on_the_page_with_the_options(client, settings, tmp_path) -> None:
    file_id = await ready_file(client, settings, tmp_path)
    response = await post_quote(client, file_id, {"process": "fdm", "material": "petg", "quantity": "3"}, htmx=False)
    assert response.status_code == 303
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["process"] == ["fdm"] and query["quantity"] == ["3"]
    page = await client.get(response.headers["location"])
    assert "PETG" in page.text and total(page.text) > 0


@pytest.mark.slow
async def test_a_cheaper_if_suggestion_applies_in_one_click(client, settings, tmp_path) -> None:
    file_id = await ready_file(client, settings, tmp_path)
    base = await post_quote(client, file_id, {"process": "cnc_milling", "material": "al_6061", "quantity": "1"})
    assert 'name="apply" value="quantity:5"' in base.text
    cheaper = await post_quote(client, file_id, {"process": "cnc_milling", "material": "al_6061", "quantity": "1",
                                                 "apply": "quantity:5"})
    assert 'value="5"' in cheaper.text


async def test_options_that_do_not_fit_are_disabled_with_the_reason(client, settings, tmp_path) -> None:
    file_id = await ready_file(client, settings, tmp_path, size=(200.0, 160.0, 150.0))
    page = await post_quote(client, file_id, {"process": "sla", "material": "standard_grey"})
    assert re.search(r'<option value="sla"[^>]*disabled[^>]*>SLA resin printing — too large', page.text)
    assert 'value="cnc_milling" selected' in page.text  # fell back to one that fits
    assert 'value="pla"' not in page.text  # materials of the chosen process only


async def test_wrong_units_are_asked_about_and_one_click_rescales(client, settings, tmp_path) -> None:
    file_id = await ready_file(client, settings, tmp_path, size=(0.5, 0.4, 0.3))
    page = await client.get(f"/files/{file_id}")
    assert 'data-testid="units-question"' in page.text
    assert re.search(r'<input type="radio" name="units" value="in"', page.text)
    rescaled = await answer_units(client, file_id, "in", process="cnc_milling", material="al_6061")
    assert SIZE.search(rescaled.text).group(1).startswith("12.7 × 10.2 × 7.6")
    assert re.search(r'name="units" value="in" checked', rescaled.text)
    assert re.search(r'name="units" value="mm"\s*>', rescaled.text)  # and back
    assert total(rescaled.text) > 0
    again = await client.get(f"/files/{file_id}")  # the answer is kept for the file
    assert SIZE.search(again.text).group(1).startswith("12.7 × 10.2 × 7.6")


@pytest.mark.slow
async def test_the_thin_wall_is_rescaled_with_the_units(client, settings, tmp_path) -> None:
    file_id = await ready_file(client, settings, tmp_path, size=(0.5, 0.4, 0.03))
    page = await client.get(f"/files/{file_id}?units=mm")  # read as millimetres (inches are pre-selected)
    assert "Walls down to 0.03 mm thick" in page.text and "CNC milling (3-axis) needs at least 0.8 mm" in page.text
    assert "SLA resin printing needs" not in page.text  # the chosen process's finding only
    rescaled = await answer_units(client, file_id, "in", process="cnc_milling", material="al_6061")
    assert "Walls down to 0.76 mm thick" in rescaled.text  # 0.03 inch
    assert "near x=4.2, y=3.4, z=0.4 mm" in rescaled.text
    assert "CNC milling (3-axis) needs at least 0.8 mm" in rescaled.text
    assert "SLA resin printing needs" not in rescaled.text  # 0.76 mm is enough for its 0.6 mm


async def test_rate_card_names_are_in_russian_on_russian_pages(client, settings, tmp_path) -> None:
    file_id = await ready_file(client, settings, tmp_path)
    client.cookies.set("lang", "ru", domain="testserver.local")
    panel = (await post_quote(client, file_id, {"process": "cnc_milling", "material": "al_6061",
                                                "finish": "anodize_black", "lead_time": "standard"})).text
    assert re.search(r'<option value="cnc_milling" selected\s*>Фрезерование с ЧПУ \(3 оси\)<', panel)
    assert 'value="pla"' not in panel  # a printing material is not listed for milling
    for line in ("Материал: Алюминий АД33 (6061-T6)", "Обработка поверхности: Анодирование, чёрное",
                 ">ISO 2768-m (средний)<", ">Стандартный<"):
        assert line in panel, line
    assert "CNC milling" not in panel and "Aluminium 6061" not in panel and "Standard<" not in panel
    home = (await client.get("/")).text
    assert "Токарная обработка с ЧПУ" in home and "Сталь 45 (1045)" in home and "Срочный" in home
    assert "CNC turning" not in home


async def test_a_part_too_large_for_everything_asks_for_manual_review(client, other_client, settings, db,
                                                                      tmp_path) -> None:
    await register(client)
    file_id = await ready_file(client, settings, tmp_path, size=(2000.0, 1500.0, 900.0))
    page = await client.get(f"/files/{file_id}")
    assert 'data-testid="needs-review"' in page.text and 'data-testid="quote-total"' not in page.text
    token = await csrf_token(client, f"/files/{file_id}")
    asked = await client.post(f"/files/{file_id}/review", data={"_csrf_token": token, "message": "Please",
                                                                "process": "cnc_milling", "material": "al_6061"},
                              follow_redirects=False)
    assert asked.status_code == 303

    await register(other_client, COMPANY)
    await make_staff(db, COMPANY["email"])
    await other_client.post("/logout", data={"_csrf_token": await csrf_token(other_client, "/")})
    from tests.integration.conftest import login

    await login(other_client, COMPANY["email"], COMPANY["password"])
    queue = await other_client.get("/admin/reviews")
    assert queue.status_code == 200 and "part.stl" in queue.text
    assert "Process: CNC milling (3-axis)" in queue.text and "process: cnc_milling" not in queue.text  # names, not ids
    request_id = re.search(r'/admin/reviews/([0-9a-f-]{36})', queue.text).group(1)
    token = await csrf_token(other_client, "/admin/reviews")
    bad = await other_client.post(f"/admin/reviews/{request_id}", data={"_csrf_token": token, "price": "lots"})
    assert bad.status_code == 422 and "positive number" in bad.text and "Material: Aluminium" in bad.text
    good = await other_client.post(f"/admin/reviews/{request_id}", data={"_csrf_token": token, "price": "125000",
                                                                         "answer": "Welded from two parts"},
                                   follow_redirects=False)
    assert good.status_code == 303
    page = await client.get(f"/files/{file_id}")
    assert "125,000.00" in page.text and "Welded from two parts" in page.text

    other_client.cookies.set("lang", "ru", domain="testserver.local")
    answered = (await other_client.get("/admin/reviews?status=answered")).text
    # the list's filter names the requests ("open ones"), not the verb "Открыть" of a link that opens something
    assert re.search(r'status=open"\s*>Открытые</a>', answered) and ">Открыть<" not in answered
    assert re.search(r'status=answered"\s*aria-current="page"\s*>С ответом</a>', answered)


@pytest.mark.slow
async def test_the_rate_card_names_the_bad_field_and_a_new_version_prices_at_once(
    client, other_client, settings, db, tmp_path
) -> None:
    file_id = await ready_file(client, settings, tmp_path)
    options = {"process": "cnc_milling", "material": "al_6061", "quantity": "1"}
    before = await post_quote(client, file_id, options)

    await register(other_client, {**PERSON, "email": "rates@example.com"})
    await make_staff(db, "rates@example.com")
    from tests.integration.conftest import login

    await login(other_client, "rates@example.com", PERSON["password"])
    form_page = await other_client.get("/admin/rates")
    assert form_page.status_code == 200
    fields = editor_fields(form_page.text)
    key = "processes.cnc_milling.hourly_rate"
    assert key in fields
    token = await csrf_token(other_client, "/admin/rates")
    bad = await other_client.post("/admin/rates", data={**fields, "_csrf_token": token, key: "cheap"})
    assert bad.status_code == 422
    assert re.search(r'name="processes.cnc_milling.hourly_rate" value="cheap"\s+aria-invalid="true"', bad.text)
    good = await other_client.post("/admin/rates", data={**fields, "_csrf_token": token, key: "6400"},
                                   follow_redirects=False)
    assert good.status_code == 303

    after = await post_quote(client, file_id, options)
    assert total(after.text) > total(before.text)
    version = re.search(r"rate card version ([\w.-]+)\.", after.text).group(1)
    assert version != re.search(r"rate card version ([\w.-]+)\.", before.text).group(1)
    assert version.endswith(".1")  # the first saved version


async def staff_editor(client, db, email: str = "rates@example.com") -> dict[str, str]:
    """Log `client` in as staff; the rate card editor's fields as the page has them."""
    from tests.integration.conftest import login

    await register(client, {**PERSON, "email": email})
    await make_staff(db, email)
    await login(client, email, PERSON["password"])
    page = await client.get("/admin/rates")
    assert page.status_code == 200
    return editor_fields(page.text)


def editor_fields(page: str) -> dict[str, str]:
    """What the editor's form sends untouched: its text fields, chosen options and ticked flags."""
    editor = page[page.index('class="rates"'):]
    fields = {name: value for name, value in re.findall(r'<input id="[^"]*" name="([^"]+)" value="([^"]*)"', editor)}
    for name, options in re.findall(r'<select id="[^"]*" name="([^"]+)"[^>]*>(.*?)</select>', editor, re.S):
        fields[name] = re.search(r'<option value="([^"]*)" selected', options).group(1)
    for name in re.findall(r'type="checkbox" name="([^"]+)" value="true" checked', editor):
        fields[name] = "true"
    return fields


def invalid(name: str, value: str, page: str) -> bool:
    return re.search(rf'name="{re.escape(name)}" value="{re.escape(value)}"\s+aria-invalid="true"', page) is not None


NEW_MATERIAL = {"new.processes.fdm.materials.code": "pa_gf", "new.processes.fdm.materials.name": "Nylon, glass-filled",
                "new.processes.fdm.materials.name_ru": "Полиамид со стекловолокном",
                "new.processes.fdm.materials.class": "composite", "new.processes.fdm.materials.density_g_cm3": "1.3",
                "new.processes.fdm.materials.price_per_kg": "9000", "new.processes.fdm.materials.factor": "0.8"}
NEW_FINISH = {"new.finishes.code": "tumbled", "new.finishes.name": "Tumbled", "new.finishes.name_ru": "Галтовка",
              "new.finishes.per_part": "100", "new.finishes.per_cm2": "0.2", "new.finishes.extra_days": "1",
              "new.finishes.processes": "cnc_milling, cnc_turning"}
NEW_LEAD_TIME = {"new.lead_times.code": "rush", "new.lead_times.name": "Rush", "new.lead_times.name_ru": "Сверхсрочный",
                 "new.lead_times.multiplier": "2", "new.lead_times.days": "2"}


@pytest.mark.slow
async def test_staff_add_and_remove_materials_finishes_and_lead_times(
    client, other_client, settings, db, tmp_path
) -> None:
    file_id = await ready_file(client, settings, tmp_path)
    fields = await staff_editor(other_client, db)
    assert fields["new.processes.fdm.materials.code"] == "" and fields["new.lead_times.days"] == ""
    token = await csrf_token(other_client, "/admin/rates")
    base = {**fields, "_csrf_token": token}

    taken = await other_client.post("/admin/rates", data={**base, **NEW_MATERIAL,
                                                          "new.processes.fdm.materials.code": "pla"})
    assert taken.status_code == 422 and invalid("new.processes.fdm.materials.code", "pla", taken.text)
    assert "The code pla is already used here" in taken.text
    assert 'name="new.processes.fdm.materials.name" value="Nylon, glass-filled"' in taken.text  # kept as typed
    negative = await other_client.post("/admin/rates", data={**base, **NEW_MATERIAL,
                                                             "new.processes.fdm.materials.price_per_kg": "-5"})
    assert negative.status_code == 422 and invalid("new.processes.fdm.materials.price_per_kg", "-5", negative.text)
    assert "processes.fdm.materials.pa_gf.price_per_kg must be at least 0" in negative.text
    too_cheap = await other_client.post("/admin/rates", data={**base, **NEW_LEAD_TIME,
                                                              "new.lead_times.multiplier": "1.2"})
    assert too_cheap.status_code == 422 and invalid("new.lead_times.multiplier", "1.2", too_cheap.text)
    no_default = await other_client.post("/admin/rates", data={**base, "remove": "lead_times[1]"})
    assert no_default.status_code == 422
    assert re.search(r'name="default_lead_time"\s+aria-invalid="true"', no_default.text)
    assert re.search(r'value="lead_times\[1\]" name="remove" checked', no_default.text)  # still ticked

    saved = await other_client.post(
        "/admin/rates", follow_redirects=False,
        data={**base, **NEW_MATERIAL, **NEW_FINISH, **NEW_LEAD_TIME,
              "remove": ["processes.fdm.materials.abs", "finishes.polish"]},
    )
    assert saved.status_code == 303
    editor = (await other_client.get("/admin/rates")).text
    assert 'name="processes.fdm.materials.pa_gf.price_per_kg" value="9000"' in editor
    assert 'name="lead_times[3].id" value="rush"' in editor  # the fastest, last
    assert "processes.fdm.materials.abs." not in editor and "finishes.polish." not in editor

    panel = (await post_quote(client, file_id, {"process": "cnc_milling", "material": "al_6061",
                                                "finish": "tumbled", "lead_time": "rush"})).text
    assert 'value="tumbled" selected' in panel and 'value="rush" selected' in panel
    assert 'value="polish"' not in panel
    assert "Ships in 3 business days" in panel  # 2 days and the finish's 1
    printed = (await post_quote(client, file_id, {"process": "fdm"})).text
    assert 'value="pa_gf"' in printed and 'value="abs"' not in printed
    client.cookies.set("lang", "ru", domain="testserver.local")
    russian = (await post_quote(client, file_id, {"process": "fdm", "material": "pa_gf", "lead_time": "rush"})).text
    assert ">Полиамид со стекловолокном<" in russian and ">Сверхсрочный<" in russian


@pytest.mark.slow
async def test_demo_files_are_visible_and_quotable_without_an_account(client, settings, db, tmp_path) -> None:
    from portal.demo import load_demo_files
    from portal.files.services import ModelFileService
    from portal.files.storage import build_storage

    async with db() as session:
        files = ModelFileService(session=session)
        added = await load_demo_files(files, build_storage(settings.storage), settings)
        await session.commit()
    assert len(added) == 5
    queue_ids = [str(f.id) for f in added]
    from portal.core.queue import JobQueue

    queue = JobQueue(settings, inline_runner=InlineRunner)
    for file_id in queue_ids:
        await queue.enqueue("analyze_model", file_id, job_id=f"analyze_model:{file_id}:0")
    await queue.close()
    await run_worker(settings)
    home = await client.get("/")
    assert all(f"/files/{file_id}" in home.text for file_id in queue_ids)
    shaft = next(f for f in added if f.name == "shaft.step")
    page = await client.get(f"/files/{shaft.id}")
    assert total(page.text) > 0 and 'value="cnc_turning" selected' in page.text
    # a visitor's choice is not saved on the shared sample
    changed = await post_quote(client, str(shaft.id), {"process": "cnc_milling", "material": "al_6061",
                                                       "quantity": "40"})
    assert total(changed.text) > 0
    again = await client.get(f"/files/{shaft.id}")
    assert 'value="cnc_turning" selected' in again.text


async def test_a_file_that_cannot_be_priced_says_so_on_the_list(client, settings, tmp_path) -> None:
    file_id = await ready_file(client, settings, tmp_path, size=(3000.0, 2000.0, 1500.0))  # too large for all
    listing = await client.get("/files")
    assert f'<a href="/files/{file_id}">needs a manual quote</a>' in listing.text
