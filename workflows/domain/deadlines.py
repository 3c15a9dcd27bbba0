"""The legal deadline of a rights request: received date, due date, extension, reminders.

GDPR Art. 12(3): the controller answers "without undue delay and in any event within one
month of receipt of the request", extendable "by two further months where necessary, taking
into account the complexity and number of the requests", provided the data subject is told
of the extension and its reasons within the first month.

EDPB Guidelines 01/2022 on the right of access (v2), ¶¶157-164: the month runs from receipt
by the controller on any of its channels, even if nobody has read the request yet (¶159);
it ends on the same date of the next month, or that month's last day where the date does
not exist; one month is a ceiling, not a target.

Regulation (EEC, Euratom) No 1182/71, Art. 3: the day of receipt is not counted; a period
ending on a Saturday, Sunday or public holiday ends with the following working day.

Time zone: Europe/Riga. Time is injected: nothing here reads a clock.
"""

from __future__ import annotations

import calendar as gregorian
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from workflows.domain.calendar import HolidayCalendar
from workflows.domain.errors import ExtensionNotAllowed, WorkflowError

RIGA = "Europe/Riga"
DEFAULT_REMINDER_DAYS: tuple[int, ...] = (14, 3)
"""Days before the effective due date on which staff are reminded (docs/law.md §Deadlines: warn well before)."""


class NaiveDatetimeError(WorkflowError, ValueError):
    """A receipt time without a time zone: it cannot be placed on the Riga calendar.

    A programming error at a channel's edge (every channel knows when and where it received
    something), so it is permanent.
    """


class ExtensionRefusal(StrEnum):
    """Why :meth:`Deadline.extend` refused; carried as ``ExtensionNotAllowed.fields["refusal"]``."""

    NOTICE_AFTER_DEADLINE = "notice_after_deadline"
    """Art. 12(3), EDPB ¶¶157-164: the notice must reach the person within the first month."""
    NOTICE_BEFORE_RECEIPT = "notice_before_receipt"
    """A notice dated before the request was received is a data-entry error."""
    NO_REASONS = "no_reasons"
    """Art. 12(3): the person must be told the reasons for the delay."""
    ALREADY_EXTENDED = "already_extended"
    """Art. 12(3) allows one extension of at most two further months, not a chain of them."""


class ExtensionReading(StrEnum):
    """How to count "two further months" where month lengths differ (a configuration item: docs/law.md §Deadlines).

    For a request received on 31 January 2026: receipt + 3 months = 30 April, but
    (+1 month = 28 February) + 2 months = 28 April.
    """

    EARLIER = "earlier"
    """The earlier of the two readings: the safe default until a lawyer has confirmed one."""
    RECEIPT_PLUS_THREE_MONTHS = "receipt_plus_three_months"
    ONE_THEN_TWO_MONTHS = "one_then_two_months"


def riga_date(moment: datetime) -> date:
    """The Riga-local calendar date of an aware ``moment``: the day the clock starts.

    Weekend and night arrivals count that day (EDPB ¶159): Saturday 22:30 UTC is Sunday
    00:30 in Riga and counts as Sunday. Naive datetimes are refused, never guessed.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise NaiveDatetimeError(
            "a receipt time must carry a time zone (naive datetime given)", received=moment.isoformat()
        )
    return moment.astimezone(ZoneInfo(RIGA)).date()


def add_months(day: date, months: int) -> date:
    """The same date ``months`` later, or that month's last day where the date does not exist.

    EDPB ¶¶157-164 / Reg. 1182/71 Art. 3(2)(c): 5 March -> 5 April; 31 August -> 30 September;
    31 January -> 28 February (29 in a leap year). ``months`` may be negative.
    """
    month_index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(month_index, 12)
    month += 1
    return date(year, month, min(day.day, gregorian.monthrange(year, month)[1]))


def due_date(received: date, calendar: HolidayCalendar) -> date:
    """Art. 12(3) + Reg. 1182/71 Art. 3: one month after receipt, then the next working day."""
    return calendar.next_working_day_on_or_after(add_months(received, 1))


def extended_due_date(
    received: date, calendar: HolidayCalendar, reading: ExtensionReading = ExtensionReading.EARLIER
) -> date:
    """Art. 12(3): the deadline after an extension by two further months, on a working day.

    Both readings count from the unshifted one-month date; only the final day moves to a
    working day (Reg. 1182/71 Art. 3(4) applies to the end of the whole period).
    """
    plus_three = add_months(received, 3)
    one_then_two = add_months(add_months(received, 1), 2)
    if reading is ExtensionReading.RECEIPT_PLUS_THREE_MONTHS:
        last_day = plus_three
    elif reading is ExtensionReading.ONE_THEN_TWO_MONTHS:
        last_day = one_then_two
    else:
        last_day = min(plus_three, one_then_two)
    return calendar.next_working_day_on_or_after(last_day)


@dataclass(frozen=True, slots=True)
class Deadline:
    """The legal deadline of one request (Art. 12(3); EDPB Guidelines 01/2022 ¶¶157-164).

    ``due_on`` is the first deadline (one month, moved to a working day). ``extended_due_on``
    and ``extension_notice_sent_on`` are set together by :meth:`extend`. A pause while waiting
    for identity information is not modelled here: the unpaused date stays the primary one.
    """

    received_on: date
    due_on: date
    extended_due_on: date | None = None
    extension_notice_sent_on: date | None = None
    extension_reasons: tuple[str, ...] = ()

    @classmethod
    def starting(cls, received_on: date, calendar: HolidayCalendar) -> Deadline:
        """The deadline of a request received (Riga-local date) on ``received_on``."""
        return cls(received_on=received_on, due_on=due_date(received_on, calendar))

    @property
    def is_extended(self) -> bool:
        return self.extended_due_on is not None

    @property
    def effective_due_on(self) -> date:
        """The date the answer is due now: the extended date when extended, else the first."""
        return self.extended_due_on if self.extended_due_on is not None else self.due_on

    def is_overdue(self, today: date) -> bool:
        """True from the day after the effective due date (the due day itself is still in time)."""
        return today > self.effective_due_on

    def days_left(self, today: date) -> int:
        """Calendar days until the effective due date: 0 on the day, negative once overdue."""
        return (self.effective_due_on - today).days

    def can_still_extend(self, today: date) -> bool:
        """Whether an extension notice sent ``today`` would be accepted (reasons aside)."""
        return not self.is_extended and self.received_on <= today <= self.due_on

    def extend(
        self,
        notice_sent_on: date,
        reasons: str | Sequence[str],
        calendar: HolidayCalendar,
        reading: ExtensionReading = ExtensionReading.EARLIER,
    ) -> Deadline:
        """Extend by up to two further months (Art. 12(3); EDPB Guidelines 01/2022 ¶¶157-164).

        Allowed once, with at least one non-blank reason, and only when the notice telling
        the person is sent on or before the first due date; afterwards the option is gone.
        "A large effort" alone is not a reason, but judging reasons is for staff, not code.
        Raises :class:`ExtensionNotAllowed` with ``fields["refusal"]`` an :class:`ExtensionRefusal`.
        """
        given = (reasons,) if isinstance(reasons, str) else tuple(reasons)
        cleaned = tuple(reason.strip() for reason in given if reason.strip())
        refusal: ExtensionRefusal | None = None
        if self.is_extended:
            refusal = ExtensionRefusal.ALREADY_EXTENDED
        elif notice_sent_on > self.due_on:
            refusal = ExtensionRefusal.NOTICE_AFTER_DEADLINE
        elif notice_sent_on < self.received_on:
            refusal = ExtensionRefusal.NOTICE_BEFORE_RECEIPT
        elif not cleaned:
            refusal = ExtensionRefusal.NO_REASONS
        if refusal is not None:
            raise ExtensionNotAllowed(
                f"extension refused: {refusal.value}",
                refusal=refusal,
                notice_sent_on=notice_sent_on,
                due_on=self.due_on,
            )
        return replace(
            self,
            extended_due_on=extended_due_date(self.received_on, calendar, reading),
            extension_notice_sent_on=notice_sent_on,
            extension_reasons=cleaned,
        )


def reminder_dates(
    deadline: Deadline,
    days_before: Sequence[int] = DEFAULT_REMINDER_DAYS,
    calendar: HolidayCalendar | None = None,
) -> tuple[date, ...]:
    """The dates on which staff must be reminded, sorted, without duplicates.

    "Without undue delay": one month is the ceiling, so staff are warned well before it.
    Each reminder is ``days_before`` calendar days before the effective due date; with a
    ``calendar`` a reminder that falls on a non-working day moves to the working day before
    it (earlier, never later). Reminders before the day of receipt are dropped.
    """
    if any(days <= 0 for days in days_before):
        raise ValueError(f"days_before must be positive: {tuple(days_before)!r}")
    reminders: set[date] = set()
    for days in days_before:
        reminder = deadline.effective_due_on - timedelta(days=days)
        if calendar is not None:
            reminder = calendar.previous_working_day_on_or_before(reminder)
        if reminder >= deadline.received_on:
            reminders.add(reminder)
    return tuple(sorted(reminders))
