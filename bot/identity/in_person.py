"""Route (d): a visit to a shop with an identity document (tier 3).

The bot gives the person their reference and where to go; a member of staff checks the ID
document at the counter and records the check in the console. Only the fact of the check is
kept (which kind of document, who checked, when), never an image or number of the document
(EDPB 01/2022 ¶¶73-78; docs/law.md §Identity).

Use (blocking, cheap)::

    outcome = ShopVisitRoute(engine).start(reference, chat_id)
    # SHOP_VISIT(reference, places=("any MonaOK shop",)) | NOT_FOUND | CLOSED | NOT_NEEDED

What staff record (the console issues it; ``staff/`` never imports ``bot/``)::

    RecordIdentityEvidence(
        reference,
        VerifiedIdentity(method=VerificationMethod.IN_PERSON_ID_CHECK, verified_at=now,
                         evidence_ref=f"in_person:{staff_username}:{now:%Y%m%dT%H%M}",
                         verified_by=staff_username, name=name_on_document,
                         personal_code=code_on_document, document="ID card"),
        actor=staff_username,
    )

The staff member must compare the personal code on the document with the request's
(claimed or on-file) code, as the signed-document and eID routes do automatically.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.identity.cases import gate, load_case
from bot.identity.outcome import Outcome, OutcomeStatus
from workflows.domain.identity import IdentityTier

if TYPE_CHECKING:
    from workflows.service_layer.bus import Engine


class ShopVisitRoute:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def start(self, reference: str, chat_id: str | int) -> Outcome:
        case = load_case(self._engine, reference, chat_id)
        stop = gate(case, reference, route_tier=IdentityTier.STRONG)
        if stop is not None or case is None:
            return stop or Outcome(OutcomeStatus.NOT_FOUND, reference)
        locations = self._engine.profile.channels.in_person_locations
        places: tuple[str, ...] = ()
        if locations:
            text = locations.get(str(case.language)) or locations.get("lv") or next(iter(locations.values()), "")
            places = (text,) if text else ()
        return Outcome(OutcomeStatus.SHOP_VISIT, case.reference, places=places)
