"""Operators' commands: staff accounts and the approval queue.

The lead wires ``main(argv, app)`` into ``rightsdesk staff add|disable|reset``,
``rightsdesk queue``, ``rightsdesk approve`` and ``rightsdesk reject``: ``argv`` starts with
the sub-command (``["staff", "add", "maija", "--role", "agent"]``, ``["queue"]``,
``["approve", ACTION, "--as", USER]``, ``["reject", ACTION, "--as", USER, "--reason", TEXT]``).
Approvals from the CLI obey the same four-eyes rule as the console (the domain enforces it).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Sequence
from typing import Protocol, TextIO

from sqlalchemy import Engine as SqlEngine

from staff.accounts import StaffAccounts
from staff.errors import StaffError, UnknownStaffUser
from staff.roles import Permission, Role, actor_name, allows
from workflows.adapters.console_queries import ConsoleQueries
from workflows.domain.errors import FourEyesViolation, WorkflowError
from workflows.service_layer import commands as c
from workflows.service_layer.bus import Engine


class App(Protocol):
    """What the CLI needs of the running application (rightsdesk.bootstrap.App fits)."""

    @property
    def engine(self) -> Engine: ...
    @property
    def database(self) -> SqlEngine: ...
    @property
    def reader(self) -> SqlEngine: ...


EXIT_OK, EXIT_PROBLEM, EXIT_USAGE = 0, 1, 2
CLI_OPERATOR = "cli"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rightsdesk", description="Staff accounts and approvals")
    commands = parser.add_subparsers(dest="command", required=True)
    staff = commands.add_parser("staff", help="staff accounts").add_subparsers(dest="staff_command", required=True)
    add = staff.add_parser("add", help="add a staff account (prompts for the password twice)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=[str(r) for r in Role])
    add.add_argument("--name", help="the name shown in the console")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    disable = staff.add_parser("disable", help="disable an account and end its sessions")
    disable.add_argument("username")
    reset = staff.add_parser("reset", help="set a new password, unlock and re-enable an account")
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true")
    staff.add_parser("list", help="list staff accounts")
    commands.add_parser("queue", help="actions waiting for approval")
    approve = commands.add_parser("approve", help="approve a queued action (four-eyes)")
    approve.add_argument("action")
    approve.add_argument("--as", dest="user", required=True)
    reject = commands.add_parser("reject", help="reject a queued action")
    reject.add_argument("action")
    reject.add_argument("--as", dest="user", required=True)
    reject.add_argument("--reason", required=True)
    return parser


def _read_password(from_stdin: bool, stdin: TextIO, ask: Callable[[str], str]) -> str:
    if from_stdin:
        return stdin.readline().rstrip("\r\n")
    first = ask("New password: ")
    if first != ask("Repeat the password: "):
        raise StaffError("the two passwords differ")
    return first


def main(
    argv: Sequence[str],
    app: App,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    ask: Callable[[str], str] = getpass.getpass,
    accounts: StaffAccounts | None = None,
) -> int:
    out = stdout or sys.stdout
    options = _parser().parse_args(list(argv))
    accounts = accounts or StaffAccounts(app.database, app.engine.clock.now, reader=app.reader)
    try:
        if options.command == "staff":
            return _staff(options, accounts, stdin or sys.stdin, ask, out)
        if options.command == "queue":
            return _queue(app, out)
        return _decide(options, app, accounts, out)
    except FourEyesViolation:
        print(
            f"rightsdesk: {options.user} planned or requested this action; another approver must decide (four-eyes)",
            file=sys.stderr,
        )
        return EXIT_PROBLEM
    except (StaffError, WorkflowError) as error:
        print(f"rightsdesk: {error}", file=sys.stderr)
        return EXIT_USAGE


def _staff(
    options: argparse.Namespace, accounts: StaffAccounts, stdin: TextIO, ask: Callable[[str], str], out: TextIO
) -> int:
    if options.staff_command == "add":
        password = _read_password(options.password_stdin, stdin, ask)
        accounts.add(options.username, Role(options.role), password, display_name=options.name, by=CLI_OPERATOR)
        print(f"added {options.username} ({options.role})", file=out)
    elif options.staff_command == "disable":
        accounts.disable(options.username, by=CLI_OPERATOR)
        print(f"disabled {options.username}; their sessions are ended", file=out)
    elif options.staff_command == "reset":
        password = _read_password(options.password_stdin, stdin, ask)
        accounts.reset(options.username, password, by=CLI_OPERATOR)
        print(f"new password set for {options.username}; failed sign-ins cleared", file=out)
    else:
        for person in accounts.everyone():
            print(f"{person.username}\t{person.role}\t{'active' if person.active else 'disabled'}", file=out)
    return EXIT_OK


def _queue(app: App, out: TextIO) -> int:
    pending = ConsoleQueries(app.reader).pending_actions()
    if not pending:
        print("nothing waits for approval", file=out)
    for action in pending:
        requested = f" requested by {action.requested_by}" if action.requested_by else ""
        print(
            f"{action.id}\t{action.reference}\t{action.kind}\tdue {action.effective_due_on}"
            f"\tplanned by {action.planned_by}{requested}",
            file=out,
        )
    return EXIT_OK


def _decide(options: argparse.Namespace, app: App, accounts: StaffAccounts, out: TextIO) -> int:
    """Approve or reject as a named approver: the account must exist, be active, and hold the role."""
    user = accounts.get(options.user)
    if not user.active or not allows(user.role, Permission.APPROVE):
        raise UnknownStaffUser(f"{options.user} is not an active approver", username=options.user)
    accounts.audit(user.username, f"cli_{options.command}", target=options.action)
    if options.command == "approve":
        app.engine.handle(c.ApproveAction(options.action, actor=actor_name(user.username)))
        print(f"approved {options.action}; it will be carried out by the worker", file=out)
    else:
        app.engine.handle(c.RejectAction(options.action, actor=actor_name(user.username), reason=options.reason))
        print(f"rejected {options.action}", file=out)
    return EXIT_OK
