"""Our records as Bitrix24 fields (legacy crm.* methods: UPPER_SNAKE names), and back.

Pure functions over plain data: the payloads the outbox stores, and the settings they need.
Everything we create carries ORIGINATOR_ID (ours) and ORIGIN_ID (our id), so that after an
unknown outcome we can look it up before adding it again.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from portal.config import BitrixSettings
from portal.core.phones import normalise_phone
from portal.db.models import BUSINESS_TYPES

ENTREPRENEUR = "entrepreneur"
REQUISITE = 8  # the entity type of a requisite: its addresses hang on it
LEGAL_ADDRESS, REGISTRATION_ADDRESS = 6, 4  # crm.enum.addresstype: "Юридический адрес", "Адрес регистрации"


def origin(settings: BitrixSettings, our_id: str) -> dict[str, str]:
    return {"ORIGINATOR_ID": settings.originator, "ORIGIN_ID": str(our_id)}


def split_name(full_name: str) -> dict[str, str]:
    """Three words are read in the Russian order (Иванова Мария Петровна); otherwise first name first."""
    words = full_name.split()
    if len(words) == 3:
        return {"LAST_NAME": words[0], "NAME": words[1], "SECOND_NAME": words[2]}
    if len(words) == 2:
        return {"NAME": words[0], "LAST_NAME": words[1]}
    return {"NAME": full_name.strip()}


def multi(value: str, value_type: str = "WORK") -> list[dict[str, str]]:
    return [{"VALUE": value, "VALUE_TYPE": value_type}] if value else []


def lead_fields(request: dict[str, Any], settings: BitrixSettings, title: str,
                contact_id: int | str | None = None) -> dict[str, Any]:
    """A call request (name, phone, email, comment, preferred_time, page) as a lead, linked to
    the contact of the customer who asked when there is one."""
    comments = [request.get("comment") or ""]
    if request.get("preferred_time"):
        comments.append(f"Удобное время звонка: {request['preferred_time']}")
    if request.get("page"):
        comments.append(f"Страница: {request['page']}")
    return {
        "TITLE": title,
        **split_name(request["name"]),
        "PHONE": multi(request["phone"]),
        "EMAIL": multi(request.get("email") or ""),
        "SOURCE_ID": settings.lead_source,
        "SOURCE_DESCRIPTION": request.get("source_description") or "",
        "COMMENTS": "\n".join(line for line in comments if line),
        "STATUS_ID": "NEW",
        "OPENED": "Y",
        **({"CONTACT_ID": int(contact_id)} if contact_id else {}),
        **origin(settings, request["id"]),
    }


def customer_snapshot(user: Any) -> dict[str, str]:
    """What of an account Bitrix24 holds: the outbox payload for its contact and company."""
    return {
        "id": str(user.id),
        "full_name": user.full_name or "",
        "email": user.email or "",
        "phone": (normalise_phone(user.phone) or user.phone) if user.phone else "",  # numbers saved before E.164 too
        "account_type": user.account_type or "individual",
        "company_name": user.company_name or "",
        "inn": user.inn or "",
        "kpp": user.kpp or "",
        "ogrn": user.ogrn or "",
        "legal_address": user.legal_address or "",
    }


def has_company(customer: dict[str, str]) -> bool:
    return customer.get("account_type") in BUSINESS_TYPES


def contact_fields(customer: dict[str, str], settings: BitrixSettings) -> dict[str, Any]:
    return {
        **split_name(customer["full_name"]),
        "PHONE": multi(customer["phone"]),
        "EMAIL": multi(customer["email"]),
        "TYPE_ID": "CLIENT",
        "SOURCE_ID": settings.lead_source,
        "OPENED": "Y",
        **origin(settings, customer["id"]),
    }


def company_title(customer: dict[str, str]) -> str:
    if customer["account_type"] == ENTREPRENEUR:
        return customer["company_name"] or f"ИП {customer['full_name']}"
    return customer["company_name"]


def company_fields(customer: dict[str, str], settings: BitrixSettings) -> dict[str, Any]:
    return {
        "TITLE": company_title(customer),
        "COMPANY_TYPE": "CUSTOMER",
        "PHONE": multi(customer["phone"]),
        "EMAIL": multi(customer["email"]),
        "OPENED": "Y",
        **origin(settings, customer["id"]),
    }


def requisite_fields(customer: dict[str, str], settings: BitrixSettings, company_id: int | str) -> dict[str, Any]:
    """A company's requisites (INN of 10 digits, KPP, OGRN) or an entrepreneur's (INN of 12, OGRNIP)."""
    common = {
        "ENTITY_TYPE_ID": 4,
        "ENTITY_ID": company_id,
        "NAME": company_title(customer),
        "ACTIVE": "Y",
        "XML_ID": str(customer["id"]),
        "ORIGINATOR_ID": settings.originator,
        "RQ_INN": customer["inn"],
    }
    if customer["account_type"] == ENTREPRENEUR:
        person = split_name(customer["full_name"])
        return {
            **common,
            "PRESET_ID": settings.preset_entrepreneur,
            "RQ_OGRNIP": customer["ogrn"],
            "RQ_LAST_NAME": person.get("LAST_NAME", ""),
            "RQ_FIRST_NAME": person.get("NAME", ""),
            "RQ_SECOND_NAME": person.get("SECOND_NAME", ""),
            "RQ_NAME": customer["full_name"],
        }
    return {
        **common,
        "PRESET_ID": settings.preset_company,
        "RQ_COMPANY_NAME": customer["company_name"],
        "RQ_COMPANY_FULL_NAME": customer["company_name"],
        "RQ_KPP": customer["kpp"],
        "RQ_OGRN": customer["ogrn"],
    }


def address_type(customer: dict[str, str]) -> int:
    """A company's legal address; an entrepreneur's is the address of their registration."""
    return REGISTRATION_ADDRESS if customer["account_type"] == ENTREPRENEUR else LEGAL_ADDRESS


def address_key(type_id: int, requisite_id: int | str) -> dict[str, Any]:
    """An address has no id of its own: these three fields name it on add, update and delete."""
    return {"TYPE_ID": type_id, "ENTITY_TYPE_ID": REQUISITE, "ENTITY_ID": requisite_id}


def address_commands(customer: dict[str, str], requisite_id: int | str,
                     existing_types: set[int]) -> dict[str, tuple[str, dict]]:
    """Batch commands that leave the requisite holding the customer's legal address under the
    right type (added or updated) and none under the other type we write (a company that became
    an entrepreneur, say). `existing_types`: the TYPE_IDs the requisite has now."""
    wanted, address = address_type(customer), (customer.get("legal_address") or "").strip()
    commands: dict[str, tuple[str, dict]] = {}
    if address:
        method = "crm.address.update" if wanted in existing_types else "crm.address.add"
        commands["address"] = (method, {"fields": {**address_key(wanted, requisite_id), "ADDRESS_1": address}})
    for type_id in (LEGAL_ADDRESS, REGISTRATION_ADDRESS):
        if type_id in existing_types and (type_id != wanted or not address):
            commands[f"address-{type_id}"] = ("crm.address.delete", {"fields": address_key(type_id, requisite_id)})
    return commands


def multi_update(current: list[dict] | None, wanted: str) -> list[dict]:
    """Update a multi-field to hold `wanted` first: an item without ID would be appended, so the
    first existing value is replaced by its ID; other values (added by sales) stay."""
    current = current or []
    if not wanted or any(item.get("VALUE") == wanted for item in current):
        return []
    if current:
        return [{"ID": current[0]["ID"], "VALUE": wanted, "VALUE_TYPE": current[0].get("VALUE_TYPE") or "WORK"}]
    return multi(wanted)


# ----- deals: plain data in, so that orders can be wired without this module knowing them -----


def money(value: Any) -> str:
    return f"{Decimal(str(value)).quantize(Decimal('0.01'))}"


def deal_fields(
    order: dict[str, Any], settings: BitrixSettings, contact_id: int | str | None, company_id: int | str | None,
    link: str | None = None,
) -> dict[str, Any]:
    """An order as a deal. `order`: id, number, title, total, currency; comment and status optional;
    `link`: the order's page on the portal.

    The deal's stage follows the order's status (the stage map read backwards), so that the event
    our own update causes maps back to the status the order already has: no loop."""
    fields: dict[str, Any] = {
        "TITLE": order.get("title") or f"Заказ {order.get('number') or order['id']}",
        "OPPORTUNITY": money(order["total"]),
        "CURRENCY_ID": order.get("currency") or "RUB",
        "IS_MANUAL_OPPORTUNITY": "Y",
        "SOURCE_ID": settings.lead_source,
        "SOURCE_DESCRIPTION": link or "",
        "COMMENTS": "\n".join(part for part in (order.get("comment") or "", link) if part),
        "OPENED": "Y",
        **origin(settings, order["id"]),
    }
    if settings.deal_category:
        fields["CATEGORY_ID"] = settings.deal_category
    stage = stage_for_status(order.get("status") or "", settings.stage_map, settings.deal_category)
    if stage:
        fields["STAGE_ID"] = stage
    if contact_id:
        fields["CONTACT_IDS"] = [int(contact_id)]
    if company_id:
        fields["COMPANY_ID"] = int(company_id)
    return fields


def product_rows(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Order lines (name, unit_price, quantity, vat_rate?, vat_included?) as deal product rows."""
    rows = []
    for number, line in enumerate(lines, start=1):
        row = {
            "PRODUCT_ID": 0,
            "PRODUCT_NAME": line["name"][:255],
            "PRICE": money(line["unit_price"]),
            "QUANTITY": line["quantity"],
            "MEASURE_CODE": 796,
            "MEASURE_NAME": "шт",
            "SORT": number * 10,
        }
        if line.get("vat_rate") is not None:
            row["TAX_RATE"] = line["vat_rate"]
            row["TAX_INCLUDED"] = "Y" if line.get("vat_included", True) else "N"
        rows.append(row)
    return rows


def bare_stage(stage_id: str) -> str:
    """Stages of other pipelines carry a `Cn:` prefix: C1:WON → WON."""
    return stage_id.split(":", 1)[1] if ":" in stage_id else stage_id


def order_status_for_stage(stage_id: str, stage_map: dict[str, str]) -> str | None:
    """The map may name a pipeline's own stage (C1:WON) or the bare one (WON) for every pipeline."""
    return stage_map.get(stage_id) or stage_map.get(bare_stage(stage_id))


def stage_for_status(status: str, stage_map: dict[str, str], category: int = 0) -> str | None:
    """The first stage the map sends to this status, in the deals' pipeline."""
    prefix = f"C{category}:" if category else ""
    for stage_id, mapped in stage_map.items():
        if mapped != status:
            continue
        if ":" in stage_id:
            if stage_id.startswith(prefix) and prefix:
                return stage_id
            continue
        return prefix + stage_id
    return None


def is_invoice_stage(stage_id: str, invoice_stages: tuple[str, ...]) -> bool:
    return stage_id in invoice_stages or bare_stage(stage_id) in invoice_stages
