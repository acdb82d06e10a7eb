"""What makes the price, in the reader's language: worded by the driver's code from its numbers,
the English label where the code is not known or its numbers are not there."""

from __future__ import annotations

from decimal import Decimal

from geometry.pricing import Driver
from portal.quotes.labels import driver_label, driver_value
from tests.unit.portal.test_rate_card_names import language


def test_machining_drivers_read_in_russian_with_russian_plurals_and_numbers() -> None:
    setups = Driver("setups", "5 setups (+Z, -Z, +X, -X, +Y)", Decimal("10.00"), "min",
                    params={"count": 5, "directions": "+Z, -Z, +X, -X, +Y"})
    radius = Driver("inside_radius", "Smallest inside radius 1.5 mm → 3 mm end mill", Decimal(3), "mm",
                    params={"radius_mm": "1.5", "tool_mm": "3"})
    holes = Driver("holes", "21 holes, 2 deeper than 6×D", Decimal("4.10"), "min",
                   params={"count": 21, "deep": 2, "nonstandard": 0})
    with language("ru"):
        assert driver_label(setups) == "5 установов (+Z, -Z, +X, -X, +Y)"
        assert driver_label(radius) == "Наименьший внутренний радиус 1,5 мм → концевая фреза 3 мм"
        assert driver_label(holes) == "21 отверстие, 2 глубже 6×D"
        assert driver_value(setups) == "10,00 мин"
    with language("en"):
        assert driver_label(holes) == "21 holes, 2 deeper than 6×D"


def test_print_drivers_say_where_the_figure_comes_from() -> None:
    printed = Driver("print_time", "Print time per part", Decimal("1.97"), "h", "slicer")
    with language("ru"):
        assert driver_label(printed) == "Время печати на деталь (по слайсеру)"
    with language("en"):
        assert driver_label(printed) == "Print time per part (from the slicer)"


def test_an_unknown_code_or_missing_numbers_keep_the_english_label() -> None:
    with language("ru"):
        assert driver_label(Driver("new_thing", "Something new", Decimal(1), "h")) == "Something new"
        assert driver_label(Driver("setups", "2 setups (+Z, -Z)", Decimal(4), "min")) == "2 setups (+Z, -Z)"
