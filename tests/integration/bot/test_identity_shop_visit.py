"""Route (d): a shop visit with an ID document. Personas: a customer in the chat, an agent
at the counter who records the check in the console."""

from __future__ import annotations

from bot.identity import OutcomeStatus, ShopVisitRoute
from rightsdesk.bootstrap import App
from tests.support.oidc.cases import open_chat_request, request_row
from workflows.domain.identity import VerificationMethod, VerifiedIdentity
from workflows.domain.rights import Right
from workflows.service_layer.commands import RecordIdentityEvidence

CHAT = "9101"


def test_shop_visit_gives_the_reference_for_the_counter(app: App) -> None:
    reference = open_chat_request(app, CHAT, {Right.ACCESS})

    outcome = ShopVisitRoute(app.engine).start(reference, CHAT)

    assert (outcome.status, outcome.reference) == (OutcomeStatus.SHOP_VISIT, reference)


def test_id_check_recorded_by_the_agent_verifies_the_chat_request(app: App) -> None:
    reference = open_chat_request(app, CHAT, {Right.ACCESS})
    ShopVisitRoute(app.engine).start(reference, CHAT)
    now = app.engine.clock.now()

    app.engine.handle(RecordIdentityEvidence(
        reference,
        VerifiedIdentity(method=VerificationMethod.IN_PERSON_ID_CHECK, verified_at=now,
                         evidence_ref="in_person:agent", verified_by="agent", document="ID card"),
        actor="agent",
    ))

    assert ShopVisitRoute(app.engine).start(reference, CHAT).status is OutcomeStatus.NOT_NEEDED
    assert request_row(app, reference).state == "in_progress"
