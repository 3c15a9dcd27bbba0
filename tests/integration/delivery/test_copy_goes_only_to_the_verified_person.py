"""A copy of someone's data goes only to an address bound to the verified person
(``workflows.domain.delivery``), through the SMTP intake, the worker, the console and the real
sender, on SQLite and PostgreSQL.

Personas: Ilze, an impostor who e-mails an access request from her own address and somehow
gets it verified as Līga Bērziņa (a stubbed qualified signature); Līga, the real customer,
whose address on file is liga.berzina@example.lv; Agnese, an agent who confirms where a held
copy goes; Juris, the approver.
"""

from __future__ import annotations

from rightsdesk.demo_kit.sample_shop import LIGA
from tests.integration.delivery.conftest import AGENT, Desk
from tests.integration.staff.conftest import csrf_from
from workflows.domain.identity import ClaimedIdentity, VerificationMethod, VerifiedIdentity
from workflows.domain.rights import Channel, Language, Right
from workflows.service_layer import commands as c

ILZE = ("Ilze Liepa", "ilze.liepa@example.lv")
LIGA_FROM = (f"{LIGA.first_name} {LIGA.last_name}", LIGA.email)
ASKING = "Labdien! Lūdzu izsniegt kopiju par visiem maniem personas datiem, ko jūs apstrādājat."


def _impostors_request_reaches_the_copy(desk: Desk) -> str:
    desk.mail_in(ILZE, "Datu pieprasījums", ASKING)
    desk.settle()
    reference: str = desk.only_request().reference
    desk.verify_as(reference, LIGA)
    desk.settle()
    desk.approve_all(reference)
    desk.settle()
    return reference


def _confirm(desk: Desk, reference: str, address: str) -> int:
    desk.sign_in(AGENT)
    page = desk.console.get(f"/requests/{reference}")
    response = desk.console.post(
        f"/requests/{reference}/copy-destination",
        data={"csrf": csrf_from(page.text), "address": address},
        follow_redirects=False,
    )
    desk.settle()
    return response.status_code


def test_impostors_own_address_never_receives_the_copy_and_staff_are_told_why(desk: Desk) -> None:
    reference = _impostors_request_reaches_the_copy(desk)

    assert desk.copies_to(ILZE[1]) == []
    assert desk.outbox("access_reply") == []
    case = desk.request(reference)
    assert case.state == "in_progress"  # not completed: the answer has not gone out
    assert f"would go to {ILZE[1]}, which is not an address bound to the verified person" in case.attention
    assert f"choose {LIGA.email}" in case.attention


def test_staff_see_the_held_copy_with_the_address_on_file_to_choose(desk: Desk) -> None:
    reference = _impostors_request_reaches_the_copy(desk)
    desk.sign_in(AGENT)

    page = desk.console.get(f"/requests/{reference}").text

    assert 'id="held-copy"' in page
    assert f'name="address" value="{LIGA.email}"' in page
    assert f'name="address" value="{ILZE[1]}"' in page  # only after checking with the person


def test_copy_goes_to_the_address_on_file_once_staff_confirm_it(desk: Desk) -> None:
    reference = _impostors_request_reaches_the_copy(desk)

    assert _confirm(desk, reference, LIGA.email) == 303

    (copy,) = desk.copies_to(LIGA.email)
    assert copy.message.get_content_type() == "multipart/mixed"
    assert copy.rcpt_tos == (LIGA.email,) and str(copy.message["To"]) == LIGA.email
    assert desk.copies_to(ILZE[1]) == []
    case = desk.request(reference)
    assert case.state == "completed"
    assert "not an address bound" not in (case.attention or "")


def test_the_confirmation_is_in_the_audit_log_with_who_chose_what(desk: Desk) -> None:
    reference = _impostors_request_reaches_the_copy(desk)
    _confirm(desk, reference, LIGA.email)

    (event,) = desk.events(reference, "CopyDestinationConfirmed")
    assert event.actor == f"staff:{AGENT}"
    assert event.data["address"] == LIGA.email
    assert event.data["bound_to_verified_person"] is True and event.data["four_eyes"] is False


def test_staff_cannot_send_the_copy_to_an_address_nobody_offered(desk: Desk) -> None:
    reference = _impostors_request_reaches_the_copy(desk)

    assert _confirm(desk, reference, "ilze.other@example.com") == 409

    assert desk.copies_to("ilze.other@example.com") == [] and desk.outbox("access_reply") == []


def test_legitimate_customer_writing_from_her_address_on_file_gets_the_copy_at_once(desk: Desk) -> None:
    desk.mail_in(LIGA_FROM, "Datu pieprasījums", ASKING)
    desk.settle()
    reference = desk.only_request().reference
    desk.verify_as(reference, LIGA)
    desk.settle()
    desk.approve_all(reference)
    desk.settle()

    (copy,) = desk.copies_to(LIGA.email)
    assert list(copy.message.iter_attachments())
    case = desk.request(reference)
    assert case.state == "completed" and "bound" not in (case.attention or "")


def test_legitimate_customer_writing_from_the_address_her_signed_text_names_gets_it_at_once(desk: Desk) -> None:
    new_address = "liga.jauna@example.com"  # not on file: she names it in the text she signs
    desk.mail_in((LIGA_FROM[0], new_address), "Datu pieprasījums", ASKING)
    desk.settle()
    reference = desk.only_request().reference
    desk.verify_as(reference, LIGA, email=new_address)
    desk.settle()
    desk.approve_all(reference)
    desk.settle()

    assert len(desk.copies_to(new_address)) == 1
    assert desk.copies_to(LIGA.email) == []
    assert desk.request(reference).state == "completed"


def test_sending_to_the_senders_address_is_recorded_as_not_bound(desk: Desk) -> None:
    reference = _impostors_request_reaches_the_copy(desk)

    _confirm(desk, reference, ILZE[1])  # the agent phoned the customer and checked it first

    assert len(desk.copies_to(ILZE[1])) == 1
    (event,) = desk.events(reference, "CopyDestinationConfirmed")
    assert (event.data["address"], event.data["bound_to_verified_person"]) == (ILZE[1], False)


def _chat_request_verified(desk: Desk, evidence: VerifiedIdentity) -> str:
    now = desk.app.engine.clock.now()
    reference: str = desk.app.engine.handle(
        c.OpenRequest(
            channel=Channel.TELEGRAM,
            rights=frozenset({Right.ACCESS}),
            language=Language.LV,
            claimed=ClaimedIdentity(name="Līga", chat_id="7101", email=ILZE[1]),
            received_at=now,
            identity_asked_in_conversation=True,
        )
    )
    desk.app.engine.handle(c.RecordIdentityEvidence(reference, evidence))
    desk.settle()
    desk.approve_all(reference)
    desk.settle()
    return reference


def test_chat_requests_copy_goes_only_to_the_address_the_code_proved(desk: Desk) -> None:
    now = desk.app.engine.clock.now()
    code = VerifiedIdentity(VerificationMethod.ONE_TIME_CODE, now, "code:test", email=LIGA.email)

    _chat_request_verified(desk, code)

    (reply,) = desk.outbox("access_reply")
    assert (reply.channel, reply.recipient) == ("email", LIGA.email)
    assert len(desk.copies_to(LIGA.email)) == 1 and desk.copies_to(ILZE[1]) == []


def test_chat_requests_copy_without_a_code_proven_address_is_not_mailed_to_the_address_on_file(desk: Desk) -> None:
    now = desk.app.engine.clock.now()
    eid = VerifiedIdentity(VerificationMethod.QUALIFIED_EID, now, "oidc:test", personal_code=LIGA.personal_code)

    reference = _chat_request_verified(desk, eid)

    assert desk.outbox("access_reply") == [] and desk.copies_to(LIGA.email) == []
    assert "hand it over in person" in desk.request(reference).attention


def test_a_withdrawn_requests_held_copy_is_never_sent(desk: Desk) -> None:
    reference = _impostors_request_reaches_the_copy(desk)
    desk.app.engine.handle(c.WithdrawRequest(reference))

    assert _confirm(desk, reference, LIGA.email) == 409

    assert desk.copies_to(LIGA.email) == [] and desk.copies_to(ILZE[1]) == []


def test_impostors_portability_export_is_held_too(desk: Desk) -> None:
    reference: str = desk.app.engine.handle(
        c.OpenRequest(
            channel=Channel.EMAIL,
            rights=frozenset({Right.PORTABILITY}),
            language=Language.LV,
            claimed=ClaimedIdentity(name=ILZE[0], email=ILZE[1]),
            received_at=desk.app.engine.clock.now(),
        )
    )
    desk.verify_as(reference, LIGA)
    desk.settle()
    desk.approve_all(reference)
    desk.settle()

    assert desk.copies_to(ILZE[1]) == []
    assert f"choose {LIGA.email}" in desk.request(reference).attention
