"""The chat's declared state machine (bot.conversation_table) and its stored state
(bot.steps): every step answers every kind of input, every step can be reached and left,
and conversations stored by earlier releases resume (or fall back safely)."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from types import SimpleNamespace
from typing import Any

import pytest
from telegram.ext import ApplicationBuilder, CommandHandler

from bot import any_step, chat_commands, conversation, conversation_table, verification
from bot.app import add_handlers
from bot.conversation_table import ANY, BUTTON_PREFIXES, COMMANDS, TABLE, InputKind, Route, route
from bot.steps import (
    INTAKE_STEPS,
    VERIFICATION_STEPS,
    Intake,
    Step,
    Verification,
    chat_data_from_json,
    chat_data_to_json,
    from_json,
    step_in,
)
from workflows.domain.identity import IdentityTier
from workflows.domain.rights import Right

LIGAS_REQUEST = "DSR-2026-000001"


def _inputs() -> list[tuple[InputKind, str]]:
    return [
        *[(InputKind.COMMAND, name) for name in (*COMMANDS, ANY, "frobnicate")],
        *[(InputKind.BUTTON, prefix) for prefix in (*BUTTON_PREFIXES, ANY, "x")],
        (InputKind.TEXT, ""),
        (InputKind.FILE, ""),
    ]


def _routes(step: Step) -> list[Route]:
    routes = TABLE[step]
    return [*routes.commands.values(), routes.text, *routes.buttons.values(), routes.file]


def _edges() -> dict[Step, set[Step]]:
    return {step: {target for r in _routes(step) for target in r.next} for step in Step}


def _reachable(start: Step, edges: dict[Step, set[Step]]) -> set[Step]:
    seen, queue = {start}, deque([start])
    while queue:
        for target in edges[queue.popleft()]:
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


# -- the table ---------------------------------------------------------------------------------
def test_every_step_has_a_route_for_every_kind_of_input() -> None:
    assert set(TABLE) == set(Step)
    for step in Step:
        for kind, key in _inputs():
            chosen = route(step, kind, key)
            assert callable(chosen.handler), (step, kind, key)
            assert chosen.next, (step, kind, key)


def test_every_named_command_and_button_prefix_is_declared_at_every_step() -> None:
    for step in Step:
        assert set(TABLE[step].commands) == {*COMMANDS, ANY}
        assert set(TABLE[step].buttons) == {*BUTTON_PREFIXES, ANY}


def test_a_not_here_answer_never_moves_the_chat() -> None:
    for step in Step:
        for chosen in _routes(step):
            if not chosen.here:
                assert chosen.next == {step}, (step, chosen.handler.__name__)


def test_every_step_is_reachable_from_a_fresh_chat() -> None:
    assert _reachable(Step.IDLE, _edges()) == set(Step)


def test_every_declared_transition_starts_at_a_reachable_step_and_leads_to_a_real_one() -> None:
    reachable = _reachable(Step.IDLE, _edges())
    for step, targets in _edges().items():
        assert step in reachable
        assert targets <= set(Step)


def test_no_step_is_a_trap_every_one_can_get_back_to_no_conversation() -> None:
    edges = _edges()
    for step in Step:
        assert Step.IDLE in _reachable(step, edges), step


def test_start_begins_a_fresh_draft_at_every_step() -> None:
    for step in Step:
        chosen = route(step, InputKind.COMMAND, "start")
        assert chosen.handler is conversation.start
        assert chosen.next == {Step.RIGHTS}


def test_cancel_ends_a_draft_and_offers_withdrawal_outside_one() -> None:
    for step in Step:
        chosen = route(step, InputKind.COMMAND, "cancel")
        expected = conversation.cancel_draft if step in INTAKE_STEPS else any_step.offer_withdrawal
        assert chosen.handler is expected
        assert chosen.next == {Step.IDLE}


def test_each_intake_button_acts_only_at_its_own_step() -> None:
    own = {"r": Step.RIGHTS, "d": Step.DETAILS, "c": Step.CONTACT, "s": Step.SUMMARY}
    for prefix, its_step in own.items():
        for step in Step:
            assert route(step, InputKind.BUTTON, prefix).here is (step is its_step), (prefix, step)


def test_an_identity_route_button_is_refused_while_a_draft_is_in_progress() -> None:
    for step in Step:
        chosen = route(step, InputKind.BUTTON, "v")
        if step in INTAKE_STEPS:
            assert (chosen.handler, chosen.here) == (verification.refuse_during_draft, False)
        else:
            assert chosen.handler is verification.on_route_button


def test_only_the_code_step_checks_text_as_a_code_and_only_the_doc_step_takes_a_file() -> None:
    for step in Step:
        assert (route(step, InputKind.TEXT).handler is verification.on_code_text) is (step is Step.CODE)
        assert (route(step, InputKind.FILE).handler is verification.on_signed_document) is (step is Step.DOC)


def test_withdrawal_and_language_buttons_work_at_every_step_without_moving_it() -> None:
    for step in Step:
        assert route(step, InputKind.BUTTON, "w").next == {step}
        assert route(step, InputKind.BUTTON, "l").next == {step}


def test_the_application_registers_start_itself_and_every_other_command_through_the_table() -> None:
    application = ApplicationBuilder().token("123456:TEST").build()
    add_handlers(application)
    registered = {
        name: handler.callback
        for handlers in application.handlers.values()
        for handler in handlers
        if isinstance(handler, CommandHandler)
        for name in handler.commands
    }
    assert set(registered) == set(COMMANDS)
    assert registered["start"] is conversation.start
    dispatchers = {
        "status": chat_commands.status,
        "cancel": chat_commands.cancel,
        "help": chat_commands.help_command,
        "language": chat_commands.choose_language,
        "privacy": chat_commands.privacy,
    }
    for name, dispatcher in dispatchers.items():
        assert registered[name] is dispatcher


def test_a_handler_that_leaves_for_an_undeclared_step_is_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def jumps_to_the_code_step(update: Any, context: Any, value: str) -> None:
        context.chat_data["flow"] = Verification(Step.CODE, LIGAS_REQUEST)

    declared = Route(jumps_to_the_code_step, frozenset({Step.IDLE}))
    monkeypatch.setattr(conversation_table, "route", lambda step, kind, key="": declared)
    context = SimpleNamespace(chat_data={})
    with caplog.at_level(logging.ERROR, logger="bot.conversation_table"):
        asyncio.run(conversation_table.dispatch(SimpleNamespace(), context, InputKind.TEXT))  # type: ignore[arg-type]
    assert "undeclared transition idle -> code" in caplog.text


# -- the stored state --------------------------------------------------------------------------
def test_step_values_are_the_strings_stored_by_earlier_releases() -> None:
    stored = {"rights", "details", "contact", "summary", "verify", "code", "doc"}
    assert {step.value for step in INTAKE_STEPS | VERIFICATION_STEPS} == stored
    assert Step.IDLE.value not in stored  # no conversation is stored as its absence


STORED_BY_EARLIER_RELEASES: list[dict[str, Any]] = [
    {"step": "rights", "rights": [], "details": {}, "pending": []},
    {"step": "rights", "rights": ["erasure", "access"], "details": {}, "pending": []},
    {
        "step": "details",
        "rights": ["access", "marketing_objection"],
        "details": {"own_words": "Lūdzu, parādiet manus datus", "access_scope": "all"},
        "pending": ["marketing_objection"],
    },
    {
        "step": "contact",
        "rights": ["marketing_objection"],
        "details": {"marketing_channels": ["email", "sms"]},
        "pending": [],
    },
    {
        "step": "summary",
        "rights": ["access"],
        "details": {"access_scope": "all"},
        "pending": [],
        "contact": {"email": "liga.kalnina@example.lv"},
    },
    {"step": "summary", "rights": ["rectification"], "details": {"correction_text": "x"}, "pending": [], "contact": {}},
    {"step": "verify", "reference": LIGAS_REQUEST, "tier": 3},
    {"step": "code", "reference": LIGAS_REQUEST, "tier": 2},
    {"step": "doc", "reference": LIGAS_REQUEST, "tier": 3},
]


@pytest.mark.parametrize("stored", STORED_BY_EARLIER_RELEASES, ids=lambda s: str(s["step"]))
def test_a_conversation_stored_by_an_earlier_release_resumes_unchanged(stored: dict[str, Any]) -> None:
    resumed = from_json(stored)
    assert resumed is not None
    assert resumed.step.value == stored["step"]
    assert resumed.to_json() == stored


def test_a_stored_draft_reads_back_typed() -> None:
    resumed = from_json(STORED_BY_EARLIER_RELEASES[2])
    assert resumed == Intake(
        Step.DETAILS,
        rights=[Right.ACCESS, Right.MARKETING_OBJECTION],
        details={"own_words": "Lūdzu, parādiet manus datus", "access_scope": "all"},
        pending=[Right.MARKETING_OBJECTION],
    )
    assert from_json(STORED_BY_EARLIER_RELEASES[7]) == Verification(
        Step.CODE, LIGAS_REQUEST, IdentityTier.CONTACT_ON_FILE
    )


def test_a_stored_verification_step_without_a_tier_is_treated_as_needing_strong_proof() -> None:
    assert from_json({"step": "verify", "reference": LIGAS_REQUEST}) == Verification(
        Step.VERIFY, LIGAS_REQUEST, IdentityTier.STRONG
    )


@pytest.mark.parametrize(
    "stored",
    [
        {"step": "eid_wait", "reference": LIGAS_REQUEST, "tier": 3},  # a step this release does not know
        {"step": "idle"},
        {"rights": ["access"]},
        {"step": "rights", "rights": ["mind_reading"], "details": {}, "pending": []},
        {"step": "rights", "rights": "access", "details": {}, "pending": []},
        {"step": "details", "rights": ["access"], "details": {"access_scope": 7}, "pending": ["access"]},
        {"step": "summary", "rights": [], "details": {}, "pending": [], "contact": "liga@example.lv"},
        {"step": "verify", "tier": 3},
        {"step": "code", "reference": "", "tier": 2},
        {"step": "verify", "reference": LIGAS_REQUEST, "tier": 9},
        {"step": "verify", "reference": LIGAS_REQUEST, "tier": True},
        "verify",
        None,
    ],
)
def test_an_unreadable_stored_conversation_falls_back_to_no_conversation(stored: object) -> None:
    assert from_json(stored) is None
    data = chat_data_from_json({"lang": "lv", "flow": stored})
    assert data == {"lang": "lv"}  # the language stays; the chat behaves as with no conversation
    assert step_in(data) is Step.IDLE


def test_chat_data_keeps_the_language_and_other_keys_around_the_typed_conversation() -> None:
    stored = {"lang": "ru", "shared_chat_told": "2026-03-02T10:00:00+00:00", "flow": STORED_BY_EARLIER_RELEASES[6]}
    data = chat_data_from_json(stored)
    assert isinstance(data["flow"], Verification)
    assert step_in(data) is Step.VERIFY
    assert chat_data_to_json(data) == stored
    assert chat_data_to_json({"lang": "lv"}) == {"lang": "lv"}
    assert step_in(None) is Step.IDLE
