"""Ship-by dates count Russian working days: no weekends, no public holidays, moved days off."""

from __future__ import annotations

from datetime import date

import pytest

from portal.quotes.services import ship_by


def test_a_part_quoted_on_29_december_ships_after_the_new_year_holidays() -> None:
    # 30 Dec is the one working day left in 2026 (31 Dec is a day off moved from 4 Jan);
    # 1–8 Jan are the holidays and 9–10 Jan a weekend, so the next two working days are 11 and 12 Jan.
    assert ship_by(date(2026, 12, 29), 3) == date(2027, 1, 12)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 3, 4), 2, date(2026, 3, 6)),  # plain weekdays
        (date(2026, 3, 6), 1, date(2026, 3, 10)),  # Friday → the weekend, then 9 March (for 8 March)
        (date(2026, 5, 8), 1, date(2026, 5, 12)),  # Victory Day on a Saturday is taken on Monday
        (date(2024, 12, 27), 1, date(2024, 12, 28)),  # a Saturday made a working day counts
        (date(2026, 6, 1), 0, date(2026, 6, 1)),
    ],
)
def test_ship_by_skips_weekends_and_public_holidays(start: date, days: int, expected: date) -> None:
    assert ship_by(start, days) == expected
