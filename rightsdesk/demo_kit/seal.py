"""A SoftHSM2 demo token with an e-seal key and a demo certificate chain, for trying sealing out.

``setup_demo(directory)`` creates, inside ``directory``:

* ``softhsm2.conf`` and ``tokens/``: a SoftHSM2 token labelled ``rightsdesk-demo``
  (use it with ``SOFTHSM2_CONF=<directory>/softhsm2.conf``);
* an ECDSA P-384 key pair generated *on the token* (label ``seal``), so the private key
  never exists outside it, as for a real seal key in a QSCD (eIDAS Annex II);
* ``demo-ca.pem``: a self-signed demo CA made in software (its private key is discarded
  once the seal certificate is issued); pass it to ``rightsdesk verify --anchor``;
* ``seal-cert.pem``: the demo e-seal certificate (legal person ``NTRLV-…``, QcType eseal,
  *no* QcCompliance: it is not qualified), also stored on the token next to the CA;
* ``pin`` (mode 600) with the random user PIN, and ``demo.json`` describing all of it.

Nothing here is trusted by anyone: a seal made with the demo key validates only
against the demo anchor, as an advanced electronic seal (AdESeal), never as a QESeal.
The certificates are built with the pieces of :mod:`rightsdesk.demo_kit.pki.certs`.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from rightsdesk.demo_kit.pki.certs import (
    QC_STATEMENTS_OID,
    PublicKey,
    certificate_builder,
    key_usage,
    legal_person_name,
    make_ca,
    qc_statements_der,
    sign_by,
)
from signature.pkcs11_key import ModuleNotFound, SealingError, release_module

DEMO_TOKEN_LABEL = "rightsdesk-demo"  # noqa: S105 - a token label, not a secret
DEMO_KEY_LABEL = "seal"
DEMO_CA_LABEL = "demo-ca"
MODULE_CANDIDATES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
    "/opt/homebrew/lib/softhsm/libsofthsm2.so",
)


class DemoSetupError(SealingError):
    """The demo token could not be created (softhsm2-util missing or failing)."""


@dataclass(frozen=True)
class DemoToken:
    """What :func:`setup_demo` made; stored as ``demo.json`` in the directory."""

    directory: str
    softhsm2_conf: str
    module: str
    token_label: str
    key_label: str
    pin_file: str
    ca_pem: str
    cert_pem: str
    organisation: str

    def save(self) -> None:
        Path(self.directory, "demo.json").write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> DemoToken:
        try:
            data = json.loads((directory / "demo.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise DemoSetupError(f"no demo token in {directory}",
                                 remedy=f"Run `rightsdesk seal setup-demo --dir {directory}` first") from None
        return cls(**data)


def find_softhsm_module() -> str:
    """The SoftHSM2 PKCS#11 library of this machine."""
    for candidate in MODULE_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    raise ModuleNotFound("the SoftHSM2 PKCS#11 module is not installed",
                         remedy="Install it: apt-get install softhsm2 (Debian/Ubuntu), brew install softhsm")


def issue_demo_chain(public_key: PublicKey, *, organisation: str, registration: str,
                     now: datetime | None = None) -> tuple[x509.Certificate, x509.Certificate]:
    """(seal certificate, demo CA) for ``public_key``; the CA key lives only inside this call.

    The seal certificate is a legal person's (``NTRLV-``, QcType eseal) but deliberately carries
    neither QcCompliance nor QcSSCD nor a qualified policy: a demo certificate must not claim to
    be qualified (EN 319 412-5 clause 4.2).
    """
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    ca = make_ca("rightsdesk Demo Seal CA", issuer=None, organisation="rightsdesk demo (not trusted)",
                 curve=ec.SECP384R1(), path_length=0, not_before=now - timedelta(days=1),
                 not_after=now + timedelta(days=5 * 365))
    # No AIA/CRL distribution point: there is no demo responder, and a declared but
    # unreachable one would make every offline validation INDETERMINATE/TRY_LATER.
    seal = sign_by(
        certificate_builder(legal_person_name(organisation, registration, f"{organisation} e-seal (DEMO)"),
                            issuer=ca, public_key=public_key, not_before=now - timedelta(minutes=5),
                            not_after=now + timedelta(days=2 * 365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(key_usage(digital_signature=True, non_repudiation=True), critical=True)
        .add_extension(x509.UnrecognizedExtension(
            QC_STATEMENTS_OID, qc_statements_der(qc_type="eseal", natural_person=False, qualified=False)),
            critical=False),
        ca)
    return seal, ca.cert


def _softhsm_util(conf: Path, *args: str) -> None:
    tool = shutil.which("softhsm2-util")
    if tool is None:
        raise DemoSetupError("softhsm2-util is not installed", remedy="Install it: apt-get install softhsm2")
    env = {**os.environ, "SOFTHSM2_CONF": str(conf)}
    done = subprocess.run([tool, *args], env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        # stderr of softhsm2-util never echoes the PIN; the command line (which has it) is not shown.
        raise DemoSetupError(f"softhsm2-util failed: {done.stderr.strip()[:300]}",
                             remedy="Check that the directory is writable and not already a token directory")


def init_token(directory: Path, *, token_label: str, pin: str, so_pin: str) -> Path:
    """A fresh SoftHSM2 token directory and config; returns the config path."""
    tokens = directory / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    conf = directory / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens.resolve()}\nobjectstore.backend = file\n"
                    "log.level = ERROR\nslots.removable = false\n", encoding="utf-8")
    _softhsm_util(conf, "--init-token", "--free", "--label", token_label, "--pin", pin, "--so-pin", so_pin)
    return conf


def generate_key_and_store_chain(*, module: str, token_label: str, key_label: str, pin: str,
                                 organisation: str, registration: str) -> tuple[x509.Certificate, x509.Certificate]:
    """Generate the P-384 key pair on the token, certify it, store both certificates on the token."""
    import pkcs11
    from pkcs11 import Attribute, CertificateType, KeyType, ObjectClass
    from pkcs11.util.ec import encode_named_curve_parameters

    lib = pkcs11.lib(module)
    with lib.get_token(token_label=token_label).open(rw=True, user_pin=pin) as session:
        params = session.create_domain_parameters(
            KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp384r1")}, local=True)
        key_id = b"\x01"
        public, _private = params.generate_keypair(
            store=True, label=key_label, id=key_id,
            private_template={Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False})
        from asn1crypto.core import OctetString

        point = OctetString.load(bytes(public[Attribute.EC_POINT])).native
        seal, ca = issue_demo_chain(ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP384R1(), point),
                                    organisation=organisation, registration=registration)
        for cert, label, cid in ((seal, key_label, key_id), (ca, DEMO_CA_LABEL, b"\xca")):
            session.create_object({
                Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                Attribute.TOKEN: True, Attribute.LABEL: label, Attribute.ID: cid,
                Attribute.SUBJECT: cert.subject.public_bytes(), Attribute.ISSUER: cert.issuer.public_bytes(),
                Attribute.SERIAL_NUMBER: _der_integer(cert.serial_number),
                Attribute.VALUE: cert.public_bytes(serialization.Encoding.DER),
            })
    return seal, ca


def _der_integer(value: int) -> bytes:
    from asn1crypto.core import Integer

    return bytes(Integer(value).dump())


def setup_demo(directory: Path, *, organisation: str = "Demo Veikals SIA",
               registration: str = "40000000000", module: str | None = None) -> DemoToken:
    """Create the demo token in ``directory`` (see the module docstring); refuses to overwrite one.

    The process keeps ``SOFTHSM2_CONF`` pointing at the new token afterwards.
    """
    directory = directory.resolve()
    if (directory / "demo.json").exists() or (directory / "tokens").exists():
        raise DemoSetupError(f"{directory} already holds a demo token",
                             remedy="Choose another --dir or delete that directory")
    module = module or find_softhsm_module()
    directory.mkdir(parents=True, exist_ok=True)
    pin, so_pin = secrets.token_hex(6), secrets.token_hex(8)
    conf = init_token(directory, token_label=DEMO_TOKEN_LABEL, pin=pin, so_pin=so_pin)
    pin_file = directory / "pin"
    pin_file.touch(mode=0o600)
    pin_file.write_text(pin + "\n", encoding="utf-8")
    # SoftHSM2 reads SOFTHSM2_CONF at C_Initialize only: unload any earlier instance first.
    release_module(module)
    os.environ["SOFTHSM2_CONF"] = str(conf)
    seal, ca = generate_key_and_store_chain(module=module, token_label=DEMO_TOKEN_LABEL,
                                            key_label=DEMO_KEY_LABEL, pin=pin, organisation=organisation,
                                            registration=registration)
    (directory / "demo-ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (directory / "seal-cert.pem").write_bytes(seal.public_bytes(serialization.Encoding.PEM))
    demo = DemoToken(directory=str(directory), softhsm2_conf=str(conf), module=module,
                     token_label=DEMO_TOKEN_LABEL, key_label=DEMO_KEY_LABEL, pin_file=str(pin_file),
                     ca_pem=str(directory / "demo-ca.pem"), cert_pem=str(directory / "seal-cert.pem"),
                     organisation=organisation)
    demo.save()
    return demo


def activate(demo: DemoToken) -> None:
    """Point this process's SoftHSM2 at the demo token (before the module is first used)."""
    if os.environ.get("SOFTHSM2_CONF") != demo.softhsm2_conf:
        release_module(demo.module)
        os.environ["SOFTHSM2_CONF"] = demo.softhsm2_conf


def sample_pdf(text: str = "rightsdesk demo: a sealed reply", *, extra_objects: int = 0) -> bytes:
    """A one-page PDF with one line of text, xref computed (no PDF library needed);
    ``extra_objects`` empty streams make it larger (tests, benchmarks)."""
    safe = text.replace("(", "[").replace(")", "]")
    stream = f"BT /F1 12 Tf 72 720 Td ({safe}) Tj ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    objects += [b"<< /Length 0 >>\nstream\n\nendstream"] * extra_objects
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref_at)
    return bytes(out)
