"""Sealing replies and export packages with the controller's electronic seal (eIDAS Art. 35-40).

Usage::

    config = SealConfig(module="/usr/lib/softhsm/libsofthsm2.so", token_label="rightsdesk-demo",
                        key_label="seal", pin_env="RIGHTSDESK_SEAL_PIN", tsa_url="http://tsa.example/")
    with Sealer.open(config) as sealer:
        edoc = sealer.seal_files({"atbilde.pdf": reply_pdf, "dati.json": export})   # ASiC-E
        sealed_pdf = sealer.seal_pdf(reply_pdf)                                      # PAdES

Levels (EN 319 132-1 / EN 319 142-1 baseline profiles):

* B-B always: XAdES over every data file (EN 319 162-1 clause 4.4.3), SigningCertificateV2;
* B-T when ``tsa_url`` is set: an RFC 3161 signature time-stamp over the canonicalised
  SignatureValue (EN 319 132-1 clause 5.3), or a PAdES signature time-stamp;
* B-LT when, in addition, ``ocsp`` is allowed and the responder (the certificate's AIA or
  ``ocsp_url``) answers *good*: the OCSP response and the CA certificates are embedded
  (XAdES CertificateValues/RevocationValues, clause 5.5; PAdES DSS, EN 319 142-1 clause 5.4).
  The OCSP request is sent only after the time-stamp, so the response is fresh (EN 319 102-1
  clause 5.2.5). An unreachable responder leaves the seal at B-T (logged); a *revoked* seal
  certificate stops sealing.

The seal proves the controller (a legal person) issued the content and that it is unaltered
(eIDAS Art. 35(2)); it never identifies a natural person.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID

from .pkcs11_key import (
    ModuleNotFound,
    PinSource,
    PinUnavailable,
    Pkcs11Key,
    SealCertificateError,
    SealingError,
    SealKeyNotFound,
    TokenFailure,
    TokenLocked,
    TokenNotFound,
    WrongPin,
    order_chain,
)
from .xades_sign import build_asice

logger = logging.getLogger(__name__)

__all__ = [
    "ModuleNotFound", "PinUnavailable", "SealCertificateError", "SealConfig", "SealKeyNotFound", "Sealer",
    "SealingError", "ServiceUnavailable", "TokenFailure", "TokenLocked", "TokenNotFound", "WrongPin",
    "load_pem_chain",
]


class ServiceUnavailable(SealingError):
    """The configured time-stamp authority did not answer with a usable token (retry later)."""

    permanent = False


@dataclass(frozen=True)
class SealConfig:
    """Where the seal key is and which services complete the seal. Plain data, no I/O.

    ``cert_pem``: PEM files holding the seal certificate and its issuers (any order);
    empty means "read them from the token" (the certificate labelled like the key).
    """

    module: str
    token_label: str
    key_label: str
    pin_env: str | None = "RIGHTSDESK_SEAL_PIN"
    pin_file: Path | None = None
    cert_pem: tuple[Path, ...] = ()
    tsa_url: str | None = None
    ocsp: bool = True
    ocsp_url: str | None = None
    """Overrides the responder named in the certificate (a proxy, or a local responder in tests)."""
    rsa_pss: bool = False
    flavour: str = "edoc"
    timeout_seconds: float = 10.0
    pdf_field_name: str = "ControllerSeal"


def load_pem_chain(paths: Sequence[Path]) -> tuple[x509.Certificate, ...]:
    """Read PEM files; the leaf is the certificate that issued nothing else in the set."""
    certs: list[x509.Certificate] = []
    for path in paths:
        try:
            certs.extend(x509.load_pem_x509_certificates(path.read_bytes()))
        except (OSError, ValueError) as exc:
            raise SealCertificateError(f"seal certificate file {path} is unreadable ({type(exc).__name__})",
                                       remedy="Point cert_pem at PEM certificate files") from None
    if not certs:
        raise SealCertificateError("no certificate in cert_pem", remedy="Point cert_pem at PEM certificate files")
    issuers = {c.issuer for c in certs if c.issuer != c.subject}
    leaves = [c for c in certs if c.subject not in issuers]
    return order_chain(leaves[0] if leaves else certs[0], certs)


# -- RFC 3161 over HTTP ----------------------------------------------------------
def _post(url: str, body: bytes, content_type: str, timeout: float) -> bytes:
    if not url.lower().startswith(("http://", "https://")):
        # urllib would also open file: and ftp: URLs; a seal service is HTTP(S) only.
        raise urllib.error.URLError(f"not an HTTP(S) URL: {url}")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, data=body, method="POST", headers={"Content-Type": content_type})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked above
        return bytes(response.read())


def _http_timestamper(url: str, timeout: float) -> Any:
    """A pyHanko ``TimeStamper`` posting RFC 3161 requests (``application/timestamp-query``)."""
    from asn1crypto import tsp
    from pyhanko.sign.timestamps.api import TimeStamper

    class _UrllibTimeStamper(TimeStamper):
        async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
            raw = await asyncio.to_thread(_post, url, req.dump(), "application/timestamp-query", timeout)
            return tsp.TimeStampResp.load(raw)

    return _UrllibTimeStamper()  # type: ignore[no-untyped-call]


def _run(coro: Any) -> Any:
    from .ltv import run_sync

    return run_sync(coro)


# -- the sealer ------------------------------------------------------------------
class Sealer:
    """Seals ASiC-E containers (XAdES) and PDFs (PAdES) with one key; safe to share between threads."""

    def __init__(self, config: SealConfig, key: Pkcs11Key) -> None:
        self.config = config
        self.key = key
        self._stamper = _http_timestamper(config.tsa_url, config.timeout_seconds) if config.tsa_url else None

    @classmethod
    def open(cls, config: SealConfig) -> Sealer:
        """Log in to the token once; the session is reused by every seal until :meth:`close`."""
        chain = load_pem_chain(config.cert_pem) if config.cert_pem else None
        key = Pkcs11Key.open(module=config.module, token_label=config.token_label, key_label=config.key_label,
                             pin=PinSource(env=config.pin_env, file=config.pin_file), chain=chain,
                             rsa_pss=config.rsa_pss)
        return cls(config, key)

    def close(self) -> None:
        self.key.close()

    def __enter__(self) -> Sealer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def chain(self) -> Sequence[x509.Certificate]:
        return self.key.certificate_chain

    # -- services --------------------------------------------------------------
    def _timestamp(self, data: bytes) -> bytes:
        """RFC 3161 token (ContentInfo DER) over SHA-256(``data``); pyHanko checks nonce and imprint."""
        if self._stamper is None:
            raise ServiceUnavailable("no time-stamp authority configured", remedy="Set tsa_url")
        try:
            token = _run(self._stamper.async_timestamp(hashlib.sha256(data).digest(), "sha256"))
        except (OSError, urllib.error.URLError) as exc:
            raise ServiceUnavailable(f"time-stamp authority {self.config.tsa_url} unreachable "
                                     f"({type(exc).__name__})", remedy="Check tsa_url and the network; retry later"
                                     ) from None
        except Exception as exc:  # pyHanko's TimestampRequestError and asn1 errors on junk answers
            raise ServiceUnavailable(f"time-stamp authority {self.config.tsa_url} gave no valid token "
                                     f"({type(exc).__name__})", remedy="Check tsa_url; retry later") from None
        return bytes(token.dump())

    def _ocsp_url(self) -> str | None:
        if self.config.ocsp_url:
            return self.config.ocsp_url
        try:
            aia = self.chain[0].extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
        except x509.ExtensionNotFound:
            return None
        return next((str(d.access_location.value) for d in aia
                     if d.access_method == AuthorityInformationAccessOID.OCSP), None)

    def fetch_ocsp(self) -> list[bytes]:
        """A *good* OCSP response for the seal certificate, or ``[]`` when no responder answers.

        :raises SealCertificateError: the responder says the seal certificate is revoked.
        """
        url = self._ocsp_url()
        if not self.config.ocsp or url is None or len(self.chain) < 2:
            return []
        leaf, issuer = self.chain[0], self.chain[1]
        # CertID with SHA-1 is what every responder answers (RFC 5019 clause 2.1.1); it is not a signature.
        request = ocsp.OCSPRequestBuilder().add_certificate(leaf, issuer, hashes.SHA1()).build()  # noqa: S303
        try:
            der = _post(url, request.public_bytes(serialization.Encoding.DER), "application/ocsp-request",
                        self.config.timeout_seconds)
            response = ocsp.load_der_ocsp_response(der)
        except (OSError, ValueError) as exc:
            logger.info("OCSP responder %s unusable (%s): sealing without revocation data", url,
                        type(exc).__name__)
            return []
        if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
            logger.info("OCSP responder %s answered %s: sealing without revocation data", url,
                        response.response_status.name)
            return []
        if response.serial_number != leaf.serial_number:
            logger.info("OCSP responder %s answered for another certificate: not embedded", url)
            return []
        if response.certificate_status == ocsp.OCSPCertStatus.REVOKED:
            raise SealCertificateError("the seal certificate is revoked (OCSP)",
                                       remedy="Stop sealing and obtain a new seal certificate")
        if response.certificate_status != ocsp.OCSPCertStatus.GOOD:
            logger.info("OCSP status %s: sealing without revocation data", response.certificate_status.name)
            return []
        return [der]

    # -- ASiC-E ----------------------------------------------------------------
    def seal_files(self, files: Mapping[str, bytes]) -> bytes:
        """An ASiC-E container (EN 319 162-1) with one XAdES seal over every file in ``files``."""
        if not files:
            raise SealingError("nothing to seal", remedy="Pass at least one file")
        timestamp = self._timestamp if self._stamper is not None else None
        container = build_asice(files, self.key, flavour=self.config.flavour, timestamp=timestamp,
                                ocsp_der=self.fetch_ocsp if timestamp is not None else ())
        logger.debug("sealed %d file(s) into an ASiC-E container", len(files))
        return container

    # -- PAdES -----------------------------------------------------------------
    def seal_pdf(self, pdf: bytes) -> bytes:
        """A PAdES seal (EN 319 142-1, ETSI.CAdES.detached) as an incremental update of ``pdf``."""
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import fields
        from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata, PdfSigner

        try:
            writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
        except Exception as exc:  # pyHanko raises several types on junk input
            raise SealingError(f"the PDF cannot be opened for sealing ({type(exc).__name__})",
                               remedy="Seal a well-formed, unencrypted PDF") from None
        meta = PdfSignatureMetadata(
            field_name=self.config.pdf_field_name, subfilter=fields.SigSeedSubFilter.PADES,
            md_algorithm="sha384" if self.key.algorithm.endswith("sha384") else "sha256",
        )
        signer = _cms_signer(self.key)
        pdf_signer = PdfSigner(meta, signer, timestamper=self._stamper)
        try:
            out: BytesIO = _run(pdf_signer.async_sign_pdf(writer))
        except SealingError:
            raise
        except (OSError, urllib.error.URLError) as exc:
            raise ServiceUnavailable(f"time-stamp authority unreachable while sealing a PDF ({type(exc).__name__})",
                                     remedy="Check tsa_url and the network; retry later") from None
        if self._stamper is not None:
            ocsps = self.fetch_ocsp()
            if ocsps:
                out = self._add_dss(out, ocsps)
        return out.getvalue()

    def _add_dss(self, out: BytesIO, ocsps: list[bytes]) -> BytesIO:
        """PAdES B-LT: the OCSP response and the CA certificates in the DSS (EN 319 142-1 clause 5.4.2)."""
        from asn1crypto import ocsp as asn1_ocsp
        from asn1crypto import x509 as asn1_x509
        from pyhanko.sign.validation.dss import DocumentSecurityStore

        certs = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in self.chain]
        DocumentSecurityStore.add_dss(out, sig_contents=None, certs=certs,
                                      ocsps=[asn1_ocsp.OCSPResponse.load(d) for d in ocsps], strict=False)
        out.seek(0)
        return out


def _cms_signer(key: Pkcs11Key) -> Any:
    """A pyHanko ``Signer`` over a :class:`Pkcs11Key` (defined lazily: pyHanko is heavy to import)."""
    from asn1crypto import x509 as asn1_x509
    from pyhanko.sign.signers.pdf_cms import Signer
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    chain = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
             for c in key.certificate_chain]

    class Pkcs11CmsSigner(Signer):
        async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
            scheme = mechanism.signature_algo
            if dry_run:
                size = (key.certificate_chain[0].public_key().key_size + 7) // 8  # type: ignore[union-attr]
                return b"\x00" * (2 * size + 16 if scheme == "ecdsa" else size)
            salt = mechanism["parameters"]["salt_length"].native if scheme == "rsassa_pss" else None
            return await asyncio.to_thread(key.sign_cms, data, digest_algorithm, scheme, pss_salt_length=salt)

    return Pkcs11CmsSigner(signing_cert=chain[0], cert_registry=SimpleCertificateStore.from_certs(chain),  # type: ignore[no-untyped-call]
                           prefer_pss=key.algorithm.endswith("MGF1"))
