"""Dashboard, request list and request page."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.responses import Response

from staff.i18n import translator
from staff.web.charts import weekly_chart
from staff.web.context import Ctx
from workflows.adapters.console_queries import RequestFilter
from workflows.domain.delivery import HELD_COPIES_KEY, destinations_offered
from workflows.domain.events import EventType
from workflows.domain.states import State
from workflows.service_layer import commands as c


def dashboard(ctx: Ctx) -> Response:
    today = ctx.console.today()
    figures = ctx.console.console_queries.dashboard(today, history=ctx.console.weekly_history(today))
    overdue, _ = ctx.console.console_queries.list_requests(RequestFilter(overdue=True), today, limit=10)
    due_soon, _ = ctx.console.console_queries.list_requests(RequestFilter(due_soon=True), today, limit=10)
    return ctx.render(
        "dashboard.html",
        figures=figures,
        open_states=[s for s in State if not s.is_terminal],
        chart=weekly_chart(figures.weeks, title=translator(ctx.language)("per_week")),
        overdue_rows=overdue,
        due_rows=due_soon,
    )


def request_list(ctx: Ctx) -> Response:
    today = ctx.console.today()
    states = tuple(s for s in ctx.request.query_params.getlist("state") if s in set(State))
    wanted = RequestFilter(
        states=states,
        overdue=ctx.query("overdue") == "1",
        due_soon=ctx.query("due_soon") == "1",
        open_only=ctx.query("open") == "1",
        text=ctx.query("q")[:200] or None,
    )
    try:
        page = max(1, int(ctx.query("page", "1")))
    except ValueError:
        page = 1
    size = ctx.console.config.page_size
    rows, more = ctx.console.console_queries.list_requests(wanted, today, limit=size, offset=(page - 1) * size)
    params = [(k, v) for k, v in ctx.request.query_params.multi_items() if k != "page"]
    return ctx.render(
        "list.html",
        rows=rows,
        more=more,
        page=page,
        wanted=wanted,
        all_states=list(State),
        query=urlencode(params),
    )


def request_page(ctx: Ctx) -> Response:
    detail = ctx.console.queries.detail(ctx.request.path_params["reference"])
    case = detail["request"]
    identity_events = [e for e in detail["events"] if e["type"] == str(EventType.IDENTITY_VERIFIED)]
    failures = [e for e in detail["events"] if e["type"] == str(EventType.IDENTITY_VERIFICATION_FAILED)]
    me = ctx.actor
    details = case.get("details") or {}
    held = [h for h in details.get(HELD_COPIES_KEY, []) if isinstance(h, dict)]
    for action in detail["actions"]:
        action["mine"] = me in {action["planned_by"], action["requested_by"]}
    return ctx.render(
        "request.html",
        case=case,
        rights=[r for r in str(case["rights"]).split(",") if r],
        events=detail["events"],
        identity_events=identity_events,
        failures=failures,
        letters=detail["messages"],
        actions=detail["actions"],
        is_open=case["closed_at"] is None,
        days_left=(case["effective_due_on"] - ctx.console.today()).days,
        held_copies=held,
        copy_choices=destinations_offered(held),
    )


def confirm_copy_destination(ctx: Ctx) -> Response:
    """A staff member confirms where a held copy of the data goes (Art. 32): one of the offered
    addresses only, never one typed here; the engine records who chose it."""
    reference = ctx.request.path_params["reference"].upper()
    address = ctx.field("address")[:320]
    ctx.console.engine.handle(c.ConfirmCopyDestination(reference, address, actor=ctx.actor))
    return ctx.redirect(f"/requests/{reference}", done="copy_sent_ok")


def describe_value(value: Any) -> str:
    """Scalars as staff read them (used by the preview tables)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    return str(value)


def columns_of(rows: list[Any]) -> list[str]:
    """Every key of a list of objects, in first-seen order (a preview table's header)."""
    seen: dict[str, None] = {}
    for row in rows:
        if isinstance(row, dict):
            seen.update(dict.fromkeys(str(k) for k in row))
    return list(seen)
