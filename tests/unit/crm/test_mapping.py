"""Our records as Bitrix24 fields: pure functions."""

from __future__ import annotations

from types import SimpleNamespace

from portal.config import BitrixSettings, parse_stage_map
from portal.crm.mapping import (
    customer_snapshot,
    deal_fields,
    lead_fields,
    multi_update,
    order_status_for_stage,
    product_rows,
    requisite_fields,
    split_name,
    stage_for_status,
)

SETTINGS = BitrixSettings(webhook_url="https://b24.example/rest/1/x/")


def test_names_are_split_as_people_write_them() -> None:
    assert split_name("Иванова Мария Петровна") == {"LAST_NAME": "Иванова", "NAME": "Мария", "SECOND_NAME": "Петровна"}
    assert split_name("Maria Ivanova") == {"NAME": "Maria", "LAST_NAME": "Ivanova"}
    assert split_name("Cher") == {"NAME": "Cher"}


def test_a_lead_carries_our_id_source_and_the_callback_time() -> None:
    fields = lead_fields({"id": "42", "name": "Анна", "phone": "+79001234567", "email": "", "comment": "Фланцы",
                          "preferred_time": "утром", "page": "/files/1"}, SETTINGS, "Заявка")
    assert (fields["ORIGINATOR_ID"], fields["ORIGIN_ID"], fields["SOURCE_ID"]) == ("portal", "42", "WEB")
    assert fields["PHONE"] == [{"VALUE": "+79001234567", "VALUE_TYPE": "WORK"}] and fields["EMAIL"] == []
    assert fields["COMMENTS"] == "Фланцы\nУдобное время звонка: утром\nСтраница: /files/1"


def test_requisites_use_the_company_or_the_entrepreneur_preset() -> None:
    company = customer_snapshot(SimpleNamespace(
        id="u1", full_name="Олег Смирнов", email="o@x.ru", phone="", account_type="legal", company_name="ООО Завод",
        inn="7707083893", kpp="773601001", ogrn="1027700132195", legal_address="Москва"))
    fields = requisite_fields(company, SETTINGS, 5)
    assert (fields["PRESET_ID"], fields["RQ_INN"], fields["RQ_KPP"], fields["RQ_OGRN"]) == (
        1, "7707083893", "773601001", "1027700132195")
    entrepreneur = {**company, "account_type": "entrepreneur", "company_name": "", "inn": "500100732259",
                    "kpp": "", "ogrn": "304500116000157"}
    fields = requisite_fields(entrepreneur, SETTINGS, 5)
    assert (fields["PRESET_ID"], fields["RQ_OGRNIP"], fields["NAME"]) == (3, "304500116000157", "ИП Олег Смирнов")
    assert "RQ_KPP" not in fields and "RQ_OGRN" not in fields


def test_a_changed_phone_replaces_the_first_value_instead_of_adding_one() -> None:
    current = [{"ID": "7", "VALUE": "+7900", "VALUE_TYPE": "MOBILE"}, {"ID": "8", "VALUE": "+7800"}]
    assert multi_update(current, "+7111") == [{"ID": "7", "VALUE": "+7111", "VALUE_TYPE": "MOBILE"}]
    assert multi_update(current, "+7800") == []  # already there
    assert multi_update([], "+7111") == [{"VALUE": "+7111", "VALUE_TYPE": "WORK"}]


def test_stage_map_reads_both_ways_and_knows_pipelines() -> None:
    stage_map = parse_stage_map("NEW=submitted, C1:WON=completed ,WON=completed,LOSE=cancelled,bad")
    assert stage_map == {"NEW": "submitted", "C1:WON": "completed", "WON": "completed", "LOSE": "cancelled"}
    assert order_status_for_stage("C2:LOSE", stage_map) == "cancelled"
    assert order_status_for_stage("C1:WON", stage_map) == "completed"
    assert order_status_for_stage("EXECUTING", stage_map) is None
    assert stage_for_status("completed", stage_map) == "WON"
    assert stage_for_status("completed", stage_map, category=1) == "C1:WON"
    assert stage_for_status("cancelled", stage_map, category=3) == "C3:LOSE"
    assert stage_for_status("unknown", stage_map) is None


def test_a_deal_follows_the_order_and_rounds_money_once() -> None:
    order = {"id": "o1", "number": "2026-1", "total": "1000.005", "currency": "RUB", "status": "in_production"}
    fields = deal_fields(order, SETTINGS, "3", None)
    assert fields["OPPORTUNITY"] == "1000.00" and fields["STAGE_ID"] == "EXECUTING"
    assert fields["CONTACT_IDS"] == [3] and "COMPANY_ID" not in fields and fields["TITLE"] == "Заказ 2026-1"
    rows = product_rows([{"name": "Фланец", "unit_price": "99.999", "quantity": 3, "vat_rate": 20}])
    assert rows == [{"PRODUCT_ID": 0, "PRODUCT_NAME": "Фланец", "PRICE": "100.00", "QUANTITY": 3, "MEASURE_CODE": 796,
                     "MEASURE_NAME": "шт", "SORT": 10, "TAX_RATE": 20, "TAX_INCLUDED": "Y"}]
