"""Where a copy of someone's data may go (``workflows.domain.delivery``), told with personas:
Līga Bērziņa (the verified customer, liga.berzina@example.lv on file) and Ilze (an impostor who
writes from her own address and got verified as Līga)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from workflows.domain.calendar import HolidayCalendar, load_calendar
from workflows.domain.delivery import (
    COPY_DESTINATION_KEY,
    HELD_COPIES_KEY,
    CopyDestinationError,
    CopyHeld,
    choose_destination,
    copy_delivery,
    copy_route,
    reply_route,
)
from workflows.domain.identity import ClaimedIdentity, IdentityTier, VerificationMethod, VerifiedIdentity
from workflows.domain.replies import DeliveryMethod
from workflows.domain.request import RightsRequest
from workflows.domain.rights import Channel, Language, Right

AT = datetime(2026, 3, 3, 7, 0, tzinfo=UTC)
LIGA_ON_FILE = "liga.berzina@example.lv"
ILZE = "ilze.liepa@example.lv"


@pytest.fixture(scope="module")
def latvia() -> HolidayCalendar:
    return load_calendar()


def _request(
    calendar: HolidayCalendar,
    *,
    sender: str | None,
    method: VerificationMethod = VerificationMethod.QUALIFIED_SIGNATURE,
    verified_email: str | None = None,
    channel: Channel = Channel.EMAIL,
) -> RightsRequest:
    request = RightsRequest.open(
        request_id="case-1", reference="DSR-2026-000001", rights=[Right.ACCESS], channel=channel,
        language=Language.LV, received_at=AT, claimed=ClaimedIdentity(email=sender, chat_id="7001"),
        required_tier=IdentityTier.STRONG, calendar=calendar,
    )  # fmt: skip
    request.verified = VerifiedIdentity(method, AT, "evidence", personal_code="150385-10001", email=verified_email)
    return request


def test_impostors_sender_address_holds_the_copy_with_the_address_on_file_offered(latvia: HolidayCalendar) -> None:
    request = _request(latvia, sender=ILZE)

    route = copy_route(request, on_file=(LIGA_ON_FILE,))

    assert route == CopyHeld(ILZE, (LIGA_ON_FILE,))
    assert reply_route(request, carries_personal_data=True) is None


def test_held_copy_reason_says_where_it_would_go_and_what_to_choose() -> None:
    reason = CopyHeld(ILZE, (LIGA_ON_FILE,)).reason
    assert reason == (
        f"the copy of the data would go to {ILZE}, which is not an address bound to the verified person:"
        f" confirm it or choose {LIGA_ON_FILE}"
    )
    assert "; " not in reason  # it must stay one reason among the request's attention reasons


def test_sender_address_on_file_is_bound_whatever_its_case(latvia: HolidayCalendar) -> None:
    request = _request(latvia, sender="Liga.Berzina@Example.LV")
    assert copy_route(request, on_file=(LIGA_ON_FILE,)) == (Channel.EMAIL, "Liga.Berzina@Example.LV")


def test_address_the_signed_text_names_is_bound(latvia: HolidayCalendar) -> None:
    request = _request(latvia, sender="liga.jauna@example.com", verified_email="liga.jauna@example.com")
    assert copy_route(request) == (Channel.EMAIL, "liga.jauna@example.com")


def test_an_address_only_channel_control_established_is_not_bound(latvia: HolidayCalendar) -> None:
    request = _request(latvia, sender=ILZE, method=VerificationMethod.CHANNEL_CONTROL, verified_email=ILZE)
    assert isinstance(copy_route(request), CopyHeld)


def test_staff_confirmed_address_is_where_the_copy_goes(latvia: HolidayCalendar) -> None:
    request = _request(latvia, sender=ILZE)
    request.details[COPY_DESTINATION_KEY] = {"address": LIGA_ON_FILE, "confirmed_by": "staff:agnese"}
    assert copy_route(request) == (Channel.EMAIL, LIGA_ON_FILE)


def test_staff_can_only_choose_an_offered_address(latvia: HolidayCalendar) -> None:
    request = _request(latvia, sender=ILZE)
    request.details[HELD_COPIES_KEY] = [{"sender": ILZE, "choices": [LIGA_ON_FILE], "kind": "access_reply"}]

    assert choose_destination(request, " LIGA.BERZINA@example.lv ") == LIGA_ON_FILE
    with pytest.raises(CopyDestinationError):
        choose_destination(request, "someone@example.com")


def test_confirming_without_a_held_copy_is_refused(latvia: HolidayCalendar) -> None:
    with pytest.raises(CopyDestinationError):
        choose_destination(_request(latvia, sender=ILZE), LIGA_ON_FILE)


def test_chat_copy_goes_only_to_the_code_proven_address_never_the_address_on_file(latvia: HolidayCalendar) -> None:
    by_code = _request(latvia, sender=None, method=VerificationMethod.ONE_TIME_CODE, verified_email=LIGA_ON_FILE,
                       channel=Channel.TELEGRAM)
    by_eid = _request(latvia, sender=None, method=VerificationMethod.QUALIFIED_EID, channel=Channel.TELEGRAM)

    assert copy_route(by_code, on_file=("other@example.lv",)) == (Channel.EMAIL, LIGA_ON_FILE)
    assert copy_route(by_eid, on_file=(LIGA_ON_FILE,)) is None


def test_access_reply_says_the_copy_is_attached_when_it_waits_for_staff(latvia: HolidayCalendar) -> None:
    # A held copy leaves later attached to the same e-mail: the wording stays true.
    assert copy_delivery(_request(latvia, sender=ILZE)) is DeliveryMethod.EMAIL_ATTACHMENT
    chat = _request(latvia, sender=None, method=VerificationMethod.QUALIFIED_EID, channel=Channel.TELEGRAM)
    assert copy_delivery(chat) is DeliveryMethod.IN_PERSON
