"""The Russian catalogue: complete, compiled, and in step with the English source text.

The source text is `{{ _("...") }}` in templates and `N_("...")` in Python code (see babel.cfg).
When a test here fails because text was added or changed, refresh the catalogue with
`make messages`, translate the new entries in portal/locale/ru/LC_MESSAGES/messages.po and
compile again (`make messages` does the compiling too).
"""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from portal.core import i18n

ROOT = Path(__file__).resolve().parents[2]
BABEL_CFG = ROOT / "babel.cfg"
LOCALE_DIR = ROOT / "portal" / "locale"
POT = LOCALE_DIR / "messages.pot"
PO = LOCALE_DIR / "ru" / "LC_MESSAGES" / "messages.po"
MO = LOCALE_DIR / "ru" / "LC_MESSAGES" / "messages.mo"

REFRESH = (
    "run `make messages` (pybabel extract -F babel.cfg -k N_ -k _ --no-location --sort-output "
    "-o portal/locale/messages.pot . ; pybabel update -i portal/locale/messages.pot -d portal/locale "
    "-D messages --no-fuzzy-matching ; translate the new entries in "
    "portal/locale/ru/LC_MESSAGES/messages.po ; pybabel compile -d portal/locale -D messages)"
)
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]")


def _key(message) -> tuple[str | None, str]:
    msgid = message.id[0] if isinstance(message.id, (list, tuple)) else message.id
    return message.context, msgid


def _entries(catalog) -> dict[tuple[str | None, str], object]:
    return {_key(message): message for message in catalog if message.id}


@pytest.fixture(scope="module")
def pot():
    with POT.open("rb") as file:
        return read_po(file)


@pytest.fixture(scope="module")
def po():
    with PO.open("rb") as file:
        return read_po(file, locale="ru")


def _strings(message) -> list[str]:
    if isinstance(message.string, (list, tuple)):
        return list(message.string)
    return [message.string]


def test_every_message_has_a_russian_translation(pot, po) -> None:
    translations = _entries(po)
    missing = []
    for key in _entries(pot):
        message = translations.get(key)
        if message is None or not all(text and text.strip() for text in _strings(message)):
            missing.append(key[1])
    assert not missing, f"untranslated in {PO.relative_to(ROOT)}: {missing}"


def test_no_fuzzy_or_stale_entries(pot, po) -> None:
    assert not po.fuzzy, "the catalogue header is marked fuzzy: pybabel compile would skip it"
    fuzzy = [message.id for message in po if message.id and message.fuzzy]
    assert not fuzzy, f"fuzzy entries (check the translation, then drop the flag): {fuzzy}"
    stale = sorted(msgid for _, msgid in set(_entries(po)) - set(_entries(pot)))
    assert not stale, f"entries no longer in messages.pot: {stale}; {REFRESH}"


def test_translations_keep_the_placeholders(po) -> None:
    """Jinja's newstyle gettext %-formats every string, so placeholders must match exactly."""

    class Anything(dict):
        def __missing__(self, key: str) -> str:
            return "x"

    for message in po:
        if not message.id:
            continue
        source = message.id[0] if isinstance(message.id, (list, tuple)) else message.id
        for text in _strings(message):
            assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(source)), source
            text % Anything()  # a stray "%" raises here, as it would when the page renders


def test_compiled_catalogue_matches_the_po(po) -> None:
    compiled = BytesIO()
    write_mo(compiled, po)
    assert compiled.getvalue() == MO.read_bytes(), (
        f"{MO.relative_to(ROOT)} is not the compiled {PO.relative_to(ROOT)}: "
        "run `pybabel compile -d portal/locale -D messages` (part of `make messages`)"
    )


def test_template_is_up_to_date_with_the_sources(pot) -> None:
    with BABEL_CFG.open(encoding="utf-8") as file:
        method_map, options_map = parse_mapping_cfg(file, filename=str(BABEL_CFG))
    keywords = {**DEFAULT_KEYWORDS, "N_": None, "_": None}  # as `pybabel extract -k N_ -k _`
    extracted = {
        (context, message[0] if isinstance(message, (list, tuple)) else message)
        for _, _, message, _, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords
        )
    }
    extracted.discard((None, ""))
    committed = set(_entries(pot))
    new = sorted(msgid for _, msgid in extracted - committed)
    gone = sorted(msgid for _, msgid in committed - extracted)
    assert not new and not gone, (
        f"{POT.relative_to(ROOT)} is out of date: new {new}, gone {gone}; {REFRESH}"
    )


def test_the_catalogue_is_loaded_for_russian() -> None:
    token = i18n.current_language.set("ru")
    try:
        assert i18n.gettext("Log in") == "Войти"
        assert i18n.gettext("INN") == "ИНН"
    finally:
        i18n.current_language.reset(token)
    assert i18n.gettext("Log in") == "Log in"  # English is the source text


@pytest.mark.parametrize(
    "total,expected",
    [(1, "1 пользователь"), (3, "3 пользователя"), (11, "11 пользователей"), (42, "42 пользователя")],
)
def test_newstyle_placeholders_and_plurals_render_in_russian(total: int, expected: str) -> None:
    from portal.core.templates import build_environment

    template = build_environment().from_string(
        '{{ _("Page %(page)s of %(pages)s", page=2, pages=5) }} · '
        '{{ ngettext("%(num)s user", "%(num)s users", total) }}'
    )
    token = i18n.current_language.set("ru")
    try:
        assert template.render(total=total) == f"Страница 2 из 5 · {expected}"
    finally:
        i18n.current_language.reset(token)
