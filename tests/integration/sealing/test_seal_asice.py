"""ASiC-E seals made on a real SoftHSM2 token verify, and break when anything is changed.

Expected verdict for the demo chain, checked below: TOTAL-PASSED / AdESeal. The
demo e-seal certificate declares no OCSP responder or CRL distribution point, so
offline path validation needs no revocation data (pyhanko-certvalidator's
"check if declared"); the anchor is passed with ``--anchor``, which is never on a
trusted list, so the seal is advanced (AdESeal), not qualified; the signer is a
legal person, so ``rightsdesk verify`` exits 1 (it proves no natural person).
"""

from __future__ import annotations

import io
import json
import socket
import threading
import zipfile
from pathlib import Path

import pytest

from rightsdesk.demo_kit.seal import DemoToken
from signature import cli
from signature.sealing import Sealer
from signature.trust import TrustStore
from signature.validate import validate_file

REPLY = {
    "atbilde.txt": "Jūsu pieprasījums par piekļuvi datiem ir izpildīts.".encode(),
    "dati/eksports.json": b'{"orders": 3}',
}


def _demo_store(demo: DemoToken) -> TrustStore:
    store = TrustStore()
    store.add_anchor(Path(demo.ca_pem).read_bytes())
    return store


def _replace_entry(container: bytes, name: str, data: bytes) -> bytes:
    """The same container with one entry's bytes replaced (order, compression and the rest kept)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(container)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, data if info.filename == name else src.read(info.filename),
                         compress_type=info.compress_type)
    return out.getvalue()


def test_sealed_container_verifies_as_a_seal_of_the_demo_chain(
    demo_sealer: Sealer, demo_token: DemoToken, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "atbilde.edoc"
    path.write_bytes(demo_sealer.seal_files(REPLY))

    status = cli.main([str(path), "--anchor", demo_token.ca_pem, "--json"])

    report = json.loads(capsys.readouterr().out)
    assert status == 1  # a seal never verifies a natural person
    assert (report["indication"], report["qualification"]) == ("TOTAL-PASSED", "AdESeal")
    assert report["signer"]["is_natural_person"] is False
    assert report["signer"]["semantics_identifier"].startswith("NTRLV-")
    assert sorted(f["name"] for f in report["signed_files"]) == sorted(REPLY)
    assert report["unsigned_files"] == []


def test_changing_any_byte_of_any_sealed_file_breaks_the_seal(demo_sealer: Sealer, demo_token: DemoToken) -> None:
    container = demo_sealer.seal_files(REPLY)
    store = _demo_store(demo_token)
    outcomes = set()
    for name, original in REPLY.items():
        for position in range(len(original)):
            changed = bytearray(original)
            changed[position] ^= 0x01
            report = validate_file(_replace_entry(container, name, bytes(changed)), filename="x.edoc", store=store)
            best = report.best
            outcomes.add((best.indication.value, best.subindication.value if best.subindication else None))
    assert outcomes == {("TOTAL-FAILED", "HASH_FAILURE")}


def test_changed_signature_value_breaks_the_seal(demo_sealer: Sealer, demo_token: DemoToken) -> None:
    container = demo_sealer.seal_files(REPLY)
    with zipfile.ZipFile(io.BytesIO(container)) as zf:
        xml = zf.read("META-INF/edoc-signatures-S1.xml")
    start = xml.index(b"<ds:SignatureValue")
    value_at = xml.index(b">", start) + 5
    flipped = xml[:value_at] + (b"A" if xml[value_at:value_at + 1] != b"A" else b"B") + xml[value_at + 1:]

    report = validate_file(_replace_entry(container, "META-INF/edoc-signatures-S1.xml", flipped),
                           filename="x.edoc", store=_demo_store(demo_token))

    assert report.best.indication.value == "TOTAL-FAILED"
    assert report.best.subindication.value == "SIG_CRYPTO_FAILURE"


def test_one_session_seals_from_many_threads(demo_sealer: Sealer, demo_token: DemoToken) -> None:
    results: list[bytes] = []
    lock = threading.Lock()

    def seal(index: int) -> None:
        sealed = demo_sealer.seal_files({f"reply-{index}.txt": f"reply {index}".encode()})
        with lock:
            results.append(sealed)

    threads = [threading.Thread(target=seal, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    store = _demo_store(demo_token)
    verdicts = {validate_file(c, filename="x.edoc", store=store).best.indication.value for c in results}
    assert len(results) == 6 and verdicts == {"TOTAL-PASSED"}


def test_chain_from_pem_files_gives_the_same_verdict(seal_config, demo_token: DemoToken) -> None:  # type: ignore[no-untyped-def]
    config = seal_config(cert_pem=(Path(demo_token.cert_pem), Path(demo_token.ca_pem)))
    with Sealer.open(config) as sealer:
        container = sealer.seal_files(REPLY)

    report = validate_file(container, filename="x.edoc", store=_demo_store(demo_token))

    assert report.best.indication.value == "TOTAL-PASSED"


def test_qualified_eseal_on_the_token_seals_at_level_lt_with_tsa_and_ocsp(  # type: ignore[no-untyped-def]
    seal_config, qualified_eseal_label: str, tsa_url: str, ocsp_url: str, trust_store: TrustStore
) -> None:
    config = seal_config(key_label=qualified_eseal_label, tsa_url=tsa_url, ocsp_url=ocsp_url)
    with Sealer.open(config) as sealer:
        container = sealer.seal_files(REPLY)

    best = validate_file(container, filename="x.edoc", store=trust_store).best
    with zipfile.ZipFile(io.BytesIO(container)) as zf:
        xml = zf.read("META-INF/edoc-signatures-S1.xml")
    assert (best.indication.value, best.qualification.value) == ("TOTAL-PASSED", "QESeal")
    assert best.signing_time_source.startswith("signature time-stamp")
    assert b"EncapsulatedOCSPValue" in xml and b"EncapsulatedTimeStamp" in xml


def test_unreachable_ocsp_responder_leaves_the_seal_at_level_t(  # type: ignore[no-untyped-def]
    seal_config, qualified_eseal_label: str, tsa_url: str
) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on (no fixed port)
        probe.bind(("127.0.0.1", 0))
        dead_url = f"http://127.0.0.1:{probe.getsockname()[1]}/"
    config = seal_config(key_label=qualified_eseal_label, tsa_url=tsa_url, ocsp_url=dead_url, timeout_seconds=2.0)
    with Sealer.open(config) as sealer:
        container = sealer.seal_files(REPLY)

    with zipfile.ZipFile(io.BytesIO(container)) as zf:
        xml = zf.read("META-INF/edoc-signatures-S1.xml")
    assert b"EncapsulatedTimeStamp" in xml and b"RevocationValues" not in xml
