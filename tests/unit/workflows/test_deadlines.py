"""The legal deadline: Art. 12(3) GDPR, EDPB Guidelines 01/2022 ¶¶157-164, Reg. 1182/71 Art. 3.

Every weekday asserted here was checked with Python's ``calendar`` module, not from memory.
"""

from __future__ import annotations

import calendar as gregorian
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflows.domain.calendar import HolidayCalendar, load_calendar
from workflows.domain.deadlines import (
    Deadline,
    ExtensionReading,
    ExtensionRefusal,
    NaiveDatetimeError,
    add_months,
    due_date,
    extended_due_date,
    reminder_dates,
    riga_date,
)
from workflows.domain.errors import ExtensionNotAllowed, WorkflowError


@pytest.fixture(scope="module")
def latvia() -> HolidayCalendar:
    """The shipped calendar, read once per module: a frozen value, so sharing it leaks nothing."""
    return load_calendar()


REASONS = "Your request covers CCTV footage from 14 shops that must be reviewed and redacted."


def weekday(day: date) -> str:
    return gregorian.day_name[day.weekday()]


# -- months -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [(date(2026, 3, 5), 1, date(2026, 4, 5)), (date(2026, 8, 31), 1, date(2026, 9, 30)),
     (date(2026, 1, 31), 1, date(2026, 2, 28)), (date(2028, 1, 31), 1, date(2028, 2, 29)),
     (date(2026, 12, 15), 1, date(2027, 1, 15)), (date(2026, 1, 31), 3, date(2026, 4, 30)),
     (date(2026, 3, 31), -1, date(2026, 2, 28))],
)  # fmt: skip
def test_add_months_keeps_the_date_or_takes_the_months_last_day(
    start: date, months: int, expected: date
) -> None:
    assert add_months(start, months) == expected


# -- the one-month deadline -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "due", "why"),
    [
        (date(2026, 3, 5), date(2026, 4, 7), "5 Apr 2026 is Easter Sunday, 6 Apr Easter Monday"),
        (date(2025, 3, 5), date(2025, 4, 7), "5 Apr 2025 is a Saturday"),
        (date(2026, 8, 31), date(2026, 9, 30), "30 Sep 2026 is a Wednesday"),
        (date(2026, 1, 31), date(2026, 3, 2), "28 Feb 2026 is a Saturday"),
        (date(2028, 1, 31), date(2028, 2, 29), "leap year: 29 Feb 2028 is a Tuesday"),
        (date(2027, 1, 31), date(2027, 3, 1), "28 Feb 2027 is a Sunday"),
        (date(2026, 2, 10), date(2026, 3, 10), "an ordinary Tuesday"),
    ],
)
def test_due_date_table(latvia: HolidayCalendar, received: date, due: date, why: str) -> None:
    assert due_date(received, latvia) == due, why
    assert latvia.is_working_day(due)


@pytest.mark.parametrize(
    ("received", "holiday", "due"),
    [
        (date(2025, 12, 1), date(2026, 1, 1), date(2026, 1, 5)),  # New Year, then the Friday transfer
        (date(2026, 3, 3), date(2026, 4, 3), date(2026, 4, 7)),  # Good Friday, Easter Monday
        (date(2026, 4, 1), date(2026, 5, 1), date(2026, 5, 5)),  # 1 May Fri, 4 May Mon
        (date(2026, 4, 4), date(2026, 5, 4), date(2026, 5, 5)),  # 4 May
        (date(2027, 5, 23), date(2027, 6, 23), date(2027, 6, 25)),  # Līgo and Jāņi
        (date(2026, 10, 18), date(2026, 11, 18), date(2026, 11, 19)),  # 18 November
        (date(2026, 11, 24), date(2026, 12, 24), date(2026, 12, 28)),  # the Christmas run
    ],
)
def test_a_due_date_on_a_latvian_holiday_moves_to_the_next_working_day(
    latvia: HolidayCalendar, received: date, holiday: date, due: date
) -> None:
    assert add_months(received, 1) == holiday
    assert holiday.weekday() < 5 and not latvia.is_working_day(holiday)
    assert due_date(received, latvia) == due


def test_a_due_date_on_the_monday_after_proclamation_day_moves_again(latvia: HolidayCalendar) -> None:
    assert weekday(date(2023, 11, 18)) == "Saturday"
    assert due_date(date(2023, 10, 20), latvia) == date(2023, 11, 21)


def test_a_due_date_on_the_monday_after_independence_restoration_day_moves_again(
    latvia: HolidayCalendar,
) -> None:
    assert weekday(date(2024, 5, 4)) == "Saturday"
    assert due_date(date(2024, 4, 6), latvia) == date(2024, 5, 7)


def test_a_due_date_on_a_sunday_moves_to_monday(latvia: HolidayCalendar) -> None:
    assert weekday(date(2026, 3, 15)) == "Sunday"
    assert due_date(date(2026, 2, 15), latvia) == date(2026, 3, 16)


def test_a_due_date_on_a_transferred_working_saturday_still_moves(latvia: HolidayCalendar) -> None:
    assert weekday(date(2026, 6, 27)) == "Saturday"
    assert due_date(date(2026, 5, 27), latvia) == date(2026, 6, 29)


# -- the clock in Riga ------------------------------------------------------------------------


def test_a_saturday_night_arrival_in_utc_counts_as_sunday_in_riga() -> None:
    arrived = datetime(2026, 3, 7, 22, 30, tzinfo=UTC)
    assert weekday(arrived.date()) == "Saturday"
    assert riga_date(arrived) == date(2026, 3, 8)
    assert weekday(riga_date(arrived)) == "Sunday"


def test_a_summer_night_arrival_uses_riga_summer_time() -> None:
    # EEST is UTC+3: 21:30Z on 30 June is 00:30 on 1 July in Riga.
    assert riga_date(datetime(2026, 6, 30, 21, 30, tzinfo=UTC)) == date(2026, 7, 1)


def test_an_arrival_in_another_zone_is_placed_on_the_riga_calendar() -> None:
    new_york = ZoneInfo("America/New_York")
    assert riga_date(datetime(2026, 3, 5, 19, 0, tzinfo=new_york)) == date(2026, 3, 6)
    assert riga_date(datetime(2026, 3, 5, 1, 0, tzinfo=timezone(timedelta(hours=2)))) == date(2026, 3, 5)


def test_a_naive_receipt_time_is_refused() -> None:
    with pytest.raises(NaiveDatetimeError) as raised:
        riga_date(datetime(2026, 3, 7, 22, 30))
    assert isinstance(raised.value, WorkflowError)


# -- extension ----------------------------------------------------------------------------------


def test_extension_counts_two_further_months_from_receipt(latvia: HolidayCalendar) -> None:
    assert extended_due_date(date(2026, 3, 5), latvia) == date(2026, 6, 5)
    assert weekday(date(2026, 6, 5)) == "Friday"


def test_extension_at_a_month_end_takes_the_earlier_reading_by_default(latvia: HolidayCalendar) -> None:
    assert weekday(date(2026, 4, 28)) == "Tuesday"
    assert extended_due_date(date(2026, 1, 31), latvia) == date(2026, 4, 28)


def test_extension_reading_receipt_plus_three_months_can_be_chosen(latvia: HolidayCalendar) -> None:
    reading = ExtensionReading.RECEIPT_PLUS_THREE_MONTHS
    assert weekday(date(2026, 4, 30)) == "Thursday"
    assert extended_due_date(date(2026, 1, 31), latvia, reading) == date(2026, 4, 30)


def test_extension_end_moves_past_a_weekend_and_labour_day(latvia: HolidayCalendar) -> None:
    # 31 Jan 2028 -> 29 Feb -> 29 Apr 2028 (Saturday); 1 May is a holiday -> Tuesday 2 May.
    assert weekday(date(2028, 4, 29)) == "Saturday"
    assert extended_due_date(date(2028, 1, 31), latvia) == date(2028, 5, 2)


def test_an_agent_extends_on_the_due_day_itself(latvia: HolidayCalendar) -> None:
    deadline = Deadline.starting(date(2026, 2, 10), latvia)
    extended = deadline.extend(deadline.due_on, REASONS, latvia)
    assert extended.extended_due_on == date(2026, 5, 11)  # 10 May 2026 is Mother's Day, a Sunday
    assert extended.effective_due_on == date(2026, 5, 11)
    assert extended.extension_notice_sent_on == deadline.due_on
    assert extended.extension_reasons == (REASONS,)


def test_an_extension_notice_after_the_deadline_is_refused(latvia: HolidayCalendar) -> None:
    deadline = Deadline.starting(date(2026, 2, 10), latvia)
    with pytest.raises(ExtensionNotAllowed) as raised:
        deadline.extend(deadline.due_on + timedelta(days=1), REASONS, latvia)
    assert raised.value.fields["refusal"] is ExtensionRefusal.NOTICE_AFTER_DEADLINE


@pytest.mark.parametrize("reasons", ["", "   ", [], ["", " \n"]])
def test_an_extension_with_blank_reasons_is_refused(
    latvia: HolidayCalendar, reasons: str | list[str]
) -> None:
    deadline = Deadline.starting(date(2026, 2, 10), latvia)
    with pytest.raises(ExtensionNotAllowed) as raised:
        deadline.extend(date(2026, 2, 20), reasons, latvia)
    assert raised.value.fields["refusal"] is ExtensionRefusal.NO_REASONS


def test_a_second_extension_is_refused(latvia: HolidayCalendar) -> None:
    extended = Deadline.starting(date(2026, 2, 10), latvia).extend(date(2026, 2, 20), REASONS, latvia)
    with pytest.raises(ExtensionNotAllowed) as raised:
        extended.extend(date(2026, 2, 21), REASONS, latvia)
    assert raised.value.fields["refusal"] is ExtensionRefusal.ALREADY_EXTENDED


def test_an_extension_notice_dated_before_receipt_is_refused(latvia: HolidayCalendar) -> None:
    deadline = Deadline.starting(date(2026, 2, 10), latvia)
    with pytest.raises(ExtensionNotAllowed) as raised:
        deadline.extend(date(2026, 2, 9), REASONS, latvia)
    assert raised.value.fields["refusal"] is ExtensionRefusal.NOTICE_BEFORE_RECEIPT


def test_extension_keeps_the_first_due_date_on_record(latvia: HolidayCalendar) -> None:
    deadline = Deadline.starting(date(2026, 2, 10), latvia)
    assert deadline.extend(date(2026, 2, 20), [REASONS], latvia).due_on == date(2026, 3, 10)


# -- overdue, days left, reminders ------------------------------------------------------------


def test_the_due_day_itself_is_not_overdue(latvia: HolidayCalendar) -> None:
    deadline = Deadline.starting(date(2026, 2, 10), latvia)
    assert not deadline.is_overdue(date(2026, 3, 10))
    assert deadline.is_overdue(date(2026, 3, 11))


def test_days_left_counts_down_to_zero_then_negative(latvia: HolidayCalendar) -> None:
    deadline = Deadline.starting(date(2026, 2, 10), latvia)
    assert [deadline.days_left(day) for day in (date(2026, 3, 1), date(2026, 3, 10), date(2026, 3, 12))] == [
        9,
        0,
        -2,
    ]


def test_reminders_come_14_and_3_days_before_the_due_date(latvia: HolidayCalendar) -> None:
    deadline = Deadline.starting(date(2026, 2, 10), latvia)
    assert reminder_dates(deadline) == (date(2026, 2, 24), date(2026, 3, 7))


def test_reminders_with_a_calendar_move_earlier_to_a_working_day(latvia: HolidayCalendar) -> None:
    deadline = Deadline.starting(date(2026, 2, 10), latvia)
    assert weekday(date(2026, 3, 7)) == "Saturday"
    assert reminder_dates(deadline, calendar=latvia) == (date(2026, 2, 24), date(2026, 3, 6))


def test_reminders_follow_the_extended_due_date(latvia: HolidayCalendar) -> None:
    extended = Deadline.starting(date(2026, 2, 10), latvia).extend(date(2026, 2, 20), REASONS, latvia)
    assert reminder_dates(extended, days_before=(3,)) == (date(2026, 5, 8),)


def test_reminders_before_receipt_are_dropped(latvia: HolidayCalendar) -> None:
    deadline = Deadline.starting(date(2026, 2, 10), latvia)
    assert reminder_dates(deadline, days_before=(40, 3)) == (date(2026, 3, 7),)


def test_reminder_offsets_must_be_positive(latvia: HolidayCalendar) -> None:
    deadline = Deadline.starting(date(2026, 2, 10), latvia)
    with pytest.raises(ValueError, match="positive"):
        reminder_dates(deadline, days_before=(0,))


# -- properties -------------------------------------------------------------------------------

received_dates = st.dates(min_value=date(2023, 1, 1), max_value=date(2030, 12, 31))


@given(received_dates)
def test_due_date_is_always_a_working_day_after_receipt_within_a_month_and_ten_days(
    latvia: HolidayCalendar, received: date
) -> None:
    due = due_date(received, latvia)
    assert latvia.is_working_day(due)
    assert received < due <= add_months(received, 1) + timedelta(days=10)


@given(received_dates, st.sampled_from(ExtensionReading))
def test_extended_due_date_is_never_before_the_due_date(
    latvia: HolidayCalendar, received: date, reading: ExtensionReading
) -> None:
    extended = extended_due_date(received, latvia, reading)
    assert extended >= due_date(received, latvia)
    assert latvia.is_working_day(extended)


@given(received_dates, st.lists(st.integers(min_value=1, max_value=60), max_size=4))
def test_reminders_fall_between_receipt_and_the_due_date(
    latvia: HolidayCalendar, received: date, offsets: list[int]
) -> None:
    deadline = Deadline.starting(received, latvia)
    for reminder in reminder_dates(deadline, offsets, latvia):
        assert received <= reminder < deadline.due_on


def test_the_calendar_is_a_frozen_value(latvia: HolidayCalendar) -> None:
    assert isinstance(latvia, HolidayCalendar)
    with pytest.raises(AttributeError):
        latvia.transferred_days_off_are_holidays = False  # type: ignore[misc]
