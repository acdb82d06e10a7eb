"""Rate-card names in the reader's language: on order lines frozen with both names, and on cards
saved before the names in Russian."""

from __future__ import annotations

from contextlib import contextmanager
from decimal import Decimal

from geometry.pricing import Part, QuoteOptions, load_rate_card, quote
from portal.core.i18n import current_language
from portal.orders.cart import option_names, quote_lines
from portal.orders.labels import options_summary, price_line_label
from portal.quotes.labels import reason_text
from portal.quotes.ratecard_form import group_title
from portal.quotes.services import build_form, default_card_data, with_russian_names


@contextmanager
def language(code: str):
    token = current_language.set(code)
    try:
        yield
    finally:
        current_language.reset(token)


def test_an_order_line_reads_in_the_language_it_is_shown_in() -> None:
    card = load_rate_card(default_card_data())
    options = option_names({"process": "cnc_turning", "material": "steel_45", "finish": "zinc_plate",
                            "tolerance": "iso2768_f", "lead_time": "express"}, card)
    material_line = {"code": "material", "amount": "10", "args": {"material": "Carbon steel 1045 (Сталь 45)",
                                                                   "material_ru": "Сталь 45 (1045)"}}
    with language("ru"):
        assert dict(options_summary(options)) == {
            "Технология": "Токарная обработка с ЧПУ", "Материал": "Сталь 45 (1045)",
            "Обработка поверхности": "Цинкование", "Допуск": "ISO 2768-f (точный)", "Срок": "Срочный",
        }
        assert price_line_label(material_line) == "Материал: Сталь 45 (1045)"
    with language("en"):
        assert dict(options_summary(options))["Lead time"] == "Express"
        assert price_line_label(material_line) == "Material: Carbon steel 1045 (Сталь 45)"


def test_lines_frozen_before_the_names_in_russian_keep_their_english_names() -> None:
    with language("ru"):
        assert price_line_label({"code": "material", "args": {"material": "Aluminium 6061"}}) == (
            "Материал: Aluminium 6061")
        assert dict(options_summary({"process": "fdm", "process_name": "FDM printing"}))["Технология"] == (
            "FDM printing")


def test_quote_lines_freeze_the_russian_names_too() -> None:
    card = load_rate_card(default_card_data())
    part = Part(volume_mm3=Decimal(6000), area_mm2=Decimal(2200), bbox_mm=(Decimal(10), Decimal(20), Decimal(30)))
    priced = quote(part, card, QuoteOptions(process="fdm", material="pla", quantity=1))
    args = quote_lines(priced, card)[0]["args"]
    assert args["process"] == "FDM printing" and args["process_ru"] == "3D-печать FDM"


def test_a_card_saved_before_the_russian_names_gets_the_built_in_ones() -> None:
    old = default_card_data()
    for entry in (old["processes"]["fdm"], old["processes"]["fdm"]["materials"]["pla"], old["lead_times"][0]):
        del entry["name_ru"]
    old["processes"]["sla"]["name"] = "Resin printing"  # renamed by staff: its Russian name may not fit
    del old["processes"]["sla"]["name_ru"]
    card = load_rate_card(with_russian_names(old))
    assert card.process("fdm").name_ru == "3D-печать FDM"
    assert card.process("fdm").material("pla").name_ru == "PLA"
    assert card.lead_times[0].name_ru == "Эконом"
    assert card.process("sla").name_ru == ""
    assert "name_ru" not in old["processes"]["fdm"]  # the saved data is left as it was


def test_a_finish_kept_for_other_materials_names_them_in_the_readers_language() -> None:
    card = load_rate_card(default_card_data())
    part = Part(volume_mm3=Decimal(6000), area_mm2=Decimal(2200), bbox_mm=(Decimal(10), Decimal(20), Decimal(30)))
    form = build_form(part, card, {"process": "cnc_milling", "material": "al_6061"})
    zinc = next(choice for choice in form.finishes if choice.value == "zinc_plate")
    with language("ru"):
        assert reason_text(zinc) == "только для: сталь"
    with language("en"):
        assert reason_text(zinc) == "only for steel"


def test_the_rate_card_editor_heads_each_entry_with_its_names() -> None:
    data = default_card_data()
    with language("ru"):
        assert group_title(data, "processes.cnc_milling.materials.al_6061") == (
            "Фрезерование с ЧПУ (3 оси) · Алюминий АД33 (6061-T6)")
    with language("en"):
        assert group_title(data, "processes.cnc_milling") == "CNC milling (3-axis)"
        assert group_title(data, "quantity_breaks[0]") == "From 1 part"  # a break by its quantity
        assert group_title(data, "quantity_breaks[3]") == "From 25 parts"
        assert group_title({"spare": {"a": {}}}, "spare.a") == "a"  # nothing named: its path, as before
