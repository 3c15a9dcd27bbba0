"""Route (c): a one-time code to the contact on file (tier 2), driven through the route API
and the engine. Personas: a verified customer (Jānis, on file), an impostor (another chat),
and the impostor "Ilze" who types wrong codes for Līga Kalniņa's e-mail in her own chat."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.identity import CodePolicy, CustomerOnFile, OneTimeCodeRoute, OutcomeStatus, StaticCustomerDirectory
from bot.identity.throttle import GrowingPause, RateLimit
from rightsdesk.bootstrap import App
from tests.support.oidc.cases import open_chat_request, outbox_rows, request_row
from workflows.adapters.identity_tables import identity_codes
from workflows.domain.rights import Right

SECRET = b"test-identity-secret-0123456789abcdef"
CUSTOMER_CHAT = "5001"
IMPOSTOR_CHAT = "666"
JANIS = CustomerOnFile(key="cust-1", email="janis@example.lv", phone="+37120000001")
LIGA = CustomerOnFile(key="cust-7", email="liga.kalnina@example.lv")
LIGA_CHAT = "7101"
ILZE_CHAT = "7102"


def _route(app: App, policy: CodePolicy | None = None, customers: list[CustomerOnFile] | None = None
           ) -> OneTimeCodeRoute:
    directory = StaticCustomerDirectory(customers if customers is not None else [JANIS])
    return OneTimeCodeRoute(app.engine, app.database, directory, secret=SECRET, policy=policy)


def _rectification(app: App, chat: str = CUSTOMER_CHAT) -> str:
    return open_chat_request(app, chat, {Right.RECTIFICATION}, email="Janis@Example.lv")


def _sent_code(app: App) -> str:
    text = outbox_rows(app, "identity_code")[-1].text
    found = re.search(r": (\d{6})$", text, re.MULTILINE)
    if found is None:
        raise AssertionError("no code in the outgoing message")
    return found.group(1)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_code_to_email_on_file_verifies_a_rectification(app: App) -> None:
    route = _route(app)
    reference = _rectification(app)

    sent = route.send(reference, CUSTOMER_CHAT)
    checked = route.check(reference, CUSTOMER_CHAT, _sent_code(app))

    assert (sent.status, sent.channel, checked.status) == (OutcomeStatus.CODE_SENT, "email", OutcomeStatus.VERIFIED)
    row = request_row(app, reference)
    assert (row.state, row.verified_method, row.verified_email) == ("in_progress", "one_time_code", JANIS.email)


def test_code_goes_to_the_address_on_file_through_the_email_outbox(app: App) -> None:
    reference = _rectification(app)

    _route(app).send(reference, CUSTOMER_CHAT)

    [row] = outbox_rows(app, "identity_code")
    assert (row.channel, row.recipient, row.status) == ("email", JANIS.email, "pending")


def test_code_goes_by_sms_when_only_a_phone_is_on_file(app: App) -> None:
    phone_only = CustomerOnFile(key="cust-2", phone="+37120000002")
    reference = open_chat_request(app, CUSTOMER_CHAT, {Right.RECTIFICATION}, phone="20000002")

    outcome = _route(app, customers=[phone_only]).send(reference, CUSTOMER_CHAT)

    [row] = outbox_rows(app, "identity_code")
    assert (outcome.channel, row.channel, row.recipient) == ("sms", "sms", "+37120000002")


def test_code_is_stored_only_as_a_keyed_digest(app: App) -> None:
    reference = _rectification(app)
    _route(app).send(reference, CUSTOMER_CHAT)

    with app.database.connect() as connection:
        stored = connection.execute(select(identity_codes.c.code_digest)).scalar_one()
    assert _sent_code(app) not in stored and len(stored) == 64


def test_wrong_code_says_how_many_attempts_are_left(app: App) -> None:
    route = _route(app)
    reference = _rectification(app)
    route.send(reference, CUSTOMER_CHAT)

    outcome = route.check(reference, CUSTOMER_CHAT, _wrong(_sent_code(app)))

    assert (outcome.status, outcome.attempts_left) == (OutcomeStatus.CODE_WRONG, 2)  # 3 before a pause


def test_three_wrong_codes_pause_the_chat_even_for_the_right_code(app: App, clock: object) -> None:
    route = _route(app)
    reference = _rectification(app)
    route.send(reference, CUSTOMER_CHAT)
    code = _sent_code(app)

    outcomes = [route.check(reference, CUSTOMER_CHAT, _wrong(code)) for _ in range(5)]
    after = route.check(reference, CUSTOMER_CHAT, code)

    assert [o.status for o in outcomes] == [OutcomeStatus.CODE_WRONG] * 2 + [OutcomeStatus.LOCKED] * 3
    assert after.status is OutcomeStatus.LOCKED
    assert outcomes[2].retry_after == clock.now() + timedelta(minutes=1)  # type: ignore[attr-defined]
    assert request_row(app, reference).state == "awaiting_identity"


def test_tries_during_a_pause_do_not_count_or_renew_it(app: App, clock: object) -> None:
    route = _route(app)
    reference = _rectification(app)
    route.send(reference, CUSTOMER_CHAT)
    code = _sent_code(app)
    for _ in range(3):
        route.check(reference, CUSTOMER_CHAT, _wrong(code))
    for _ in range(20):  # hammering during the pause
        route.check(reference, CUSTOMER_CHAT, _wrong(code))

    clock.advance(minutes=1, seconds=1)  # type: ignore[attr-defined]
    assert route.check(reference, CUSTOMER_CHAT, code).status is OutcomeStatus.VERIFIED


def test_each_further_wrong_code_doubles_the_pause_up_to_an_hour(app: App, clock: object) -> None:

    many = RateLimit(20, timedelta(hours=24))
    route = _route(app, CodePolicy(sends_per_contact_and_chat=many, sends_per_customer=many))
    reference = _rectification(app)
    pauses: list[timedelta] = []
    for _ in range(9):
        route.send(reference, CUSTOMER_CHAT)
        code = _sent_code(app)
        outcome = route.check(reference, CUSTOMER_CHAT, _wrong(code))
        while outcome.status is OutcomeStatus.CODE_WRONG:
            outcome = route.check(reference, CUSTOMER_CHAT, _wrong(code))
        assert outcome.status is OutcomeStatus.LOCKED and outcome.retry_after is not None
        pauses.append(outcome.retry_after - clock.now())  # type: ignore[attr-defined]
        clock.current = outcome.retry_after + timedelta(seconds=1)  # type: ignore[attr-defined]
        clock.advance(minutes=30)  # type: ignore[attr-defined]  (also outlasts the send limit per chat)

    assert [int(p.total_seconds() // 60) for p in pauses] == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_impostor_ilze_typing_wrong_codes_for_ligas_email_does_not_pause_ligas_chat(app: App) -> None:
    route = _route(app, customers=[LIGA])
    ilzes = open_chat_request(app, ILZE_CHAT, {Right.RECTIFICATION}, email=LIGA.email or "")
    ligas = open_chat_request(app, LIGA_CHAT, {Right.RECTIFICATION}, email=LIGA.email or "")
    route.send(ilzes, ILZE_CHAT)
    guessed = [route.check(ilzes, ILZE_CHAT, f"{n:06d}").status for n in range(10)]

    sent = route.send(ligas, LIGA_CHAT)
    checked = route.check(ligas, LIGA_CHAT, _sent_code(app))

    assert guessed[-1] is OutcomeStatus.LOCKED
    assert (sent.status, checked.status) == (OutcomeStatus.CODE_SENT, OutcomeStatus.VERIFIED)
    assert route.send(ilzes, ILZE_CHAT).status is OutcomeStatus.LOCKED  # Ilze's own chat waits


def test_impostor_ilze_cannot_use_up_the_codes_ligas_chat_may_ask_for(app: App, clock: object) -> None:
    route = _route(app, customers=[LIGA])
    ilzes = open_chat_request(app, ILZE_CHAT, {Right.RECTIFICATION}, email=LIGA.email or "")
    ligas = open_chat_request(app, LIGA_CHAT, {Right.RECTIFICATION}, email=LIGA.email or "")
    asked = []
    for _ in range(4):
        asked += [route.send(ilzes, ILZE_CHAT).status for _ in range(3)]
        clock.advance(minutes=31)  # type: ignore[attr-defined]

    assert asked.count(OutcomeStatus.CODE_SENT) == 5  # per contact and chat, a day
    assert route.send(ligas, LIGA_CHAT).status is OutcomeStatus.CODE_SENT


def test_the_daily_cap_per_customer_tells_staff_once(app: App) -> None:

    route = _route(app, CodePolicy(sends_per_customer=RateLimit(1, timedelta(hours=24))), customers=[LIGA])
    ilzes = open_chat_request(app, ILZE_CHAT, {Right.RECTIFICATION}, email=LIGA.email or "")
    ligas = open_chat_request(app, LIGA_CHAT, {Right.RECTIFICATION}, email=LIGA.email or "")
    route.send(ilzes, ILZE_CHAT)

    refused = [route.send(ligas, LIGA_CHAT) for _ in range(2)]

    assert [o.status for o in refused] == [OutcomeStatus.RATE_LIMITED] * 2
    assert refused[0].retry_after is not None
    flags = [e for e in app.queries.detail(ligas)["events"] if e["type"] == "AttentionFlagged"]
    assert len(flags) == 1


def test_locked_route_records_the_failure_in_the_case(app: App) -> None:
    route = _route(app)
    reference = _rectification(app)
    route.send(reference, CUSTOMER_CHAT)
    code = _sent_code(app)

    for _ in range(5):
        route.check(reference, CUSTOMER_CHAT, _wrong(code))

    events = app.queries.detail(reference)["events"]
    assert any(e["type"] == "IdentityVerificationFailed" for e in events)


def test_paused_chat_gets_a_new_code_only_after_the_pause(app: App, clock: object) -> None:
    route = _route(app)
    reference = _rectification(app)
    route.send(reference, CUSTOMER_CHAT)
    code = _sent_code(app)
    for _ in range(5):
        route.check(reference, CUSTOMER_CHAT, _wrong(code))

    assert route.send(reference, CUSTOMER_CHAT).status is OutcomeStatus.LOCKED
    clock.advance(seconds=59)  # type: ignore[attr-defined]
    assert route.send(reference, CUSTOMER_CHAT).status is OutcomeStatus.LOCKED
    clock.advance(seconds=2)  # type: ignore[attr-defined]
    assert route.send(reference, CUSTOMER_CHAT).status is OutcomeStatus.CODE_SENT


def test_code_expires_after_ten_minutes(app: App, clock: object) -> None:
    route = _route(app)
    reference = _rectification(app)
    route.send(reference, CUSTOMER_CHAT)
    clock.advance(minutes=10, seconds=1)  # type: ignore[attr-defined]

    assert route.check(reference, CUSTOMER_CHAT, _sent_code(app)).status is OutcomeStatus.CODE_EXPIRED


def test_a_new_code_replaces_the_previous_one(app: App) -> None:
    route = _route(app)
    reference = _rectification(app)
    route.send(reference, CUSTOMER_CHAT)
    first = _sent_code(app)
    route.send(reference, CUSTOMER_CHAT)

    outcome = route.check(reference, CUSTOMER_CHAT, first)

    assert outcome.status is (OutcomeStatus.VERIFIED if first == _sent_code(app) else OutcomeStatus.CODE_WRONG)


def test_codes_sent_are_rate_limited_per_chat(app: App) -> None:
    route = _route(app)
    reference = _rectification(app)

    statuses = [route.send(reference, CUSTOMER_CHAT).status for _ in range(4)]

    assert statuses == [OutcomeStatus.CODE_SENT] * 3 + [OutcomeStatus.RATE_LIMITED]


def test_codes_sent_are_rate_limited_per_customer_across_chats(app: App) -> None:

    policy = CodePolicy(sends_per_customer=RateLimit(2, timedelta(hours=24)))
    route = _route(app, policy)
    chats = ["7001", "7002", "7003"]
    references = [_rectification(app, chat) for chat in chats]

    statuses = [route.send(ref, chat).status for ref, chat in zip(references, chats, strict=True)]

    assert statuses == [OutcomeStatus.CODE_SENT, OutcomeStatus.CODE_SENT, OutcomeStatus.RATE_LIMITED]


def test_code_checks_are_rate_limited_per_chat_across_new_codes(app: App) -> None:


    policy = CodePolicy(checks_per_chat=RateLimit(6, timedelta(hours=1)), pause=GrowingPause(free=20))
    route = _route(app, policy)
    reference = _rectification(app)
    route.send(reference, CUSTOMER_CHAT)
    for _ in range(4):
        route.check(reference, CUSTOMER_CHAT, _wrong(_sent_code(app)))
    route.send(reference, CUSTOMER_CHAT)
    route.check(reference, CUSTOMER_CHAT, _wrong(_sent_code(app)))
    route.check(reference, CUSTOMER_CHAT, _wrong(_sent_code(app)))

    assert route.check(reference, CUSTOMER_CHAT, _sent_code(app)).status is OutcomeStatus.RATE_LIMITED


def test_no_code_without_a_customer_on_file(app: App) -> None:
    reference = open_chat_request(app, CUSTOMER_CHAT, {Right.RECTIFICATION}, email="stranger@example.lv")

    outcome = _route(app).send(reference, CUSTOMER_CHAT)

    assert outcome.status is OutcomeStatus.NO_CONTACT_ON_FILE and outbox_rows(app, "identity_code") == []


def test_impostor_chat_cannot_use_anothers_reference(app: App) -> None:
    reference = _rectification(app)

    outcome = _route(app).send(reference, IMPOSTOR_CHAT)

    assert outcome.status is OutcomeStatus.NOT_FOUND and outbox_rows(app, "identity_code") == []


def test_code_route_is_too_weak_for_an_access_request(app: App) -> None:
    reference = open_chat_request(app, CUSTOMER_CHAT, {Right.ACCESS}, email=JANIS.email or "")

    assert _route(app).send(reference, CUSTOMER_CHAT).status is OutcomeStatus.INSUFFICIENT_ROUTE


@pytest.mark.parametrize("entered", ["", "abcdef", "1234567", "12345", "janis@example.lv", "+371 2000 0001"])
def test_text_not_shaped_like_a_code_is_not_an_attempt(app: App, entered: str) -> None:
    route = _route(app)
    reference = _rectification(app)
    route.send(reference, CUSTOMER_CHAT)

    outcomes = [route.check(reference, CUSTOMER_CHAT, entered) for _ in range(10)]

    assert {(o.status, o.attempts_left) for o in outcomes} == {(OutcomeStatus.CODE_WRONG, 3)}
    with app.database.connect() as connection:
        assert connection.execute(select(identity_codes.c.attempts)).scalar_one() == 0
    assert route.check(reference, CUSTOMER_CHAT, _sent_code(app)).status is OutcomeStatus.VERIFIED


@pytest.mark.parametrize("spacing", ["{a} {b}", "{a}-{b}", " {a}{b} ", "{a}\u00a0{b}"])
def test_code_with_spaces_or_dashes_is_read_as_the_code(app: App, spacing: str) -> None:
    route = _route(app)
    reference = _rectification(app)
    route.send(reference, CUSTOMER_CHAT)
    code = _sent_code(app)

    entered = spacing.format(a=code[:3], b=code[3:])

    assert route.check(reference, CUSTOMER_CHAT, entered).status is OutcomeStatus.VERIFIED
