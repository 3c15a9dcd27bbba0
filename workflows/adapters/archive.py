"""Purging closed case files while keeping anonymous statistics (Art. 5(1)(e), 5(2))."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from workflows.adapters import audit
from workflows.adapters.orm import messages, outbox, requests, statistics
from workflows.domain.deadlines import riga_date


class SqlCaseArchive:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def purge_closed_before(self, cutoff: datetime, *, limit: int) -> list[str]:
        rows = self._connection.execute(
            select(
                requests.c.id,
                requests.c.rights,
                requests.c.channel,
                requests.c.state,
                requests.c.received_at,
                requests.c.closed_at,
                requests.c.effective_due_on,
            )
            .where(requests.c.closed_at.is_not(None), requests.c.closed_at < cutoff)
            .order_by(requests.c.closed_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        if not rows:
            return []
        self._add_statistics(list(rows))
        ids = [str(r.id) for r in rows]
        audit.redact_case_events(self._connection, ids)
        # Actions go with their request (ON DELETE CASCADE); messages and outbox explicitly,
        # so that no copy of a reply outlives the case.
        self._connection.execute(delete(messages).where(messages.c.request_id.in_(ids)))
        self._connection.execute(delete(outbox).where(outbox.c.request_id.in_(ids)))
        self._connection.execute(delete(requests).where(requests.c.id.in_(ids)))
        return ids

    def _add_statistics(self, rows: list[Any]) -> None:
        cases: Counter[tuple[str, str, str, str]] = Counter()
        days: Counter[tuple[str, str, str, str]] = Counter()
        overdue: Counter[tuple[str, str, str, str]] = Counter()
        for row in rows:
            # Due dates and months are Riga calendar days (Art. 12(3)); closed_at is UTC.
            closed_on = riga_date(row.closed_at)
            for right in row.rights.split(","):
                key = (closed_on.strftime("%Y-%m"), right, row.channel, row.state)
                cases[key] += 1
                days[key] += (row.closed_at - row.received_at).days
                overdue[key] += int(closed_on > row.effective_due_on)
        for key, count in cases.items():
            month, right, channel, outcome = key
            match = (
                (statistics.c.month == month)
                & (statistics.c.right_asked == right)
                & (statistics.c.channel == channel)
                & (statistics.c.outcome == outcome)
            )
            updated = self._connection.execute(
                update(statistics)
                .where(match)
                .values(
                    cases=statistics.c.cases + count,
                    days_to_close_total=statistics.c.days_to_close_total + days[key],
                    overdue_cases=statistics.c.overdue_cases + overdue[key],
                )
            )
            if updated.rowcount == 0:
                self._connection.execute(
                    insert(statistics).values(
                        month=month,
                        right_asked=right,
                        channel=channel,
                        outcome=outcome,
                        cases=count,
                        days_to_close_total=days[key],
                        overdue_cases=overdue[key],
                    )
                )
