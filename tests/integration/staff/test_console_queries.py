"""Dashboard figures: requests per week and the median days to completion."""

from __future__ import annotations

from rightsdesk.bootstrap import App
from tests.conftest import FixedClock
from tests.integration.staff.conftest import open_erasure_request
from workflows.adapters.console_queries import ConsoleQueries, RequestFilter
from workflows.domain.deadlines import riga_date
from workflows.service_layer import commands as c


def test_week_counts_a_new_request_and_the_median_counts_days_to_completion(app: App, clock: FixedClock) -> None:
    reference = open_erasure_request(app)
    clock.advance(days=2)
    app.engine.handle(c.CompleteRequest(reference, actor="staff:agnese"))
    history = ConsoleQueries(app.reader).weekly_history(riga_date(clock.now()))
    assert sum(week.received for week in history.weeks) == 1
    assert history.median_days_to_close == 2.0


def test_search_by_email_finds_the_request(app: App) -> None:
    reference = open_erasure_request(app)
    rows, more = ConsoleQueries(app.reader).list_requests(
        RequestFilter(text="Customer@Example.lv"), riga_date(app.engine.clock.now())
    )
    assert ([row.reference for row, _ in rows], more) == ([reference], False)


def test_search_by_part_of_a_name_ignores_the_case_of_latvian_letters(app: App) -> None:
    # Ēriks Šteins asked at a shop; the assistant types his surname however it comes.
    reference = open_erasure_request(app, name="Ēriks Šteins", email="eriks.steins@example.lv")
    queries = ConsoleQueries(app.reader)
    today = riga_date(app.engine.clock.now())
    for typed in ("šteins", "ŠTEINS", "ēriks š", "Ēriks"):
        rows, _ = queries.list_requests(RequestFilter(text=typed), today)
        assert [row.reference for row, _ in rows] == [reference], typed
