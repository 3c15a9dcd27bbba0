"""Is the verified person the person the request is about?

docs/law.md §Identity: the person verified must be the person whose data is asked for. The
comparison is on the personal code (an identifier, never a secret): the verified code from
the certificate or eID token against the code the request claims or, failing that, the code
on file for the customer the claimed identifiers point at. Names are never compared: they
change and repeat.
"""

from __future__ import annotations

import hmac
from enum import StrEnum

from bot.identity.cases import CaseView, personal_code_of
from bot.identity.customers import CustomerDirectory, claimed_identifiers


class SubjectMatch(StrEnum):
    SAME = "same"
    DIFFERENT = "different"
    UNKNOWN = "unknown"
    """Valid proof, but nothing on file to compare it with: staff decide."""


def match_subject(case: CaseView, customers: CustomerDirectory, verified_code: str | None) -> SubjectMatch:
    given = personal_code_of(verified_code)
    if given is None:
        return SubjectMatch.UNKNOWN
    expected = personal_code_of(case.claimed.personal_code)
    if expected is None:
        if not claimed_identifiers(case.claimed):
            # The request names nobody but the chat: it is about whoever proves who they are,
            # and the verified code is what identifies their records.
            return SubjectMatch.SAME
        customer = customers.find(case.claimed)
        expected = personal_code_of(customer.personal_code) if customer else None
        if expected is None:
            return SubjectMatch.UNKNOWN
    same = hmac.compare_digest(expected.encode(), given.encode())
    return SubjectMatch.SAME if same else SubjectMatch.DIFFERENT
