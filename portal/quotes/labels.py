"""Quote lines, suggestions and disabled-option reasons in the visitor's language (by code).

Names of processes, materials, finishes, tolerances and lead times are the rate card's own
(staff write them, in English and optionally in Russian).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from portal.core.i18n import N_, current_language, gettext, local_money, local_name, local_number, ngettext
from portal.files.catalogue import text_of

LINES = {
    "material": N_("Material: %(material)s"),
    "machine_time": N_("Machine time: %(process)s"),
    "handling": N_("Handling and inspection"),
    "setup": N_("Setup and programming (once per part design)"),
    "finish": N_("Finish: %(finish)s"),
    "no_finish": N_("No finish"),
    "tolerance": N_("Tolerance: %(tolerance)s"),
    "lead_time": N_("Lead time: %(lead_time)s"),
    "quantity_discount": N_("Quantity discount %(percent)s %%"),
    "minimum_order": N_("Minimum order top-up"),
    "subtotal": N_("Subtotal"),
    "vat": N_("VAT %(percent)s %%"),
    "total": N_("Total"),
}

SUGGESTIONS = {
    "lead_time": N_("Choose the %(name)s lead time: %(days)s business days instead of %(base_days)s"),
    "quantity": N_("Order %(value)s parts"),
    "tolerance": N_("Accept %(name)s where the drawing allows"),
    "material": N_("Use %(name)s instead of %(current)s"),
}

REASONS = {
    "too_large": N_("too large for this process (at most %(envelope)s mm)"),
    "blocked": N_("the model cannot be made this way"),
    "material_class": N_("only for %(classes)s"),
}

MATERIAL_CLASSES = {
    "aluminium": N_("aluminium"),
    "brass": N_("brass"),
    "composite": N_("composites"),
    "elastomer": N_("elastomers"),
    "nylon": N_("nylon"),
    "plastic": N_("plastics"),
    "resin": N_("resins"),
    "stainless_steel": N_("stainless steel"),
    "steel": N_("steel"),
    "titanium": N_("titanium"),
}

# What drives the price (`geometry.pricing.Driver`), worded by code from the driver's params;
# a code not here keeps its English label.
DRIVERS = {
    "removed_volume": N_("Material removed per part"),
    "roughing_time": N_("Roughing per part"),
    "finishing_time": N_("Finishing passes per part"),
    "machine_hours": N_("Machine time per part"),
    "setup_hours": N_("Setup and programming, once per part design"),
    "material_used": N_("Material used per part, with supports"),
    "material_mass": N_("Material per part"),
    "print_time": N_("Print time per part"),
    "part_volume": N_("Part volume"),
    "build_height": N_("Build height, printed lying flat"),
    "infill": N_("Infill"),
    "layer_height": N_("Layer height"),
    "inside_radius": N_("Smallest inside radius %(radius_mm)s mm → %(tool_mm)s mm end mill"),
}
STOCK = {
    "plate": N_("Plate %(thickness_mm)s mm, sawn %(length_mm)s × %(width_mm)s mm"),
    "bar": N_("Bar stock Ø%(diameter_mm)s × %(length_mm)s mm"),
    "block": N_("Block stock %(size_mm)s mm"),
}
DRIVER_SOURCES = {"slicer": N_("from the slicer"), "estimate": N_("estimated")}
DRIVER_UNITS = {"kg": N_("kg"), "g": N_("g"), "h": N_("h"), "min": N_("min"), "mm": N_("mm"), "cm³": N_("cm³")}

REVIEW_REASONS = {"too_large_for_all": N_("The part is too large for every process we offer.")}


UNIT_NAMES = {"mm": N_("millimetres"), "in": N_("inches"), "inch": N_("inches"), "m": N_("metres"),
              "um": N_("micrometres")}


def options_of(quote: Any) -> dict[str, Any]:
    """The options a quote was priced with, as `chosen_entries` takes them."""
    return {"process": quote.process, "material": quote.material, "finish": quote.finish,
            "tolerance": quote.tolerance, "lead_time": quote.lead_time}


def chosen_entries(card: Any, options: dict[str, Any]) -> dict[str, Any]:
    """The rate card's entry for each chosen option (None where the card has none)."""
    process = card.process(options.get("process") or "")
    return {
        "process": process,
        "material": process.material(options.get("material") or "") if process else None,
        "finish": card.finish(options["finish"]) if options.get("finish") else None,
        "tolerance": card.tolerance(options.get("tolerance") or ""),
        "lead_time": card.lead_time(options.get("lead_time") or ""),
    }


OPTION_LABELS = {"process": N_("Process"), "material": N_("Material"), "finish": N_("Finish"),
                 "tolerance": N_("Tolerance"), "lead_time": N_("Lead time")}


def options_named(options: dict[str, Any], card: Any) -> list[tuple[str, str]]:
    """Chosen options as (label, the rate card's name) in the reader's language, e.g. for staff."""
    entries = chosen_entries(card, options)
    rows = [(gettext(label), local_name(entries[key]) if entries[key] else str(options.get(key) or ""))
            for key, label in OPTION_LABELS.items()]
    if not options.get("finish"):
        rows[2] = (rows[2][0], gettext("None (as made)"))
    rows.append((gettext("Quantity"), str(options.get("quantity") or 1)))
    return [(label, value) for label, value in rows if value]


def units_name(units: str) -> str:
    return gettext(UNIT_NAMES.get(units, units))


def percent(fraction: Decimal) -> str:
    text = f"{fraction * 100:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def money(amount: Decimal | None, currency: str = "RUB") -> str:
    return "" if amount is None else local_money(amount, currency)


def line_label(code: str, quote: Any, card: Any) -> str:
    chosen = options_of(quote)
    entries = chosen_entries(card, chosen)
    if code == "finish" and entries["finish"] is None:
        return gettext(LINES["no_finish"])
    values = {key: local_name(entry) if entry else (chosen[key] if key != "finish" else "")
              for key, entry in entries.items()}
    values["percent"] = percent(card.discount_for(quote.quantity) if code == "quantity_discount" else card.vat_rate)
    return gettext(LINES.get(code, code)) % values if code in LINES else code


def suggestion_label(suggestion: Any, quote: Any, card: Any) -> str:
    values: dict[str, Any] = {
        "value": suggestion.value,
        "days": suggestion.lead_time_days,
        "base_days": quote.lead_time_days,
        "name": str(suggestion.value),
        "current": quote.material,
    }
    if suggestion.code == "lead_time":
        tier = card.lead_time(str(suggestion.value))
        values["name"] = local_name(tier).lower() if tier else suggestion.value
    elif suggestion.code == "tolerance":
        tolerance = card.tolerance(str(suggestion.value))
        values["name"] = local_name(tolerance) if tolerance else suggestion.value
    elif suggestion.code == "material":
        process = card.process(quote.process)
        other = process.material(str(suggestion.value)) if process else None
        current = process.material(quote.material) if process else None
        values["name"] = local_name(other) if other else suggestion.value
        values["current"] = local_name(current) if current else quote.material
    template = SUGGESTIONS.get(suggestion.code)
    return gettext(template) % values if template else suggestion.label


def reason_text(choice: Any) -> str:
    template = REASONS.get(choice.disabled_reason or "")
    if not template:
        return ""
    args = dict(choice.reason_args)
    if "classes" in args:  # material class codes from the rate card, named in the reader's language
        args["classes"] = ", ".join(gettext(MATERIAL_CLASSES.get(c, c)) for c in args["classes"])
    return gettext(template) % args


def review_reason_text(outcome: Any, card: Any) -> str:
    if outcome.review_reason in REVIEW_REASONS:
        return gettext(REVIEW_REASONS[outcome.review_reason])
    return text_of(outcome.review_reason, outcome.review_params, card=card)


def driver_label(driver: Any) -> str:
    """A price driver in the reader's language, with its source where it has one."""
    label = _driver_words(driver.code, {k: local_number(v) if isinstance(v, str) else v
                                        for k, v in (driver.params or {}).items()}) or driver.label
    source = DRIVER_SOURCES.get(driver.source or "")
    return f"{label} ({gettext(source)})" if source else label


def _driver_words(code: str, p: dict[str, Any]) -> str | None:
    try:
        if code == "setups":
            return ngettext("%(num)s setup (%(directions)s)", "%(num)s setups (%(directions)s)",
                            p["count"]) % {"num": p["count"], "directions": p["directions"]}
        if code == "deep_pockets":
            return ngettext("%(num)s deep pocket, down to %(depth_mm)s mm",
                            "%(num)s deep pockets, down to %(depth_mm)s mm",
                            p["count"]) % {"num": p["count"], "depth_mm": p["depth_mm"]}
        if code == "holes":
            words = [ngettext("%(num)s hole", "%(num)s holes", p["count"]) % {"num": p["count"]}]
            if p.get("deep"):
                words.append(ngettext("%(num)s deeper than 6×D", "%(num)s deeper than 6×D",
                                      p["deep"]) % {"num": p["deep"]})
            if p.get("nonstandard"):
                words.append(ngettext("%(num)s not a standard drill size", "%(num)s not a standard drill size",
                                      p["nonstandard"]) % {"num": p["nonstandard"]})
            return ", ".join(words)
        if code == "stock":
            return gettext(STOCK[p["shape"]]) % p
        if code in DRIVERS:
            return gettext(DRIVERS[code]) % p if "%(" in DRIVERS[code] else gettext(DRIVERS[code])
    except (KeyError, TypeError, ValueError):  # params of an older shape: the English label
        return None
    return None


def driver_value(driver: Any) -> str:
    unit = DRIVER_UNITS.get(driver.unit)
    return f"{local_number(driver.value)} {gettext(unit) if unit else driver.unit}"


def long_date(value: date) -> str:
    return value.strftime("%d.%m.%Y") if current_language.get() == "ru" else value.strftime("%a %d %b %Y")


TEMPLATE_GLOBALS = {
    "money": money,
    "line_label": line_label,
    "suggestion_label": suggestion_label,
    "reason_text": reason_text,
    "review_reason_text": review_reason_text,
    "long_date": long_date,
    "driver_label": driver_label,
    "driver_value": driver_value,
    "units_name": units_name,
    "options_named": options_named,
}
