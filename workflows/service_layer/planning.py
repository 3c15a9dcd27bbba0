"""Planning: once a request is in progress, find the person's rows and plan each right.

The ``plan_request`` job (``jobs.PlanRequest``) is queued when a request reaches
``in_progress`` (``handlers.open_request`` / ``handlers.record_identity``). It finds the rows by
the VERIFIED identifiers only (personal code, e-mail, phone established by authentication;
never by what the requester merely claims: Art. 12(6), EDPB 01/2022 ¶¶58-81), and issues one
``PlanAction`` per right. Disclosing or destroying actions wait for a staff approver
(four-eyes); a marketing objection and a consent withdrawal are queued for execution at once
(Art. 21(3), Art. 7(3)). Rights that need a person's judgement (Art. 21(1) objection, a
rectification whose corrected values are not known yet) are flagged for staff.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

from workflows.domain.actions import Action
from workflows.domain.deadlines import riga_date
from workflows.domain.plans import ExecutionOutcome, RequestPlan
from workflows.domain.request import RightsRequest
from workflows.domain.states import State
from workflows.service_layer import commands as c
from workflows.service_layer import jobs
from workflows.service_layer.ports import UnitOfWork

if TYPE_CHECKING:
    from workflows.service_layer.bus import Engine

PLANNER = "system:planner"
"""The planner's actor name: never a staff member, so any staff member may approve (four-eyes)."""


class ControllerData(Protocol):
    """The controller's own databases (implemented by ``adapters.connectors.executor``)."""

    def plan(self, request: RightsRequest, identifiers: Mapping[str, str], *, today: date) -> RequestPlan: ...

    def execute(
        self, action: Action, request: RightsRequest, identifiers: Mapping[str, str], *, now: datetime
    ) -> ExecutionOutcome: ...


def verified_identifiers(request: RightsRequest) -> dict[str, str]:
    """Identifiers established by authentication, keyed by data-map identifier kind."""
    verified = request.verified
    if verified is None:
        return {}
    pairs = (("personal_code", verified.personal_code), ("email", verified.email), ("phone", verified.phone))
    return {kind: value for kind, value in pairs if value}


def plan_request(job: jobs.PlanRequest, uow: UnitOfWork, engine: Engine, data: ControllerData) -> None:
    """Job handler: plan every right of an in-progress request (idempotent: planned once)."""
    with engine.uow() as joined:
        request = joined.requests.get_by_reference(job.reference)
        if request.state is not State.IN_PROGRESS or joined.actions.for_request(request.id):
            return
        identifiers = verified_identifiers(request)
        if not identifiers:
            engine.handle(c.FlagForStaff(request.reference, "no verified identifier to find the person's records by"))
            joined.commit()
            return
        plan = data.plan(request, identifiers, today=riga_date(engine.clock.now()))
        for planned in plan.actions:
            engine.handle(c.PlanAction(request.reference, planned.kind, planned.stored_preview(), actor=PLANNER))
        if plan.unplanned:
            rights = ", ".join(str(r) for r in plan.unplanned)
            engine.handle(c.FlagForStaff(request.reference, f"plan by hand: {rights}"))
        joined.commit()
