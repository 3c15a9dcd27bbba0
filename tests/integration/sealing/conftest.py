"""Real SoftHSM2 tokens (one per test, in tmp_path), a local RFC 3161 TSA and OCSP responder.

No mocks: the seal key lives on a SoftHSM2 token, signing goes through the
PKCS#11 module, time-stamps and OCSP answers travel over HTTP on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.support.pki.fixtures import pki, trust_dir, trust_store  # noqa: F401

if shutil.which("softhsm2-util") is None:
    pytest.skip("softhsm2-util is not installed (apt-get install softhsm2): no PKCS#11 token to seal with",
                allow_module_level=True)
pytest.importorskip("pkcs11", reason="python-pkcs11 is not installed (pip install 'python-pkcs11>=0.7')")

from rightsdesk.demo_kit.seal import DemoToken, find_softhsm_module, setup_demo
from signature.pkcs11_key import release_module
from signature.sealing import SealConfig, Sealer
from tests.support.pki.authority import TestPki
from tests.support.pki.certs import Issued

PIN_ENV = "RIGHTSDESK_TEST_SEAL_PIN"


@pytest.fixture
def demo_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoToken]:
    """A fresh demo token in this test's own directory; the module is unloaded afterwards."""
    module = find_softhsm_module()
    monkeypatch.setenv("SOFTHSM2_CONF", str(tmp_path / "unset.conf"))  # restored after the test
    demo = setup_demo(tmp_path / "hsm", module=module)
    monkeypatch.setenv(PIN_ENV, Path(demo.pin_file).read_text(encoding="utf-8").strip())
    yield demo
    release_module(module)


@pytest.fixture
def demo_pin(demo_token: DemoToken) -> str:
    return Path(demo_token.pin_file).read_text(encoding="utf-8").strip()


def demo_config(demo: DemoToken, **overrides: Any) -> SealConfig:
    values: dict[str, Any] = {"module": demo.module, "token_label": demo.token_label,
                              "key_label": demo.key_label, "pin_env": PIN_ENV}
    values.update(overrides)
    return SealConfig(**values)


@pytest.fixture
def seal_config(demo_token: DemoToken) -> Callable[..., SealConfig]:
    """``seal_config(**overrides)``: the demo token's configuration, PIN from an environment variable."""
    return lambda **overrides: demo_config(demo_token, **overrides)


@pytest.fixture
def demo_sealer(demo_token: DemoToken) -> Iterator[Sealer]:
    with Sealer.open(demo_config(demo_token)) as sealer:
        yield sealer


@pytest.fixture
def qualified_eseal_label(demo_token: DemoToken, demo_pin: str, pki: TestPki) -> str:
    """The test PKI's qualified e-seal key and chain imported onto the demo token; returns its label."""
    label = "qualified-seal"
    import_issued_key(demo_token, demo_pin, pki.eseal, pki.chain_of(pki.eseal), label)
    return label


def import_issued_key(demo: DemoToken, pin: str, issued: Issued, chain: list[Any], label: str) -> None:
    """Put a test-PKI key and its chain on the token (how an HSM receives an escrowed seal key)."""
    import pkcs11
    from cryptography.hazmat.primitives import serialization
    from pkcs11 import Attribute, CertificateType, ObjectClass
    from pkcs11.util.ec import decode_ec_private_key

    der = issued.key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
                                   serialization.NoEncryption())
    attrs = decode_ec_private_key(der)
    attrs.update({Attribute.TOKEN: True, Attribute.LABEL: label, Attribute.ID: b"\x42", Attribute.SIGN: True,
                  Attribute.SENSITIVE: True, Attribute.PRIVATE: True})
    with pkcs11.lib(demo.module).get_token(token_label=demo.token_label).open(rw=True, user_pin=pin) as session:
        session.create_object(attrs)
        for index, cert in enumerate(chain):
            session.create_object({
                Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                Attribute.TOKEN: True, Attribute.LABEL: label if index == 0 else f"{label}-ca{index}",
                Attribute.VALUE: cert.public_bytes(serialization.Encoding.DER),
                Attribute.SUBJECT: cert.subject.public_bytes(),
            })


# -- local services over HTTP -------------------------------------------------------
def _serve(answer: Callable[[bytes], tuple[bytes, str]]) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            payload, content_type = answer(body)
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:  # keep pytest output quiet
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def tsa_url(pki: TestPki) -> Iterator[str]:
    """An RFC 3161 TSA (the test PKI's qualified TSA) on an ephemeral loopback port."""
    from asn1crypto import tsp

    stamper = pki.timestamper()

    def answer(body: bytes) -> tuple[bytes, str]:
        response = asyncio.run(stamper.async_request_tsa_response(tsp.TimeStampReq.load(body)))  # type: ignore[attr-defined]
        return bytes(response.dump()), "application/timestamp-reply"

    yield from _serve(answer)


@pytest.fixture
def ocsp_url(pki: TestPki) -> Iterator[str]:
    """The test PKI's delegated OCSP responder for the e-seal, answering 'good' after the time-stamp."""

    def answer(_body: bytes) -> tuple[bytes, str]:
        # cryptography stamps producedAt with whole wall-clock seconds: move past the time-stamp's second.
        now = datetime.now(UTC)
        time.sleep(1.01 - now.microsecond / 1_000_000)
        return pki.ocsp_response(pki.eseal, at=datetime.now(UTC) + timedelta(seconds=1)), "application/ocsp-response"

    yield from _serve(answer)


@pytest.fixture
def rsa_seal(demo_token: DemoToken, demo_pin: str, tmp_path: Path) -> tuple[str, Path]:
    """An RSA-3072 key pair generated on the token, certified by its own demo CA: (key label, CA PEM)."""
    import pkcs11
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from pkcs11 import Attribute, CertificateType, KeyType, ObjectClass

    from rightsdesk.demo_kit.seal import issue_demo_chain

    label = "rsa-seal"
    with pkcs11.lib(demo_token.module).get_token(token_label=demo_token.token_label).open(
            rw=True, user_pin=demo_pin) as session:
        public, _ = session.generate_keypair(KeyType.RSA, 3072, store=True, label=label, id=b"\x07")
        numbers = rsa.RSAPublicNumbers(int.from_bytes(public[Attribute.PUBLIC_EXPONENT], "big"),
                                       int.from_bytes(public[Attribute.MODULUS], "big"))
        seal, ca = issue_demo_chain(numbers.public_key(), organisation="Test RSA Veikals SIA",
                                    registration="40003000002")
        session.create_object({
            Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
            Attribute.TOKEN: True, Attribute.LABEL: label,
            Attribute.VALUE: seal.public_bytes(serialization.Encoding.DER),
            Attribute.SUBJECT: seal.subject.public_bytes(),
        })
    ca_pem = tmp_path / "rsa-demo-ca.pem"
    ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    return label, ca_pem
