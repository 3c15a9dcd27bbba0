"""The Latvian holiday calendar as data: statutory days, weekend replacements, transfers, the file.

Every weekday asserted here was checked with Python's ``calendar`` module, not from memory.
"""

from __future__ import annotations

import calendar as gregorian
from datetime import date
from pathlib import Path

import pytest

from workflows.domain.calendar import HolidayCalendar, easter_sunday, load_calendar
from workflows.domain.calendar_file import calendar_from_document
from workflows.domain.errors import ConfigurationError

SHIPPED_FILE = Path(__file__).resolve().parents[3] / "workflows" / "domain" / "data" / "lv_calendar.toml"


@pytest.fixture(scope="module")
def latvia() -> HolidayCalendar:
    return load_calendar()


def weekday(day: date) -> str:
    return gregorian.day_name[day.weekday()]


def write_copy(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "my_calendar.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("year", "expected"),
    [(2023, date(2023, 4, 9)), (2024, date(2024, 3, 31)), (2025, date(2025, 4, 20)),
     (2026, date(2026, 4, 5)), (2027, date(2027, 3, 28)), (2028, date(2028, 4, 16)),
     (2038, date(2038, 4, 25)), (2285, date(2285, 3, 22))],
)  # fmt: skip
def test_easter_sunday_follows_the_gregorian_computus(year: int, expected: date) -> None:
    assert easter_sunday(year) == expected
    assert weekday(expected) == "Sunday"


@pytest.mark.parametrize(
    "holiday",
    [date(2026, 1, 1), date(2026, 5, 1), date(2026, 5, 4), date(2026, 6, 23), date(2026, 6, 24),
     date(2026, 11, 18), date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 31)],
)  # fmt: skip
def test_each_fixed_weekday_holiday_is_not_a_working_day(latvia: HolidayCalendar, holiday: date) -> None:
    assert holiday.weekday() < 5, "the example must be a weekday to prove anything"
    assert not latvia.is_working_day(holiday)


def test_easter_based_days_of_2026_are_holidays(latvia: HolidayCalendar) -> None:
    holidays = latvia.holidays_in(2026)
    assert weekday(date(2026, 4, 3)) == "Friday"
    assert "Good Friday" in holidays[date(2026, 4, 3)]
    assert "Easter Sunday" in holidays[date(2026, 4, 5)]
    assert "Easter Monday" in holidays[date(2026, 4, 6)]
    assert "Pentecost" in holidays[date(2026, 5, 24)]


def test_mothers_day_is_the_second_sunday_of_may(latvia: HolidayCalendar) -> None:
    sundays_of_may_2026 = [
        day for day in (date(2026, 5, n) for n in range(1, 32)) if day.weekday() == gregorian.SUNDAY
    ]
    assert "Mother's Day" in latvia.holidays_in(2026)[sundays_of_may_2026[1]]


def test_proclamation_day_on_a_saturday_gives_monday_off(latvia: HolidayCalendar) -> None:
    assert weekday(date(2023, 11, 18)) == "Saturday"
    assert weekday(date(2023, 11, 20)) == "Monday"
    assert not latvia.is_working_day(date(2023, 11, 20))


def test_independence_restoration_day_on_a_saturday_gives_monday_off(latvia: HolidayCalendar) -> None:
    assert weekday(date(2024, 5, 4)) == "Saturday"
    assert not latvia.is_working_day(date(2024, 5, 6))
    assert latvia.is_working_day(date(2024, 5, 7))


def test_independence_restoration_day_on_a_sunday_gives_monday_off(latvia: HolidayCalendar) -> None:
    assert weekday(date(2025, 5, 4)) == "Sunday"
    assert "moved from 2025-05-04" in latvia.holidays_in(2025)[date(2025, 5, 5)]


def test_midsummer_on_a_weekend_gives_no_monday_off(latvia: HolidayCalendar) -> None:
    assert weekday(date(2028, 6, 24)) == "Saturday"
    assert latvia.is_working_day(date(2028, 6, 26))


def test_song_festival_closing_day_on_a_sunday_gives_monday_off(latvia: HolidayCalendar) -> None:
    assert weekday(date(2023, 7, 9)) == "Sunday"
    assert not latvia.is_working_day(date(2023, 7, 10))


def test_one_off_hockey_holiday_of_2023_is_kept(latvia: HolidayCalendar) -> None:
    assert not latvia.is_working_day(date(2023, 5, 29))


def test_cabinet_transferred_day_off_is_not_a_working_day(latvia: HolidayCalendar) -> None:
    assert weekday(date(2026, 1, 2)) == "Friday"
    assert not latvia.is_working_day(date(2026, 1, 2))


def test_saturday_made_a_working_day_still_ends_no_period(latvia: HolidayCalendar) -> None:
    assert weekday(date(2026, 1, 17)) == "Saturday"
    assert latvia.is_transferred_working_saturday(date(2026, 1, 17))
    assert not latvia.is_working_day(date(2026, 1, 17))


def test_transfers_can_be_read_as_ordinary_working_days(tmp_path: Path) -> None:
    text = SHIPPED_FILE.read_text(encoding="utf-8").replace(
        "transferred_days_off_are_holidays = true", "transferred_days_off_are_holidays = false"
    )
    cautious = load_calendar(write_copy(tmp_path, text))
    assert cautious.is_working_day(date(2026, 1, 2))


def test_years_without_reviewed_transfers_are_flagged(latvia: HolidayCalendar) -> None:
    assert [latvia.is_year_reviewed(year) for year in (2024, 2025, 2026)] == [True, True, True]
    assert not latvia.is_year_reviewed(2027)


def test_next_working_day_skips_the_christmas_run(latvia: HolidayCalendar) -> None:
    # 24 Dec 2026 Thursday, 25 Friday, 26 Saturday, 27 Sunday -> Monday 28.
    assert weekday(date(2026, 12, 28)) == "Monday"
    assert latvia.next_working_day_on_or_after(date(2026, 12, 24)) == date(2026, 12, 28)


def test_next_working_day_skips_new_years_eve_new_year_and_the_weekend(latvia: HolidayCalendar) -> None:
    # A one-month period never ends on 31 December (there is no 31 November), but an
    # extended one or a reminder can meet this run: Fri 31 Dec 2027, Sat 1 Jan, Sun 2 Jan.
    assert weekday(date(2027, 12, 31)) == "Friday"
    assert latvia.next_working_day_on_or_after(date(2027, 12, 31)) == date(2028, 1, 3)


def test_next_working_day_of_a_working_day_is_itself(latvia: HolidayCalendar) -> None:
    assert weekday(date(2026, 3, 5)) == "Thursday"
    assert latvia.next_working_day_on_or_after(date(2026, 3, 5)) == date(2026, 3, 5)


def test_working_days_between_counts_the_end_but_not_the_start(latvia: HolidayCalendar) -> None:
    # Mon 21 Dec 2026 -> Mon 28 Dec: 22, 23 and 28 are working days.
    assert latvia.working_days_between(date(2026, 12, 21), date(2026, 12, 28)) == 3


def test_holidays_in_lists_dates_in_order(latvia: HolidayCalendar) -> None:
    days = list(latvia.holidays_in(2025))
    assert days == sorted(days)
    assert days[0] == date(2025, 1, 1) and days[-1] == date(2025, 12, 31)


def test_an_operator_copy_with_an_impossible_date_names_file_key_and_value(tmp_path: Path) -> None:
    text = SHIPPED_FILE.read_text(encoding="utf-8").replace("{ date = 2026-01-02,", "{ date = '2026-13-01',")
    with pytest.raises(ConfigurationError) as raised:
        load_calendar(write_copy(tmp_path, text))
    assert "my_calendar.toml: transfers.2026[0].date: not a date: '2026-13-01'" in raised.value.problems


def test_every_problem_in_a_file_is_reported_at_once() -> None:
    document = {
        "format": 1,
        "fixed": [{"month": 2, "day": 30, "name": "Nonsense"}, {"month": 1, "day": 1, "name": " "}],
        "transfers": {"2026": [{"date": "2026-01-03", "worked_on": "2026-01-16"}]},
        "surprise": True,
    }
    with pytest.raises(ConfigurationError) as raised:
        calendar_from_document(document, "edited.toml")
    assert raised.value.problems == [
        "edited.toml: surprise: unknown key",
        "edited.toml: transfers.2026[0].date: a transferred day off must be a weekday: 2026-01-03",
        "edited.toml: transfers.2026[0].worked_on: must be a Saturday: 2026-01-16",
        "edited.toml: fixed[0].day: no day 30 in month 2",
        "edited.toml: fixed[1].name: missing or blank text: ' '",
    ]


def test_a_date_filed_under_the_wrong_year_is_refused() -> None:
    document = {"format": 1, "extra_holidays": {"2028": [{"date": "2027-07-08", "name": "Festival"}]}}
    with pytest.raises(ConfigurationError) as raised:
        calendar_from_document(document, "edited.toml")
    assert raised.value.problems == ["edited.toml: extra_holidays.2028[0].date: 2027-07-08 is not in 2028"]


def test_a_file_that_is_not_toml_is_refused_with_its_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_calendar(write_copy(tmp_path, "fixed = [\n"))
    assert str(raised.value).startswith("my_calendar.toml: not valid TOML")


def test_a_missing_file_is_refused_with_its_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_calendar(tmp_path / "absent.toml")
    assert str(raised.value).startswith("absent.toml: cannot be read")
