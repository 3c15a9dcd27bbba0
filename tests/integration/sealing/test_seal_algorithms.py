"""RSA seal keys on the token: PKCS#1 v1.5 and PSS, in XAdES and PAdES; a mismatched certificate is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from rightsdesk.demo_kit.seal import DemoToken, sample_pdf
from signature.pkcs11_key import SealCertificateError
from signature.sealing import Sealer
from signature.trust import TrustStore
from signature.validate import validate_file


def _store(ca_pem: Path) -> TrustStore:
    store = TrustStore()
    store.add_anchor(ca_pem.read_bytes())
    return store


@pytest.mark.parametrize("pss", [False, True], ids=["pkcs1v15", "pss"])
def test_rsa_key_on_the_token_seals_a_container_that_verifies(seal_config, rsa_seal, pss: bool) -> None:  # type: ignore[no-untyped-def]
    label, ca_pem = rsa_seal
    with Sealer.open(seal_config(key_label=label, rsa_pss=pss)) as sealer:
        container = sealer.seal_files({"atbilde.txt": b"ok"})

    assert validate_file(container, filename="x.asice", store=_store(ca_pem)).best.indication.value == "TOTAL-PASSED"


@pytest.mark.parametrize("pss", [False, True], ids=["pkcs1v15", "pss"])
def test_rsa_key_on_the_token_seals_a_pdf_that_verifies(seal_config, rsa_seal, pss: bool) -> None:  # type: ignore[no-untyped-def]
    label, ca_pem = rsa_seal
    with Sealer.open(seal_config(key_label=label, rsa_pss=pss)) as sealer:
        sealed = sealer.seal_pdf(sample_pdf())

    assert validate_file(sealed, filename="x.pdf", store=_store(ca_pem)).best.indication.value == "TOTAL-PASSED"


def test_certificate_of_another_key_is_refused(seal_config, demo_token: DemoToken) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SealCertificateError):
        Sealer.open(seal_config(cert_pem=(Path(demo_token.ca_pem),)))
