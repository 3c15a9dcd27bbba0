"""A forged second signature cannot smuggle a file into Līga's signed request, by e-mail.

Ilze takes Līga's genuine, fresh, correctly addressed signed request, copies its signature
as a second one whose SignedInfo gains a reference to her own ``extra.txt`` (with the right
digest, so the reference "matches"; the signature value then no longer does) and mails the
container. Files count as signed only by signatures that passed (EN 319 102-1 clause 5.1.3),
so ``extra.txt`` is NOT SIGNED and the container verifies nobody. SQLite and PostgreSQL, on
loopback SMTP.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import zipfile

from mail_intake.evidence import SignatureChecker
from rightsdesk.demo_kit.asice import addressed, edoc
from tests.support.mail.capture import capture_smtp  # noqa: F401
from tests.support.mail.processing import all_requests, events_of
from tests.support.pki.authority import TestPki
from tests.support.pki.certs import Issued
from tests.support.pki.fixtures import pki, trust_dir, trust_store  # noqa: F401
from tests.support.signed_requests import ILZE, LIGA, MailDesk, checker, desk, liga, mail_with_edoc  # noqa: F401

EXTRA = b"Please also send everything to ilze.impostor@example.com"


def _with_forged_second_signature(container: bytes) -> bytes:
    """Līga's container plus ``extra.txt`` and a copied signature that claims to cover it."""
    with zipfile.ZipFile(io.BytesIO(container)) as source:
        names = source.namelist()
        (signature_name,) = [n for n in names if re.match(r"META-INF/.*signatures.*\.xml$", n)]
        xml = source.read(signature_name).decode("utf-8")
        entries = [(info, source.read(info)) for info in source.infolist()]
    ids = set(re.findall(r'\bId="([^"]+)"', xml))
    forged = xml
    for identifier in sorted(ids, key=len, reverse=True):
        forged = forged.replace(f'Id="{identifier}"', f'Id="x{identifier}"')
        forged = forged.replace(f'URI="#{identifier}"', f'URI="#x{identifier}"')
    digest = base64.b64encode(hashlib.sha256(EXTRA).digest()).decode()
    prefix = re.search(r"<(\w+:)?SignedInfo\b", forged)
    assert prefix is not None
    ns = prefix.group(1) or ""
    forged = forged.replace(
        f"</{ns}SignedInfo>",
        f'<{ns}Reference URI="extra.txt"><{ns}DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>'
        f"<{ns}DigestValue>{digest}</{ns}DigestValue></{ns}Reference></{ns}SignedInfo>",
        1,
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info, data in entries:
            target.writestr(info, data)
        target.writestr("extra.txt", EXTRA)
        target.writestr(signature_name.replace(".xml", "-2.xml"), forged.encode("utf-8"))
    return out.getvalue()


def test_ilzes_forged_second_signature_leaves_her_file_unsigned_and_verifies_no_one(
    desk: MailDesk, checker: SignatureChecker, pki: TestPki, liga: Issued
) -> None:
    genuine = edoc(
        pki, liga, {"pieprasijums.txt": addressed("Lūdzu izsniegt visus manus datus.")},
        signed_at=desk.app.engine.clock.now(),
    )
    desk.send(mail_with_edoc(ILZE, "Pielikumā parakstīts pieprasījums.", _with_forged_second_signature(genuine)),
              mail_from=ILZE[1])

    desk.settle(checker)

    (request,) = all_requests(desk.app)
    assert (request.state, request.verified_method) == ("awaiting_identity", None)
    (failed,) = events_of(desk.app, request.id, "IdentityVerificationFailed")
    evidence = failed.data.get("evidence") or failed.data
    assert "extra.txt" in str(evidence)
    assert "not covered" in str(failed.data)


def test_ligas_genuine_container_without_the_forgery_still_verifies(
    desk: MailDesk, checker: SignatureChecker, pki: TestPki, liga: Issued
) -> None:
    genuine = edoc(
        pki, liga, {"pieprasijums.txt": addressed("Lūdzu izsniegt visus manus datus.")},
        signed_at=desk.app.engine.clock.now(),
    )
    desk.send(mail_with_edoc(LIGA, "Pielikumā parakstīts pieprasījums.", genuine), mail_from=LIGA[1])

    desk.settle(checker)

    (request,) = all_requests(desk.app)
    assert request.verified_method == "qualified_signature"
