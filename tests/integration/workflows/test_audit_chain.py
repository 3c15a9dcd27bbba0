"""The hash-chained audit log notices tampering and names the event (Art. 5(2) accountability).

Each test writes a real case history through the engine, then changes the ``events`` table
behind the engine's back the way an insider with database access might.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from rightsdesk.bootstrap import App
from rightsdesk.cli import main
from tests.conftest import FixedClock
from tests.integration.workflows.conftest import Desk, qualified_signature
from workflows.adapters.audit import ChainReport, verify_chain
from workflows.adapters.orm import events
from workflows.domain.rights import Right
from workflows.service_layer import commands as c


@pytest.fixture
def history(desk: Desk, clock: FixedClock) -> int:
    """Two cases with a few steps each; returns the number of the last event."""
    first = desk.open([Right.ACCESS])
    clock.advance(hours=2)
    desk.open([Right.MARKETING_OBJECTION])
    clock.advance(hours=2)
    desk.app.engine.handle(c.RecordIdentityEvidence(first, qualified_signature(clock.now())))
    return len(desk.events())


def _verify(app: App) -> ChainReport:
    with app.database.connect() as connection:
        return verify_chain(connection)


def _problem_seqs(report: ChainReport) -> set[int]:
    return {problem.seq for problem in report.problems}


def test_intact_chain_verifies(app: App, history: int) -> None:
    report = _verify(app)
    assert report.intact
    assert (report.events_checked, report.last_seq) == (history, history)


def test_edited_event_data_is_detected_and_named(app: App, history: int) -> None:
    with app.database.begin() as connection:
        connection.execute(update(events).where(events.c.seq == 2).values(data={"from": "received", "to": "completed"}))
    report = _verify(app)
    assert not report.intact
    assert _problem_seqs(report) == {2}
    assert "event #2" in str(report.problems[0])


@pytest.mark.parametrize(
    "column, value",
    [("actor", "staff:someone-else"), ("type", "RequestWithdrawn"), ("occurred_at", None)],
)
def test_edited_event_header_is_detected_and_named(app: App, history: int, column: str, value: object) -> None:
    with app.database.begin() as connection:
        if value is None:  # move the event's time by one second
            original = connection.execute(select(events.c.occurred_at).where(events.c.seq == 3)).scalar_one()
            value = original + timedelta(seconds=1)
        connection.execute(update(events).where(events.c.seq == 3).values({column: value}))
    report = _verify(app)
    assert _problem_seqs(report) == {3}


def test_deleted_middle_event_is_detected_and_named(app: App, history: int) -> None:
    with app.database.begin() as connection:
        connection.execute(delete(events).where(events.c.seq == 4))
    report = _verify(app)
    assert not report.intact
    assert 4 in _problem_seqs(report)
    assert any("missing" in p.problem for p in report.problems if p.seq == 4)


def test_deleted_last_event_is_detected_by_the_head(app: App, history: int) -> None:
    with app.database.begin() as connection:
        connection.execute(delete(events).where(events.c.seq == history))
    report = _verify(app)
    assert _problem_seqs(report) == {history}
    assert report.last_seq == history - 1


def test_reordered_events_are_detected_and_named(app: App, history: int) -> None:
    with app.database.begin() as connection:
        # Swap the numbers of events 3 and 4 (through a free number: seq is the primary key).
        connection.execute(update(events).where(events.c.seq == 3).values(seq=-1))
        connection.execute(update(events).where(events.c.seq == 4).values(seq=3))
        connection.execute(update(events).where(events.c.seq == -1).values(seq=4))
    report = _verify(app)
    assert not report.intact
    assert _problem_seqs(report) <= {3, 4, 5}
    assert {3, 4} & _problem_seqs(report)
    assert any("out of order" in p.problem for p in report.problems)


def test_redaction_without_a_recorded_purge_is_detected_and_named(app: App, history: int) -> None:
    with app.database.begin() as connection:
        connection.execute(update(events).where(events.c.seq == 2).values(data=None, data_salt=None, redacted=True))
    report = _verify(app)
    assert _problem_seqs(report) == {2}
    assert "no recorded purge" in report.problems[0].problem


# -- `rightsdesk audit verify` ------------------------------------------------------------------


def _config(tmp_path: Path, database_url: str) -> str:
    path = tmp_path / "audit.toml"
    path.write_text(f'[database]\nurl = "{database_url}"\n', encoding="utf-8")
    return str(path)


def test_cli_audit_verify_exits_0_when_intact(
    app: App, history: int, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", _config(tmp_path, database_url), "audit", "verify"]) == 0
    assert f"{history} events" in capsys.readouterr().out


def test_cli_audit_verify_exits_1_naming_the_tampered_event(
    app: App, history: int, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with app.database.begin() as connection:
        connection.execute(update(events).where(events.c.seq == 3).values(actor="staff:someone-else"))
    assert main(["--config", _config(tmp_path, database_url), "audit", "verify"]) == 1
    assert "event #3" in capsys.readouterr().out
