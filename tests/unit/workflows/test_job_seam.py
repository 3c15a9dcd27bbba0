"""The job seam: kinds, typed payloads and their JSON, and the registry of handlers.

Rows queued by an earlier release must still run after an upgrade, so the kind strings and
payload shapes are pinned here exactly as earlier releases wrote them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

import pytest

from workflows.domain.errors import ConfigurationError, WorkflowError
from workflows.service_layer.bus import Engine
from workflows.service_layer.jobs import (
    PAYLOAD_TYPES,
    BadJobPayload,
    DeadlineMissed,
    DeadlineReminder,
    DuplicateJobHandler,
    ExecuteAction,
    JobKind,
    JobPayload,
    JobRegistry,
    MissingJobHandlers,
    NoJobHandler,
    PlanRequest,
    ProcessEmail,
    Purge,
    ScanDeadlines,
    UnknownJobKind,
)
from workflows.service_layer.ports import UnitOfWork

# The handlers under test never touch these: the registry only passes them through.
UOW = cast(UnitOfWork, object())
ENGINE = cast(Engine, object())

ONE_OF_EACH: tuple[JobPayload, ...] = (
    ProcessEmail(mail_id="5f1c0e"),
    PlanRequest(reference="DSR-2026-000042"),
    ExecuteAction(action_id="a17"),
    ScanDeadlines(),
    DeadlineReminder(request_id="r9", days_left=3),
    DeadlineMissed(request_id="r9"),
    Purge(round=2),
)


def test_kind_values_are_the_strings_earlier_releases_stored() -> None:
    assert sorted(str(kind) for kind in JobKind) == [
        "deadline_missed",
        "deadline_reminder",
        "execute_action",
        "plan_request",
        "process_email",
        "purge",
        "scan_deadlines",
    ]


def test_every_kind_has_exactly_one_payload_type_of_that_kind() -> None:
    assert set(PAYLOAD_TYPES) == set(JobKind)
    assert all(payload_type.kind is kind for kind, payload_type in PAYLOAD_TYPES.items())
    assert {type(job) for job in ONE_OF_EACH} == set(PAYLOAD_TYPES.values())


@pytest.mark.parametrize("job", ONE_OF_EACH, ids=lambda job: str(job.kind))
def test_payload_survives_a_round_trip_through_json(job: JobPayload) -> None:
    assert type(job).from_json(job.to_json()) == job


@pytest.mark.parametrize(
    ("job", "stored"),
    [
        (ProcessEmail("m1"), {"mail_id": "m1"}),
        (PlanRequest("DSR-2026-000001"), {"reference": "DSR-2026-000001"}),
        (ExecuteAction("a1"), {"action_id": "a1"}),
        (ScanDeadlines(), {}),
        (DeadlineReminder("r1", 14), {"request_id": "r1", "days_left": 14}),
        (DeadlineMissed("r1"), {"request_id": "r1"}),
        (Purge(1), {"round": 1}),
    ],
    ids=lambda value: str(getattr(value, "kind", "")),
)
def test_payload_is_written_as_earlier_releases_wrote_it(job: JobPayload, stored: Mapping[str, object]) -> None:
    assert job.to_json() == stored
    assert type(job).from_json(stored) == job


def test_the_first_purge_of_a_day_queued_by_an_earlier_release_still_reads() -> None:
    assert Purge.from_json({}) == Purge(round=0)


@pytest.mark.parametrize(
    ("payload_type", "stored"),
    [
        (ProcessEmail, {}),
        (ProcessEmail, {"mail_id": 17}),
        (PlanRequest, {"reference": ""}),
        (DeadlineReminder, {"request_id": "r1", "days_left": "3"}),
        (DeadlineReminder, {"request_id": "r1", "days_left": True}),
        (Purge, {"round": None}),
    ],
)
def test_a_payload_that_does_not_fit_its_kind_fails_for_good(
    payload_type: type[JobPayload], stored: Mapping[str, object]
) -> None:
    with pytest.raises(BadJobPayload) as raised:
        payload_type.from_json(stored)
    assert raised.value.permanent


def test_registry_runs_the_handler_with_the_typed_payload() -> None:
    seen: list[tuple[ExecuteAction, UnitOfWork, Engine]] = []
    registry = JobRegistry()
    registry.register(ExecuteAction, lambda job, uow, engine: seen.append((job, uow, engine)))
    registry.run("execute_action", {"action_id": "a1"}, UOW, ENGINE)
    assert seen == [(ExecuteAction("a1"), UOW, ENGINE)]


def test_a_second_handler_for_a_kind_is_refused_unless_meant() -> None:
    seen: list[str] = []
    registry = JobRegistry()
    registry.register(PlanRequest, lambda job, _uow, _engine: seen.append("first"))
    with pytest.raises(DuplicateJobHandler):
        registry.register(PlanRequest, lambda job, _uow, _engine: seen.append("second"))
    registry.register(PlanRequest, lambda job, _uow, _engine: seen.append("stand-in"), replace=True)
    registry.run("plan_request", {"reference": "DSR-2026-000001"}, UOW, ENGINE)
    assert seen == ["stand-in"]


def test_a_payload_type_that_is_not_its_kinds_own_is_refused() -> None:
    class LookAlike(ProcessEmail):
        pass

    with pytest.raises(ConfigurationError):
        JobRegistry().register(LookAlike, lambda job, _uow, _engine: None)


def test_a_registry_missing_kinds_is_a_start_up_error_naming_them() -> None:
    registry = JobRegistry()
    for payload_type in (ProcessEmail, PlanRequest, ScanDeadlines, DeadlineReminder, DeadlineMissed):
        registry.register(payload_type, lambda job, _uow, _engine: None)
    with pytest.raises(MissingJobHandlers) as raised:
        registry.require_complete()
    assert raised.value.problems == ["jobs: no handler for 'execute_action'", "jobs: no handler for 'purge'"]
    assert registry.missing() == (JobKind.EXECUTE_ACTION, JobKind.PURGE)


def test_a_complete_registry_passes_the_start_up_check() -> None:
    registry = JobRegistry()
    for payload_type in PAYLOAD_TYPES.values():
        registry.register(payload_type, lambda job, _uow, _engine: None)
    registry.require_complete()
    assert all(registry.handles(kind) for kind in JobKind)


def test_a_stored_kind_this_release_does_not_know_fails_for_good() -> None:
    with pytest.raises(UnknownJobKind) as raised:
        JobRegistry().run("seal_export", {"request_id": "r1"}, UOW, ENGINE)
    assert raised.value.permanent


def test_a_known_kind_without_a_handler_fails_for_good_rather_than_being_dropped() -> None:
    with pytest.raises(NoJobHandler) as raised:
        JobRegistry().run("purge", {}, UOW, ENGINE)
    assert raised.value.permanent
    assert isinstance(raised.value, WorkflowError)
