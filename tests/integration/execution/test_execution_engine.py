"""Execution in the engine: exactly once, idempotent, ordered, planned from verified identity."""

from __future__ import annotations

import json
import threading
import zipfile
from typing import Any

from sqlalchemy import select

from rightsdesk.demo_kit import sample_shop
from rightsdesk.demo_kit.sample_shop import LIGA, NAMESAKE
from tests.integration.execution.conftest import APPROVER, ShopDesk, qualified
from workflows.adapters.connectors.executor import ControllerDatabases, SqlControllerData
from workflows.adapters.orm import events, jobs, requests
from workflows.domain.identity import ClaimedIdentity
from workflows.domain.rights import Channel, Language, Right
from workflows.service_layer import commands as c
from workflows.service_layer.jobs import ExecuteAction
from workflows.service_layer.planning import verified_identifiers


def _shop_snapshot(desk: ShopDesk) -> dict[str, list[tuple[Any, ...]]]:
    with desk.shop.connect() as connection:
        return {
            t.name: [tuple(r) for r in connection.execute(select(t).order_by(*t.primary_key.columns))]
            for t in sample_shop.metadata.sorted_tables
        }


def _count_events(desk: ShopDesk, type_: str) -> int:
    with desk.app.database.connect() as connection:
        return len(connection.execute(select(events.c.seq).where(events.c.type == type_)).all())


def _requeue(desk: ShopDesk, action_id: str, tag: str) -> None:
    with desk.app.engine.uow() as uow:
        uow.jobs.enqueue(ExecuteAction(action_id), dedupe_key=f"execute:{action_id}:{tag}")
        uow.commit()


def test_executing_an_executed_action_again_changes_nothing(engine_desk: ShopDesk) -> None:
    desk = engine_desk
    desk.carry_out(LIGA, [Right.ERASURE])
    (action,) = desk.actions()
    before = (_shop_snapshot(desk), len(desk.outbox()), _count_events(desk, "ActionExecuted"))
    _requeue(desk, action.id, "again")
    desk.run_jobs()
    assert (_shop_snapshot(desk), len(desk.outbox()), _count_events(desk, "ActionExecuted")) == before


def test_erasure_statements_are_idempotent_when_run_twice(engine_desk: ShopDesk) -> None:
    desk = engine_desk
    desk.open(LIGA, [Right.ERASURE])
    desk.run_jobs()
    (row,) = desk.actions()
    with desk.app.engine.uow() as uow:
        action = uow.actions.get(row.id)
        request = uow.requests.get(row.request_id)
    now = desk.app.engine.clock.now()
    desk.data.execute(action, request, verified_identifiers(request), now=now)
    once = _shop_snapshot(desk)
    desk.data.execute(action, request, verified_identifiers(request), now=now)
    assert _shop_snapshot(desk) == once


def test_two_workers_execute_the_same_approved_action_once(engine_desk: ShopDesk) -> None:
    desk = engine_desk
    desk.open(LIGA, [Right.ERASURE])
    desk.run_jobs()
    (action,) = desk.actions()
    desk.app.engine.handle(c.ApproveAction(action.id, actor=APPROVER))
    _requeue(desk, action.id, "duplicate")  # a second job for the same action
    workers = [desk.worker("worker-a"), desk.worker("worker-b")]
    for worker in workers:
        worker.batch = 1
    start = threading.Barrier(2)

    def run(worker: Any) -> None:
        start.wait()
        while worker.run_once():
            pass

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert _count_events(desk, "ActionExecuted") == 1
    assert len(desk.outbox("erasure_done")) == 1
    with desk.app.database.connect() as connection:
        statuses = [r.status for r in connection.execute(select(jobs.c.status).where(jobs.c.kind == "execute_action"))]
    assert statuses == ["done", "done"]


def test_planning_finds_rows_by_verified_identifiers_not_claimed_ones(engine_desk: ShopDesk) -> None:
    desk = engine_desk
    now = desk.app.engine.clock.now()
    # Claims Līga's personal code and address, but the signature proves the namesake.
    claim = ClaimedIdentity(name="Līga Bērziņa", email=LIGA.email, personal_code=LIGA.personal_code)
    desk.app.engine.handle(
        c.OpenRequest(
            channel=Channel.EMAIL,
            rights=frozenset({Right.ACCESS}),
            language=Language.LV,
            claimed=claim,
            received_at=now,
            evidence=qualified(NAMESAKE, now),
        )
    )
    desk.run_jobs()
    (action,) = desk.actions()
    expected = {n: r.count for n, r in desk.find(NAMESAKE.identifiers).tables.items() if r.count}
    assert {t["table"]: t["rows"] for t in action.preview["tables"]} == expected


def test_erasure_waits_until_the_copy_is_taken(engine_desk: ShopDesk) -> None:
    desk = engine_desk
    desk.open(LIGA, [Right.ACCESS, Right.ERASURE])
    desk.run_jobs()
    by_kind = {row.kind: row for row in desk.actions()}
    desk.app.engine.handle(c.ApproveAction(by_kind["erase"].id, actor=APPROVER))
    desk.run_jobs()
    assert {row.kind: row.status for row in desk.actions()} == {"export": "awaiting_approval", "erase": "approved"}
    desk.app.engine.handle(c.ApproveAction(by_kind["export"].id, actor=APPROVER))
    desk.run_jobs()
    rows = {row.kind: row for row in desk.actions()}
    assert {kind: row.status for kind, row in rows.items()} == {"export": "done", "erase": "done"}
    with zipfile.ZipFile(rows["export"].result["package"]["path"]) as archive:
        (customer,) = json.loads(archive.read("customers.json"))["rows"]
    assert customer["email"] == LIGA.email  # exported before it was erased


def test_request_completes_when_its_last_action_is_done(engine_desk: ShopDesk) -> None:
    desk = engine_desk
    reference = desk.carry_out(LIGA, [Right.RESTRICTION])
    with desk.app.database.connect() as connection:
        state = connection.execute(select(requests.c.state).where(requests.c.reference == reference)).scalar_one()
    assert state == "completed"


def test_a_request_reaching_in_progress_queues_its_planning(engine_desk: ShopDesk) -> None:
    desk = engine_desk
    reference = desk.open(LIGA, [Right.ACCESS], verified=False)
    assert _plan_jobs(desk) == []
    desk.app.engine.handle(c.RecordIdentityEvidence(reference, qualified(LIGA, desk.app.engine.clock.now())))
    assert _plan_jobs(desk) == [{"reference": reference}]


def _plan_jobs(desk: ShopDesk) -> list[Any]:
    with desk.app.database.connect() as connection:
        return [r.payload for r in connection.execute(select(jobs.c.payload).where(jobs.c.kind == "plan_request"))]


def test_an_action_that_cannot_run_is_marked_failed_for_staff(engine_desk: ShopDesk) -> None:
    desk = engine_desk
    desk.open(LIGA, [Right.ERASURE])
    desk.run_jobs()
    (action,) = desk.actions()
    desk.app.engine.handle(c.ApproveAction(action.id, actor=APPROVER))
    # No HMAC secret configured: erasure cannot hash, so nothing may be erased half-way.
    databases = ControllerDatabases(desk.data.datamap, environ={}, engines={"shop": desk.shop})
    desk.data = SqlControllerData(databases, desk.data.profile, export_dir=desk.data.export_dir)
    before = _shop_snapshot(desk)
    desk.run_jobs()
    (failed,) = desk.actions()
    assert failed.status == "failed"
    assert _shop_snapshot(desk) == before
    assert desk.request_attention(failed.request_id)
