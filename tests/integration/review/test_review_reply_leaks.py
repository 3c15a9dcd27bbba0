"""Outcome replies that quote the verified person's data (here the rectification reply with the
old and new values) follow the copy's rule by e-mail: an unbound sender address gets nothing.

Same personas as tests/integration/delivery: Ilze e-mails from her own address and somehow
gets the request verified as Līga Bērziņa (a stubbed qualified signature).
"""

from __future__ import annotations

from rightsdesk.demo_kit.sample_shop import LIGA
from tests.integration.delivery.conftest import Desk, desk  # noqa: F401
from workflows.domain.identity import ClaimedIdentity
from workflows.domain.rights import Channel, Language, Right
from workflows.service_layer import commands as c

ILZE = ("Ilze Liepa", "ilze.liepa@example.lv")


def test_rectification_reply_with_the_old_values_is_not_mailed_to_an_unbound_sender(desk: Desk) -> None:
    reference: str = desk.app.engine.handle(
        c.OpenRequest(
            channel=Channel.EMAIL,
            rights=frozenset({Right.RECTIFICATION}),
            language=Language.EN,
            claimed=ClaimedIdentity(name=ILZE[0], email=ILZE[1]),
            received_at=desk.app.engine.clock.now(),
            details={"corrections": {"last_name": "Kalniņa"}},
        )
    )
    desk.verify_as(reference, LIGA)
    desk.settle()
    desk.approve_all(reference)
    desk.settle()

    assert desk.outbox("rectification_done") == []  # held: no message left for Ilze's address
    case = desk.request(reference)
    assert f"would go to {ILZE[1]}, which is not an address bound to the verified person" in case.attention
    assert f"choose {LIGA.email}" in case.attention
    leaked = [m for m in desk.mail_to(ILZE[1]) if LIGA.last_name in m.message.get_body(("plain",)).get_content()]
    assert leaked == [], "Līga's old surname went to Ilze's address"
