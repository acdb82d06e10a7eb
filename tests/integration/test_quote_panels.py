"""The quote fragment answers from panels rendered before: each visitor still gets their own CSRF
token, only people who may see the file get it, and a change shows at once."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import update

from portal.app import create_app
from portal.db.models import ModelFile
from tests.integration.conftest import CSRF_META, register
from tests.integration.test_bursts import at_once, browsers
from tests.integration.test_quotes import SIZE, answer_units, post_quote, ready_file, total

OPTIONS = "process=cnc_milling&material=al_6061&quantity=10"
FORM_TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')


async def fragment(client: AsyncTestClient, file_id: str, query: str = OPTIONS):
    return await client.get(f"/files/{file_id}/quote?{query}", headers={"HX-Request": "true"})


async def visitor_token(client: AsyncTestClient) -> str:
    return CSRF_META.search((await client.get("/")).text).group(1)


async def make_demo(db, file_id: str) -> None:
    async with db() as session:
        await session.execute(update(ModelFile).where(ModelFile.id == file_id).values(is_demo=True))
        await session.commit()


@pytest.mark.slow
async def test_each_visitor_gets_the_kept_panel_with_their_own_token(client, settings, db, tmp_path) -> None:
    file_id = await ready_file(client, settings, tmp_path)
    await make_demo(db, file_id)
    first = await fragment(client, file_id)
    assert first.status_code == 200 and total(first.text) > 0
    first_token = FORM_TOKEN.search(first.text).group(1)

    client.cookies.clear()  # another visitor, served by the same process
    token = await visitor_token(client)
    assert token != first_token
    for _ in range(2):  # rendered for the first visitor, then kept
        again = await fragment(client, file_id)
        assert again.status_code == 200 and total(again.text) == total(first.text)
        assert set(FORM_TOKEN.findall(again.text)) == {token}
    # and that token is the one their form posts are checked against
    posted = await client.post(f"/files/{file_id}/quote", data={"_csrf_token": token, "quantity": "3"},
                               headers={"HX-Request": "true"})
    assert posted.status_code == 204  # kept for the owner; the panel came by GET


@pytest.mark.slow
async def test_a_kept_panel_is_not_shown_to_someone_who_may_not_see_the_file(client, settings, tmp_path) -> None:
    await register(client)
    file_id = await ready_file(client, settings, tmp_path)
    assert (await fragment(client, file_id)).status_code == 200
    assert (await fragment(client, file_id)).status_code == 200
    client.cookies.clear()  # a stranger, served by the same process
    await visitor_token(client)
    assert (await fragment(client, file_id)).status_code == 404


@pytest.mark.slow
async def test_a_kept_panel_follows_the_language_units_and_deletion(client, settings, tmp_path) -> None:
    file_id = await ready_file(client, settings, tmp_path, size=(0.5, 0.4, 0.3))
    in_mm = await fragment(client, file_id, "process=cnc_milling&material=al_6061")
    assert SIZE.search(in_mm.text).group(1).startswith("0.5 × 0.4 × 0.3")
    client.cookies.set("lang", "ru")
    assert "Размер" in (await fragment(client, file_id, "process=cnc_milling&material=al_6061")).text
    client.cookies.set("lang", "en")
    rescaled = await answer_units(client, file_id, "in", process="cnc_milling", material="al_6061")
    assert rescaled.status_code == 200
    remembered = await fragment(client, file_id, "")  # the file's own options: now in inches
    assert SIZE.search(remembered.text).group(1).startswith("12.7 × 10.2 × 7.6")

    token = await visitor_token(client)
    deleted = await client.post(f"/files/{file_id}/delete", data={"_csrf_token": token}, follow_redirects=False)
    assert deleted.status_code in (200, 303)
    assert (await fragment(client, file_id, "")).status_code == 404


@pytest.mark.slow
async def test_a_burst_of_visitors_languages_and_options_each_get_their_own_token(client, settings, db,
                                                                                   tmp_path) -> None:
    file_id = await ready_file(client, settings, tmp_path)
    await make_demo(db, file_id)
    async with browsers(create_app(settings), 30) as visitors:
        tokens = [await visitor_token(visitor) for visitor in visitors]
        for n, visitor in enumerate(visitors):
            visitor.cookies.set("lang", ("ru", "en")[n % 2])
        for round_ in range(2):  # rendered, then kept
            answers = await at_once(*(
                fragment(visitor, file_id, f"process=cnc_milling&material=al_6061&quantity={(1, 5, 10)[n % 3]}")
                for n, visitor in enumerate(visitors)
            ))
            assert Counter(answer.status_code for answer in answers) == {200: 30}, round_
            for n, (token, answer) in enumerate(zip(tokens, answers, strict=True)):
                assert set(FORM_TOKEN.findall(answer.text)) == {token}
                assert ("Размер" in answer.text) == (n % 2 == 0)
            assert len({total(answer.text) for answer in answers}) == 3


@pytest.mark.slow
async def test_options_no_form_sends_do_not_fill_the_kept_panels(client, settings, db, tmp_path) -> None:
    file_id = await ready_file(client, settings, tmp_path)
    await make_demo(db, file_id)
    await visitor_token(client)
    assert (await fragment(client, file_id)).status_code == 200
    kept = len(client.app.state.file_quotes.kept)
    for n in range(20):
        junk = "x" * 5000 + str(n)
        for field in ("process", "material", "finish", "tolerance", "lead_time", "quantity", "units"):
            answer = await fragment(client, file_id, f"{OPTIONS}&{field}={junk}")
            assert answer.status_code == 200
    assert len(client.app.state.file_quotes.kept) == kept


async def test_the_panel_comes_by_get_with_the_page_address_following_the_options(client, settings, db,
                                                                                    tmp_path) -> None:
    file_id = await ready_file(client, settings, tmp_path)
    answer = await fragment(client, file_id, "quantity=4&process=cnc_milling&view=thickness")
    assert answer.status_code == 200
    assert answer.headers["HX-Replace-Url"] == f"/files/{file_id}?process=cnc_milling&quantity=4"
    assert 'hx-params="not _csrf_token"' in answer.text  # the token never travels in an address


async def test_keeping_the_same_choice_again_writes_nothing(client, settings, db, tmp_path) -> None:
    file_id = await ready_file(client, settings, tmp_path)
    chosen = {"process": "cnc_milling", "material": "al_6061", "quantity": "6"}
    await post_quote(client, file_id, chosen)

    async def changed_at():
        async with db() as session:
            return (await session.get(ModelFile, file_id)).updated_at

    before = await changed_at()
    await post_quote(client, file_id, chosen)  # the page shown again sends the same choice
    assert await changed_at() == before
    await post_quote(client, file_id, {**chosen, "quantity": "7"})
    assert await changed_at() != before
