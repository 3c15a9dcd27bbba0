"""Four-eyes, sign-in slowdown, in-store intake and the staff actor in the audit log."""

from __future__ import annotations

from sqlalchemy import select

from tests.conftest import FixedClock
from tests.integration.staff.conftest import (
    PASSWORD,
    ConsoleWorld,
    csrf_from,
    open_erasure_request,
    plan_erasure,
)
from workflows.adapters.orm import events
from workflows.adapters.staff_tables import staff_audit


def _attempt(world: ConsoleWorld, username: str, password: str) -> int:
    token = csrf_from(world.client.get("/login").text)
    response = world.client.post(
        "/login", data={"username": username, "password": password, "csrf": token}, follow_redirects=False
    )
    return response.status_code


def test_approver_who_planned_an_action_cannot_approve_it(console: ConsoleWorld) -> None:
    reference = open_erasure_request(console.app)
    action_id = plan_erasure(console.app, reference, by="staff:andris")
    console.sign_in("andris")
    response = console.client.post(f"/actions/{action_id}/approve", data={"csrf": console.csrf()})
    assert response.status_code == 403
    assert "četru acu" in response.text
    assert console.app.queries.detail(reference)["actions"][0]["status"] == "awaiting_approval"


def test_second_approver_approves_and_the_execution_job_is_queued(console: ConsoleWorld) -> None:
    reference = open_erasure_request(console.app)
    action_id = plan_erasure(console.app, reference, by="staff:andris")
    console.sign_in("anna")
    response = console.client.post(
        f"/actions/{action_id}/approve", data={"csrf": console.csrf()}, follow_redirects=False
    )
    assert response.status_code == 303
    action = console.app.queries.detail(reference)["actions"][0]
    assert (action["status"], action["decided_by"]) == ("approved", "staff:anna")


def test_approval_is_recorded_with_the_staff_actor_in_the_audit_log(console: ConsoleWorld) -> None:
    reference = open_erasure_request(console.app)
    action_id = plan_erasure(console.app, reference)
    console.sign_in("anna")
    console.client.post(f"/actions/{action_id}/approve", data={"csrf": console.csrf()})
    with console.app.reader.connect() as connection:
        actors = connection.execute(select(events.c.actor).where(events.c.type == "ActionApproved")).scalars().all()
    assert actors == ["staff:anna"]


def test_five_wrong_passwords_slow_the_address_across_usernames(console: ConsoleWorld) -> None:
    for name in ("a1", "a2", "a3", "a4", "a5"):
        assert _attempt(console, name, "wrong password!!") == 401
    assert _attempt(console, "anna", PASSWORD) == 429


def test_the_slowdown_ends_after_its_delay_and_the_right_password_signs_in(
    console: ConsoleWorld, clock: FixedClock
) -> None:
    for _ in range(5):
        assert _attempt(console, "agnese", "wrong password!!") == 401
    assert _attempt(console, "agnese", PASSWORD) == 429
    clock.advance(seconds=1)
    assert _attempt(console, "agnese", PASSWORD) == 303


def test_slowed_attempts_are_audited_and_not_counted_as_failures(console: ConsoleWorld) -> None:
    for _ in range(7):
        _attempt(console, "agnese", "wrong password!!")
    with console.app.reader.connect() as connection:
        audited = connection.execute(select(staff_audit.c.action).where(staff_audit.c.username == "agnese")).scalars()
        actions = list(audited)
    assert actions.count("sign_in_failed") == 5
    assert actions.count("sign_in_throttled") == 2


def test_disabled_account_loses_its_session_at_once(console: ConsoleWorld) -> None:
    console.sign_in("agnese")
    console.accounts.disable("agnese", by="ivars")
    response = console.client.get("/", follow_redirects=False)
    assert response.status_code == 303


def test_in_store_intake_opens_a_verified_request_without_storing_a_scan(console: ConsoleWorld) -> None:
    console.sign_in("agnese")
    response = console.client.post(
        "/intake",
        data={
            "csrf": console.csrf("/intake"),
            "right": ["access"],
            "name": "Shop Customer",
            "email": "shop.customer@example.lv",
            "document": "id_card",
            "language": "lv",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    reference = response.headers["location"].split("/requests/")[1].split("?")[0]
    case = console.app.queries.detail(reference)["request"]
    assert (case["channel"], case["verified_method"], case["verified_document"], case["verified_by"]) == (
        "in_person",
        "in_person_id_check",
        "ID card",
        "staff:agnese",
    )


def test_extension_with_reasons_queues_the_notice(console: ConsoleWorld) -> None:
    reference = open_erasure_request(console.app)
    console.sign_in("agnese")
    response = console.client.post(
        f"/requests/{reference}/extend",
        data={"csrf": console.csrf(), "reason": ["complexity"], "explanation": "Dati trijās sistēmās."},
        follow_redirects=False,
    )
    assert response.status_code == 303
    detail = console.app.queries.detail(reference)
    assert detail["request"]["extended_due_on"] is not None
    assert [m["kind"] for m in detail["messages"]][-1] == "deadline_extended"


def test_refusal_without_reasons_is_refused(console: ConsoleWorld) -> None:
    reference = open_erasure_request(console.app)
    console.sign_in("agnese")
    response = console.client.post(f"/requests/{reference}/refuse", data={"csrf": console.csrf()})
    assert response.status_code == 400
    assert console.app.queries.detail(reference)["request"]["closed_at"] is None


def test_reply_editor_previews_latvian_english_and_russian(console: ConsoleWorld) -> None:
    reference = open_erasure_request(console.app)
    console.sign_in("agnese")
    page = console.client.get(f"/requests/{reference}/reply?kind=identity_verification_needed")
    assert page.status_code == 200
    assert page.text.count('class="card preview-letter') == 3
