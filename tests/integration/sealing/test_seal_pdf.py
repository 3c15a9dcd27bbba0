"""PAdES seals made on a real SoftHSM2 token: they verify, and a changed PDF does not."""

from __future__ import annotations

from pathlib import Path

from rightsdesk.demo_kit.seal import DemoToken, sample_pdf
from signature.sealing import Sealer
from signature.trust import TrustStore
from signature.validate import validate_file


def _demo_store(demo: DemoToken) -> TrustStore:
    store = TrustStore()
    store.add_anchor(Path(demo.ca_pem).read_bytes())
    return store


def test_sealed_pdf_verifies_as_a_seal_of_the_demo_chain(demo_sealer: Sealer, demo_token: DemoToken) -> None:
    sealed = demo_sealer.seal_pdf(sample_pdf("Atbilde uz pieprasijumu"))

    best = validate_file(sealed, filename="atbilde.pdf", store=_demo_store(demo_token)).best

    assert (best.indication.value, best.qualification.value) == ("TOTAL-PASSED", "AdESeal")
    assert best.signer.is_natural_person is False


def test_changed_sealed_pdf_fails(demo_sealer: Sealer, demo_token: DemoToken) -> None:
    sealed = demo_sealer.seal_pdf(sample_pdf("Atbilde uz pieprasijumu"))
    changed = sealed.replace(b"Atbilde uz", b"Atbilde UZ", 1)

    best = validate_file(changed, filename="atbilde.pdf", store=_demo_store(demo_token)).best

    assert best.indication.value == "TOTAL-FAILED"


def test_qualified_eseal_seals_a_pdf_with_time_stamp_and_embedded_ocsp(  # type: ignore[no-untyped-def]
    seal_config, qualified_eseal_label: str, tsa_url: str, ocsp_url: str, trust_store: TrustStore
) -> None:
    config = seal_config(key_label=qualified_eseal_label, tsa_url=tsa_url, ocsp_url=ocsp_url)
    with Sealer.open(config) as sealer:
        sealed = sealer.seal_pdf(sample_pdf())

    best = validate_file(sealed, filename="atbilde.pdf", store=trust_store).best

    assert (best.indication.value, best.qualification.value) == ("TOTAL-PASSED", "QESeal")
    assert b"/DSS" in sealed
