"""The operators' CLI: accounts and the approval queue, with the console's four-eyes rule."""

from __future__ import annotations

import io

from rightsdesk.bootstrap import App
from staff.accounts import StaffAccounts
from staff.cli import main
from staff.roles import Role
from tests.integration.staff.conftest import PASSWORD, fast_passwords, open_erasure_request, plan_erasure


def _accounts(app: App) -> StaffAccounts:
    accounts = StaffAccounts(app.database, app.engine.clock.now, passwords=fast_passwords(), reader=app.reader)
    accounts.add("andris", Role.APPROVER, PASSWORD, by="test")
    return accounts


def test_staff_add_reads_the_password_from_stdin(app: App) -> None:
    accounts = _accounts(app)
    code = main(
        ["staff", "add", "maija", "--role", "agent", "--password-stdin"],
        app,
        stdin=io.StringIO(PASSWORD + "\n"),
        stdout=io.StringIO(),
        accounts=accounts,
    )
    assert code == 0
    assert accounts.sign_in("maija", PASSWORD, client="cli-test").role == "agent"


def test_staff_add_refuses_two_different_passwords(app: App) -> None:
    answers = iter([PASSWORD, PASSWORD + "x"])
    code = main(["staff", "add", "maija", "--role", "agent"], app, ask=lambda _: next(answers), accounts=_accounts(app))
    assert code == 2


def test_queue_lists_the_waiting_action(app: App) -> None:
    action_id = plan_erasure(app, open_erasure_request(app))
    out = io.StringIO()
    assert main(["queue"], app, stdout=out, accounts=_accounts(app)) == 0
    assert action_id in out.getvalue()


def test_cli_approval_obeys_four_eyes(app: App) -> None:
    action_id = plan_erasure(app, open_erasure_request(app), by="staff:andris")
    assert main(["approve", action_id, "--as", "andris"], app, stdout=io.StringIO(), accounts=_accounts(app)) == 1


def test_cli_rejects_with_a_reason(app: App) -> None:
    reference = open_erasure_request(app)
    action_id = plan_erasure(app, reference)
    code = main(
        ["reject", action_id, "--as", "andris", "--reason", "wrong person"],
        app,
        stdout=io.StringIO(),
        accounts=_accounts(app),
    )
    assert code == 0
    assert app.queries.detail(reference)["actions"][0]["status"] == "rejected"
