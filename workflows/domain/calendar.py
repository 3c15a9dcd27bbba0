"""The Latvian holiday calendar, built from data, for the end of legal periods.

Regulation (EEC, Euratom) No 1182/71, Art. 3(4): a period that ends on a public holiday,
a Saturday or a Sunday ends instead at the end of the following working day. Art. 2(1)
takes "public holidays" from the Member State where the act is done: for rightsdesk the
law "Par svētku, atceres un atzīmējamām dienām" (On Holidays, Commemoration Days and
Celebration Days) and the Cabinet orders that transfer working days (Labour Law s.133(4)).

The rules are data (``workflows/domain/data/lv_calendar.toml``) because Parliament and
the Cabinet change them: an operator edits a copy and points rightsdesk at it. Reading and
checking that file lives in :mod:`workflows.domain.calendar_file`; this module only
computes. Nothing here reads a clock or a file.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from types import MappingProxyType

SATURDAY = 5
"""``date.weekday()`` of Saturday; Saturday and Sunday are never working days (Reg. 1182/71 Art. 3(4))."""

_NAME_SEPARATOR = " / "


def easter_sunday(year: int) -> date:
    """Western (Gregorian) Easter Sunday: the anonymous Gregorian algorithm (Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return date(year, month, day + 1)


@dataclass(frozen=True, slots=True)
class FixedHoliday:
    """A holiday on the same month and day every year (1 January, 18 November, ...).

    ``weekend_moves_to_next_working_day``: the law gives the next working day off when the
    holiday falls on a Saturday or Sunday (4 May and 18 November since 2007).
    """

    month: int
    day: int
    name: str
    weekend_moves_to_next_working_day: bool = False

    def on(self, year: int) -> date | None:
        """The holiday's date in ``year``; None for 29 February in a common year."""
        try:
            return date(year, self.month, self.day)
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class EasterHoliday:
    """A holiday a fixed number of days from Easter Sunday (Good Friday -2, Pentecost +49)."""

    offset_days: int
    name: str

    def on(self, year: int) -> date:
        return easter_sunday(year) + timedelta(days=self.offset_days)


@dataclass(frozen=True, slots=True)
class NthWeekdayHoliday:
    """The n-th given weekday of a month (Mother's Day: the second Sunday of May).

    ``weekday`` follows ``date.weekday()``: Monday 0 ... Sunday 6.
    """

    month: int
    weekday: int
    nth: int
    name: str

    def on(self, year: int) -> date:
        first = date(year, self.month, 1)
        offset = (self.weekday - first.weekday()) % 7
        return first + timedelta(days=offset + 7 * (self.nth - 1))


@dataclass(frozen=True, slots=True)
class ExtraHoliday:
    """A holiday on one date only: the closing day of the Song and Dance Festival, one-off days."""

    on_date: date
    name: str
    weekend_moves_to_next_working_day: bool = False


@dataclass(frozen=True, slots=True)
class TransferredWorkingDay:
    """A Cabinet order (Labour Law s.133(4)) moving the working day ``day_off`` to ``worked_on``.

    ``day_off`` is a weekday between a holiday and a weekend; ``worked_on`` is a Saturday. The
    order binds budget-funded institutions and is recommended to everyone else.
    """

    day_off: date
    worked_on: date
    order: str = ""


@dataclass(frozen=True)
class HolidayCalendar:
    """Which days are working days for the end of a legal period in Latvia.

    ``reviewed_years``: years whose Cabinet transfers someone has checked against the orders
    (the file lists a ``transfers`` entry for them, possibly empty). For other years the
    calendar still knows the statutory holidays but may miss transferred days: callers should
    warn (:meth:`is_year_reviewed`).

    ``transferred_days_off_are_holidays`` (VERIFY): whether a weekday the Cabinet turned into a
    day off counts as a "public holiday" under Reg. 1182/71 Art. 2(1). The orders bind only
    budget-funded institutions, so a cautious reading is ``False`` (the period ends a day sooner).
    A Saturday turned into a working day stays a Saturday for Art. 3(4) whatever this says.
    """

    fixed: tuple[FixedHoliday, ...] = ()
    easter_based: tuple[EasterHoliday, ...] = ()
    nth_weekday: tuple[NthWeekdayHoliday, ...] = ()
    extra_holidays: tuple[ExtraHoliday, ...] = ()
    transfers: tuple[TransferredWorkingDay, ...] = ()
    reviewed_years: frozenset[int] = frozenset()
    transferred_days_off_are_holidays: bool = True
    source: str = field(default="<memory>", compare=False)

    def holidays_in(self, year: int) -> Mapping[date, str]:
        """Every non-working weekday or named holiday of ``year`` with its name, in date order.

        Includes Sunday holidays (Easter, Mother's Day, Pentecost) for completeness, the Monday
        given off when 4 May or 18 November falls on a weekend, and transferred days off when
        :attr:`transferred_days_off_are_holidays` is set.
        """
        return _holidays_of_year(self, year)

    def is_holiday(self, day: date) -> bool:
        return day in _holidays_of_year(self, day.year)

    def is_working_day(self, day: date) -> bool:
        """Monday to Friday and not a holiday: a legal period may end on this day (Reg. 1182/71 Art. 3(4))."""
        return day.weekday() < SATURDAY and not self.is_holiday(day)

    def next_working_day_on_or_after(self, day: date) -> date:
        """``day`` itself when it is a working day, else the first working day after it."""
        candidate = day
        while not self.is_working_day(candidate):
            candidate += timedelta(days=1)
        return candidate

    def previous_working_day_on_or_before(self, day: date) -> date:
        """``day`` itself when it is a working day, else the last working day before it."""
        candidate = day
        while not self.is_working_day(candidate):
            candidate -= timedelta(days=1)
        return candidate

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in the half-open range ``(start, end]``; negative when ``end < start``."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(1 for day in _days(start + timedelta(days=1), end) if self.is_working_day(day))

    def is_transferred_working_saturday(self, day: date) -> bool:
        """A Saturday a Cabinet order made a working day: staff may be in, but no period ends on it."""
        return any(transfer.worked_on == day for transfer in self.transfers)

    def is_year_reviewed(self, year: int) -> bool:
        """Whether the Cabinet transfers of ``year`` have been checked into the data (VERIFY yearly)."""
        return year in self.reviewed_years


def load_calendar(path: Path | None = None) -> HolidayCalendar:
    """Read a calendar file; ``None`` reads the shipped ``lv_calendar.toml``.

    Raises :class:`workflows.domain.errors.ConfigurationError` listing every problem found,
    each naming the file, the key and what is wrong.
    """
    # Imported here, not at the top: calendar_file builds HolidayCalendar objects from this
    # module, and a top-level import either way round would be circular.
    from workflows.domain.calendar_file import read_calendar_file

    return read_calendar_file(path)


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


@functools.lru_cache(maxsize=256)
def _holidays_of_year(calendar: HolidayCalendar, year: int) -> Mapping[date, str]:
    # Cached because deadline arithmetic asks about the same few years over and over; the
    # calendar is frozen and hashable, so the cache can never go stale.
    named: dict[date, list[str]] = {}
    for day, name in _statutory_days(calendar, year):
        named.setdefault(day, []).append(name)
    # A holiday late in the previous year could in principle give a day off in this one.
    for source_year in (year - 1, year):
        for day, name in _weekend_replacement_days(calendar, source_year):
            if day.year == year:
                named.setdefault(day, []).append(name)
    if calendar.transferred_days_off_are_holidays:
        for transfer in calendar.transfers:
            if transfer.day_off.year == year:
                label = f"transferred day off (worked on {transfer.worked_on.isoformat()})"
                named.setdefault(transfer.day_off, []).append(label)
    return MappingProxyType({day: _NAME_SEPARATOR.join(named[day]) for day in sorted(named)})


def _statutory_days(calendar: HolidayCalendar, year: int) -> Iterator[tuple[date, str]]:
    for fixed in calendar.fixed:
        on = fixed.on(year)
        if on is not None:
            yield on, fixed.name
    for movable in calendar.easter_based:
        yield movable.on(year), movable.name
    for nth in calendar.nth_weekday:
        yield nth.on(year), nth.name
    for extra in calendar.extra_holidays:
        if extra.on_date.year == year:
            yield extra.on_date, extra.name


def _weekend_replacement_days(calendar: HolidayCalendar, year: int) -> Iterator[tuple[date, str]]:
    """The next working day off for a holiday that fell on a Saturday or Sunday."""
    statutory = {day for day, _ in _statutory_days(calendar, year)}
    statutory |= {day for day, _ in _statutory_days(calendar, year + 1)}
    moving: list[tuple[date, str]] = [
        (on, fixed.name)
        for fixed in calendar.fixed
        if fixed.weekend_moves_to_next_working_day and (on := fixed.on(year)) is not None
    ]
    moving += [
        (extra.on_date, extra.name)
        for extra in calendar.extra_holidays
        if extra.weekend_moves_to_next_working_day and extra.on_date.year == year
    ]
    for on, name in moving:
        if on.weekday() < SATURDAY:
            continue
        replacement = on + timedelta(days=1)
        while replacement.weekday() >= SATURDAY or replacement in statutory:
            replacement += timedelta(days=1)
        yield replacement, f"{name}: day off moved from {on.isoformat()}"
