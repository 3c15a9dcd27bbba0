"""Read and check a holiday calendar file (TOML) into a :class:`HolidayCalendar`.

Every problem is collected before raising, so an operator who edited the file sees all of
them at once, each as ``<file>: <key>: <what is wrong>``, e.g.
``lv_calendar.toml: transfers.2026[0].date: not a date: '2026-13-01'``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from workflows.domain.calendar import (
    SATURDAY,
    EasterHoliday,
    ExtraHoliday,
    FixedHoliday,
    HolidayCalendar,
    NthWeekdayHoliday,
    TransferredWorkingDay,
)
from workflows.domain.errors import ConfigurationError

SHIPPED_CALENDAR = "lv_calendar.toml"
SUPPORTED_FORMAT = 1

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MOVES = "weekend_moves_to_next_working_day"
_TOP_LEVEL_KEYS = frozenset({"format", "rules", "fixed", "easter_based", "nth_weekday", "transfers", "extra_holidays"})
_RULE_KEYS = frozenset({"transferred_days_off_are_holidays"})


def read_calendar_file(path: Path | None = None) -> HolidayCalendar:
    """Read ``path`` (or the shipped calendar when ``None``) and build the calendar."""
    if path is None:
        resource = resources.files("workflows.domain").joinpath("data", SHIPPED_CALENDAR)
        label, raw = SHIPPED_CALENDAR, resource.read_bytes()
    else:
        label = path.name
        try:
            raw = path.read_bytes()
        except OSError as error:
            problem = f"{label}: cannot be read: {error.strerror or error}"
            raise ConfigurationError(problem, path=str(path)) from error
    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ConfigurationError(f"{label}: not UTF-8 text", path=str(path or label)) from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(f"{label}: not valid TOML: {error}", path=str(path or label)) from error
    return calendar_from_document(document, label)


def calendar_from_document(document: Mapping[str, Any], source: str) -> HolidayCalendar:
    """Check an already parsed document; ``source`` names the file in problem messages."""
    checker = _Checker(source)
    calendar = checker.build(document)
    if checker.problems:
        raise ConfigurationError(
            f"{source}: the holiday calendar has {len(checker.problems)} problem(s)",
            problems=checker.problems,
            source=source,
        )
    return calendar


class _Checker:
    """Walks the document, collecting problems instead of stopping at the first."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[str] = []

    def problem(self, key: str, what: str) -> None:
        self.problems.append(f"{self.source}: {key}: {what}")

    def build(self, document: Mapping[str, Any]) -> HolidayCalendar:
        for key in sorted(set(document) - _TOP_LEVEL_KEYS):
            self.problem(key, "unknown key")
        file_format = document.get("format")
        if file_format != SUPPORTED_FORMAT:
            self.problem("format", f"expected {SUPPORTED_FORMAT}, found {file_format!r}")
        rules = self.table(document, "rules")
        for key in sorted(set(rules) - _RULE_KEYS):
            self.problem(f"rules.{key}", "unknown key")
        transferred_off = rules.get("transferred_days_off_are_holidays", True)
        if not isinstance(transferred_off, bool):
            self.problem("rules.transferred_days_off_are_holidays", f"not true/false: {transferred_off!r}")
            transferred_off = True
        transfers, reviewed = self.transfers(document)
        return HolidayCalendar(
            fixed=tuple(self.fixed(document)),
            easter_based=tuple(self.easter_based(document)),
            nth_weekday=tuple(self.nth_weekday(document)),
            extra_holidays=tuple(self.extra_holidays(document)),
            transfers=tuple(transfers),
            reviewed_years=frozenset(reviewed),
            transferred_days_off_are_holidays=transferred_off,
            source=self.source,
        )

    # -- sections ---------------------------------------------------------------------------

    def fixed(self, document: Mapping[str, Any]) -> list[FixedHoliday]:
        found = []
        for key, entry in self.entries(document, "fixed", {"month", "day", "name", _MOVES}):
            month = self.integer(entry, key, "month", 1, 12)
            day = self.integer(entry, key, "day", 1, 31)
            name = self.text(entry, key, "name")
            moves = self.flag(entry, key, _MOVES)
            if month is not None and day is not None:
                try:
                    date(2000, month, day)  # a leap year, so 29 February is allowed
                except ValueError:
                    self.problem(f"{key}.day", f"no day {day} in month {month}")
                    continue
                if name is not None:
                    found.append(FixedHoliday(month, day, name, moves))
        return found

    def easter_based(self, document: Mapping[str, Any]) -> list[EasterHoliday]:
        found = []
        for key, entry in self.entries(document, "easter_based", {"offset_days", "name"}):
            offset = self.integer(entry, key, "offset_days", -100, 100)
            name = self.text(entry, key, "name")
            if offset is not None and name is not None:
                found.append(EasterHoliday(offset, name))
        return found

    def nth_weekday(self, document: Mapping[str, Any]) -> list[NthWeekdayHoliday]:
        found = []
        for key, entry in self.entries(document, "nth_weekday", {"month", "weekday", "nth", "name"}):
            month = self.integer(entry, key, "month", 1, 12)
            nth = self.integer(entry, key, "nth", 1, 4)
            name = self.text(entry, key, "name")
            weekday_name = entry.get("weekday")
            weekday = _WEEKDAYS.index(weekday_name) if weekday_name in _WEEKDAYS else None
            if weekday is None:
                self.problem(f"{key}.weekday", f"not one of {', '.join(_WEEKDAYS)}: {weekday_name!r}")
            if month is not None and nth is not None and name is not None and weekday is not None:
                found.append(NthWeekdayHoliday(month, weekday, nth, name))
        return found

    def extra_holidays(self, document: Mapping[str, Any]) -> list[ExtraHoliday]:
        found = []
        for year, key, entry in self.yearly(document, "extra_holidays", {"date", "name", _MOVES}):
            on = self.date_in_year(entry, key, "date", year)
            name = self.text(entry, key, "name")
            moves = self.flag(entry, key, _MOVES)
            if on is not None and name is not None:
                found.append(ExtraHoliday(on, name, moves))
        return found

    def transfers(self, document: Mapping[str, Any]) -> tuple[list[TransferredWorkingDay], set[int]]:
        found = []
        reviewed = {year for year, _ in self.years(document, "transfers")}
        for year, key, entry in self.yearly(document, "transfers", {"date", "worked_on", "order"}):
            day_off = self.date_in_year(entry, key, "date", year)
            worked_on = self.date_in_year(entry, key, "worked_on", year)
            order = entry.get("order", "")
            if not isinstance(order, str):
                self.problem(f"{key}.order", f"not text: {order!r}")
                order = ""
            if day_off is not None and day_off.weekday() >= SATURDAY:
                self.problem(f"{key}.date", f"a transferred day off must be a weekday: {day_off.isoformat()}")
                day_off = None
            if worked_on is not None and worked_on.weekday() != SATURDAY:
                self.problem(f"{key}.worked_on", f"must be a Saturday: {worked_on.isoformat()}")
                worked_on = None
            if day_off is not None and worked_on is not None:
                found.append(TransferredWorkingDay(day_off, worked_on, order))
        return found, reviewed

    # -- structure --------------------------------------------------------------------------

    def table(self, document: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        value = document.get(key, {})
        if not isinstance(value, Mapping):
            self.problem(key, f"not a table: {value!r}")
            return {}
        return value

    def entries(self, document: Mapping[str, Any], key: str, allowed: set[str]) -> list[tuple[str, Mapping[str, Any]]]:
        value = document.get(key, [])
        if not isinstance(value, list):
            self.problem(key, "not a list of tables")
            return []
        return self.checked_entries(value, key, allowed)

    def checked_entries(self, value: list[Any], key: str, allowed: set[str]) -> list[tuple[str, Mapping[str, Any]]]:
        found = []
        for index, entry in enumerate(value):
            entry_key = f"{key}[{index}]"
            if not isinstance(entry, Mapping):
                self.problem(entry_key, f"not a table: {entry!r}")
                continue
            for unknown in sorted(set(entry) - allowed):
                self.problem(f"{entry_key}.{unknown}", "unknown key")
            found.append((entry_key, entry))
        return found

    def years(self, document: Mapping[str, Any], key: str) -> list[tuple[int, list[Any]]]:
        found = []
        for year_text, value in self.table(document, key).items():
            year_key = f"{key}.{year_text}"
            if not (year_text.isascii() and year_text.isdigit() and len(year_text) == 4):
                self.problem(year_key, "not a four-digit year")
                continue
            if not isinstance(value, list):
                self.problem(year_key, "not a list of tables (write [] for a year without any)")
                continue
            found.append((int(year_text), value))
        return found

    def yearly(
        self, document: Mapping[str, Any], key: str, allowed: set[str]
    ) -> list[tuple[int, str, Mapping[str, Any]]]:
        return [
            (year, entry_key, entry)
            for year, value in self.years(document, key)
            for entry_key, entry in self.checked_entries(value, f"{key}.{year}", allowed)
        ]

    # -- values -----------------------------------------------------------------------------

    def integer(self, entry: Mapping[str, Any], key: str, name: str, low: int, high: int) -> int | None:
        value = entry.get(name)
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(f"{key}.{name}", f"not a whole number: {value!r}")
            return None
        if not low <= value <= high:
            self.problem(f"{key}.{name}", f"out of range {low}..{high}: {value}")
            return None
        return value

    def text(self, entry: Mapping[str, Any], key: str, name: str) -> str | None:
        value = entry.get(name)
        if not isinstance(value, str) or not value.strip():
            self.problem(f"{key}.{name}", f"missing or blank text: {value!r}")
            return None
        return value.strip()

    def flag(self, entry: Mapping[str, Any], key: str, name: str) -> bool:
        value = entry.get(name, False)
        if not isinstance(value, bool):
            self.problem(f"{key}.{name}", f"not true/false: {value!r}")
            return False
        return value

    def date_in_year(self, entry: Mapping[str, Any], key: str, name: str, year: int) -> date | None:
        value = entry.get(name)
        # TOML has a date type (2026-01-02, unquoted); a quoted ISO string is accepted too.
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                self.problem(f"{key}.{name}", f"not a date: {value!r}")
                return None
        if not isinstance(value, date) or hasattr(value, "hour"):
            self.problem(f"{key}.{name}", f"not a date: {value!r}")
            return None
        if value.year != year:
            self.problem(f"{key}.{name}", f"{value.isoformat()} is not in {year}")
            return None
        return value
