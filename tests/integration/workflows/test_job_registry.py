"""The composition root's job registry: every kind has a handler, whatever is configured.

Without a data map the engine still tracks each request; what it cannot carry out itself is
handed to staff with a reason, never left as a job that dies without anyone noticing.
"""

from __future__ import annotations

from sqlalchemy import select

from rightsdesk.bootstrap import App
from tests.integration.workflows.conftest import AGENT, APPROVER, Desk
from workflows.adapters.orm import jobs
from workflows.domain.actions import ActionKind
from workflows.domain.rights import Right
from workflows.service_layer import commands as c


def test_the_worker_of_an_installation_without_a_data_map_handles_every_kind(app: App) -> None:
    assert app.worker("worker-a").registry.missing() == ()


def test_an_action_approved_without_a_data_map_is_handed_to_staff_with_the_reason(desk: Desk, app: App) -> None:
    reference = desk.open_in_progress([Right.ERASURE])
    action_id = str(app.engine.handle(c.PlanAction(reference, ActionKind.ERASE, {"records": 12}, AGENT)))
    app.engine.handle(c.ApproveAction(action_id, APPROVER))
    worker = app.worker("worker-a")
    while worker.run_once():
        pass
    assert worker.failed == 0
    assert "carry out the approved erase by hand" in (desk.request_row(reference).attention or "")
    with app.database.connect() as connection:
        statuses = connection.execute(select(jobs.c.status).where(jobs.c.kind == "execute_action")).scalars().all()
    assert statuses == ["done"]
