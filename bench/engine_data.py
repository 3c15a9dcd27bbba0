"""Synthetic rights requests for the engine benchmark, bulk-loaded with Core ``insert``.

The mix mirrors a retailer after three years: ~95 % of the cases are closed (received
over the past three years, answered within the Art. 12(3) month), ~5 % are open with
effective due dates spread over the past two and the coming four weeks, so that the
due-soon and overdue lists have realistic sizes. A fixed seed makes runs comparable.

No real people: names and addresses are synthetic (``customer123@example.lv``), and no
personal codes are generated at all.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any

from sqlalchemy import Engine, insert

from workflows.adapters.orm import reference_counters, requests
from workflows.domain.deadlines import add_months, riga_date
from workflows.domain.identity import VerificationMethod
from workflows.domain.reference import format_reference
from workflows.domain.rights import Channel, Language, Right
from workflows.domain.states import State

CLOSED_SHARE = 0.95
HISTORY_DAYS = 3 * 365
OVERDUE_DAYS = 14
"""Open requests are due between OVERDUE_DAYS ago and UPCOMING_DAYS ahead."""
UPCOMING_DAYS = 28
OVERDUE_SHARE = 0.2
"""Share of open requests already past their effective due date."""

_CHANNELS = ((Channel.EMAIL, 60), (Channel.TELEGRAM, 25), (Channel.IN_PERSON, 10), (Channel.STAFF, 5))
_LANGUAGES = ((Language.LV, 70), (Language.RU, 20), (Language.EN, 10))
_CLOSED_STATES = ((State.COMPLETED, 85), (State.REFUSED, 8), (State.WITHDRAWN, 7))
_OPEN_STATES = (
    (State.RECEIVED, 5),
    (State.AWAITING_IDENTITY, 30),
    (State.IN_PROGRESS, 55),
    (State.AWAITING_APPROVAL, 10),
)
_RIGHTS = (
    (Right.ACCESS, 35),
    (Right.ERASURE, 25),
    (Right.MARKETING_OBJECTION, 15),
    (Right.CONSENT_WITHDRAWAL, 8),
    (Right.RECTIFICATION, 7),
    (Right.PORTABILITY, 4),
    (Right.RESTRICTION, 3),
    (Right.OBJECTION, 3),
)
_STRONG = (VerificationMethod.QUALIFIED_SIGNATURE, VerificationMethod.QUALIFIED_EID)


def _picker(weighted: tuple[tuple[Any, int], ...], rng: random.Random) -> Callable[[], Any]:
    values = [str(v) for v, _ in weighted]
    weights = [w for _, w in weighted]
    return lambda: rng.choices(values, weights)[0]


@dataclass
class LoadPlan:
    """How many rows of which kind; ``candidates`` are awaiting_identity, tier 3, for transitions."""

    total: int
    candidates: int
    today: date
    batch_size: int = 20_000
    seed: int = 20260303

    @property
    def open_count(self) -> int:
        return min(self.total, max(round(self.total * (1 - CLOSED_SHARE)), self.candidates))


@dataclass
class LoadResult:
    rows: int
    open_rows: int
    seconds: float
    candidate_references: list[str] = field(repr=False, default_factory=list)


class _Generator:
    def __init__(self, plan: LoadPlan) -> None:
        self.plan = plan
        self.rng = random.Random(plan.seed)
        self.counters: dict[int, int] = {}
        self.channel = _picker(_CHANNELS, self.rng)
        self.language = _picker(_LANGUAGES, self.rng)
        self.closed_state = _picker(_CLOSED_STATES, self.rng)
        self.open_state = _picker(_OPEN_STATES, self.rng)
        self.right = _picker(_RIGHTS, self.rng)
        self.now = datetime.combine(plan.today, clock_time(9, 0), tzinfo=UTC)

    def _reference(self, received_on: date) -> str:
        number = self.counters.get(received_on.year, 0) + 1
        self.counters[received_on.year] = number
        return format_reference(received_on.year, number)

    def _rights(self) -> str:
        asked = {self.right()}
        if self.rng.random() < 0.15:
            asked.add(self.right())
        return ",".join(sorted(asked))

    def _base(self, number: int, received_at: datetime, state: str) -> dict[str, Any]:
        received_on = riga_date(received_at)
        due_on = add_months(received_on, 1)
        return {
            "id": f"{self.rng.getrandbits(128):032x}",
            "reference": "",
            "rights": self._rights(),
            "channel": self.channel(),
            "language": self.language(),
            "state": state,
            "received_at": received_at,
            "received_on": received_on,
            "due_on": due_on,
            "extended_due_on": None,
            "extension_notice_sent_on": None,
            "extension_reasons": [],
            "effective_due_on": due_on,
            "required_tier": self.rng.choice((1, 2, 3)),
            "claimed_name": f"Bench Customer {number}",
            "claimed_email": f"customer{number}@example.lv",
            "verified_method": None,
            "verified_at": None,
            "details": {},
            "closed_at": None,
            "version": 1,
        }

    def closed(self, number: int) -> dict[str, Any]:
        # Closed cases: received up to three years ago, answered within the month.
        age = timedelta(days=self.rng.uniform(5, HISTORY_DAYS))
        received_at = self.now - age
        row = self._base(number, received_at, self.closed_state())
        row["closed_at"] = min(self.now, received_at + timedelta(days=self.rng.uniform(0.2, 29)))
        row["verified_method"] = str(self.rng.choice(_STRONG))
        row["verified_at"] = received_at + timedelta(hours=self.rng.uniform(0.1, 48))
        row["version"] = self.rng.randint(4, 9)
        return row

    def open(self, number: int, *, candidate: bool) -> dict[str, Any]:
        if self.rng.random() < OVERDUE_SHARE:
            offset = -self.rng.randint(1, OVERDUE_DAYS)
        else:
            offset = self.rng.randint(0, UPCOMING_DAYS)
        due_on = self.plan.today + timedelta(days=offset)
        received_on = add_months(due_on, -1)
        received_at = datetime.combine(received_on, clock_time(7, 0), tzinfo=UTC) + timedelta(
            minutes=self.rng.randint(0, 600)
        )
        state = str(State.AWAITING_IDENTITY) if candidate else self.open_state()
        row = self._base(number, received_at, state)
        row["due_on"] = row["effective_due_on"] = due_on
        row["version"] = 2
        if candidate:
            row["required_tier"] = 3
        elif state in (State.IN_PROGRESS, State.AWAITING_APPROVAL):
            row["verified_method"] = str(self.rng.choice(_STRONG))
            row["verified_at"] = received_at + timedelta(hours=1)
        return row

    def rows(self) -> Iterator[dict[str, Any]]:
        """Closed and open rows interleaved, so the open ones are scattered over the heap."""
        plan = self.plan
        open_every = plan.total / plan.open_count if plan.open_count else float("inf")
        opened = 0
        for number in range(1, plan.total + 1):
            if opened < plan.open_count and number >= (opened + 1) * open_every:
                opened += 1
                yield self.open(number, candidate=opened <= plan.candidates)
            else:
                yield self.closed(number)


def _batches(generator: _Generator, size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in generator.rows():
        # References are numbered per receipt year like the engine's counter; order of
        # numbers within a year follows load order, which is good enough for a benchmark.
        row["reference"] = generator._reference(row["received_on"])
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def load(engine: Engine, plan: LoadPlan, *, progress: Callable[[int], None] | None = None) -> LoadResult:
    """Insert ``plan.total`` requests in batches (Core executemany), one transaction per batch."""
    generator = _Generator(plan)
    started = time.perf_counter()
    written = 0
    candidates: list[str] = []
    for batch in _batches(generator, plan.batch_size):
        candidates.extend(
            r["reference"] for r in batch if r["state"] == State.AWAITING_IDENTITY and r["required_tier"] == 3
        )
        with engine.begin() as connection:
            connection.execute(insert(requests), batch)
        written += len(batch)
        if progress is not None:
            progress(written)
    with engine.begin() as connection:
        connection.execute(
            insert(reference_counters), [{"year": y, "last_number": n} for y, n in sorted(generator.counters.items())]
        )
    # Only the planned candidates, not other open rows that happen to match: the first ones.
    return LoadResult(
        rows=written,
        open_rows=plan.open_count,
        seconds=time.perf_counter() - started,
        candidate_references=candidates[: plan.candidates],
    )
