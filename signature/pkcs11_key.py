"""The controller's e-seal key on a PKCS#11 token (SoftHSM2, an HSM, a smart card).

Usage::

    key = Pkcs11Key.open(module="/usr/lib/softhsm/libsofthsm2.so", token_label="rightsdesk-demo",
                         key_label="seal", pin=PinSource(env="RIGHTSDESK_SEAL_PIN"))
    key.certificate_chain          # from the token, or pass ``chain=`` (PEM files)
    key.sign(data, key.algorithm)  # XMLDSig signature value (ECDSA as r||s, RFC 4050)
    key.sign_cms(data, "sha256", "ecdsa")  # CMS signature value (ECDSA as DER), for PAdES

A qualified electronic seal needs its private key in a QSCD (eIDAS Art. 39 and
Annex II): the key never leaves the token; only digests or to-be-signed bytes go in.

One logged-in session is opened per key and reused for every seal; a lock
serialises its use, because a PKCS#11 session is not safe for concurrent
operations (PKCS#11 v2.40 clause 5.1.2). The PIN is read from an environment
variable or a file only when logging in, never stored on the object, never
logged and never put in an exception message.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from .errors import SignatureError

logger = logging.getLogger(__name__)

RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
RSA_PSS_SHA256 = "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1"
ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
ECDSA_SHA384 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384"
# XMLDSig SignatureMethod URI -> (scheme, hash) this key signs with.
_XMLDSIG_METHODS: dict[str, tuple[str, str]] = {
    RSA_SHA256: ("rsassa_pkcs1v15", "sha256"),
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384": ("rsassa_pkcs1v15", "sha384"),
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": ("rsassa_pkcs1v15", "sha512"),
    RSA_PSS_SHA256: ("rsassa_pss", "sha256"),
    "http://www.w3.org/2007/05/xmldsig-more#sha384-rsa-MGF1": ("rsassa_pss", "sha384"),
    "http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1": ("rsassa_pss", "sha512"),
    ECDSA_SHA256: ("ecdsa", "sha256"),
    ECDSA_SHA384: ("ecdsa", "sha384"),
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512": ("ecdsa", "sha512"),
}


# -- errors -------------------------------------------------------------------
class SealingError(SignatureError):
    """Sealing is impossible as configured; ``remedy`` says what an operator should do.

    Structured fields (never the PIN): ``module``, ``token_label``, ``key_label``.
    ``permanent`` is False when retrying later may succeed (token busy or removed).
    """

    permanent = True

    def __init__(self, message: str, *, remedy: str, module: str | None = None,
                 token_label: str | None = None, key_label: str | None = None) -> None:
        super().__init__(f"{message}. {remedy}")
        self.remedy = remedy
        self.module = module
        self.token_label = token_label
        self.key_label = key_label


class ModuleNotFound(SealingError):
    """The PKCS#11 module (shared library) is missing or cannot be loaded."""


class TokenNotFound(SealingError):
    """No token with the configured label is present in the module's slots."""


class PinUnavailable(SealingError):
    """Neither the PIN environment variable nor the PIN file provides a PIN."""


class WrongPin(SealingError):
    """The token refused the user PIN (CKR_PIN_INCORRECT / CKR_PIN_INVALID / CKR_PIN_LEN_RANGE)."""


class TokenLocked(SealingError):
    """The user PIN is locked after too many wrong attempts (CKR_PIN_LOCKED) or expired."""


class SealKeyNotFound(SealingError):
    """No private key (or more than one) with the configured label on the token."""


class SealCertificateError(SealingError):
    """The seal certificate is missing, unreadable or does not belong to the token key."""


class TokenFailure(SealingError):
    """The token failed while signing (device removed, session lost); retrying may help."""

    permanent = False


# -- PIN ----------------------------------------------------------------------
@dataclass(frozen=True)
class PinSource:
    """Where the user PIN comes from: an environment variable or a file (first line).

    Holds only the *name* of the variable or the *path*; the PIN itself is read
    at login and dropped right after.
    """

    env: str | None = None
    file: Path | None = None

    def read(self, *, where: dict[str, str | None]) -> str:
        if self.env:
            value = os.environ.get(self.env)
            if value:
                return value
        if self.file is not None:
            try:
                text = self.file.read_text(encoding="utf-8").splitlines()
            except OSError as exc:
                raise PinUnavailable(
                    f"the PIN file {self.file} cannot be read ({type(exc).__name__})",
                    remedy="Check the path and that only the rightsdesk user can read it (chmod 600)", **where,
                ) from None
            if text and text[0].strip():
                return text[0].strip()
        raise PinUnavailable(
            "no PIN for the seal token",
            remedy=f"Set the environment variable {self.env or '(pin_env)'} or write the PIN to a file "
                   "named by pin_file (first line, chmod 600)", **where,
        )


# -- the key ------------------------------------------------------------------
def _load_library(module: str, where: dict[str, str | None]) -> Any:
    import pkcs11

    if not Path(module).is_file():
        raise ModuleNotFound(
            f"PKCS#11 module {module} does not exist",
            remedy="Install the token's PKCS#11 library (for SoftHSM2: apt-get install softhsm2, module "
                   "/usr/lib/softhsm/libsofthsm2.so) and set the module path", **where,
        )
    try:
        return pkcs11.lib(module)
    except pkcs11.PKCS11Error as exc:
        raise ModuleNotFound(
            f"PKCS#11 module {module} cannot be loaded ({type(exc).__name__})",
            remedy="Point the module path at the vendor's PKCS#11 shared library for this machine", **where,
        ) from exc


def release_module(module: str) -> None:
    """Finalise and unload a PKCS#11 module (C_Finalize) so it re-reads its configuration.

    Every session of every key on that module ends. Tests use it between token
    directories (SoftHSM2 reads ``SOFTHSM2_CONF`` only at C_Initialize).
    """
    import pkcs11

    pkcs11.unload(module)


def _scheme_for(cert: x509.Certificate) -> tuple[str, int]:
    """(``ec`` or ``rsa``, key size in bits) of the certificate's public key."""
    public = cert.public_key()
    if isinstance(public, ec.EllipticCurvePublicKey):
        return "ec", public.curve.key_size
    if isinstance(public, rsa.RSAPublicKey):
        return "rsa", public.key_size
    raise SealCertificateError(
        f"seal certificate key type {type(public).__name__} is not supported",
        remedy="Use an RSA (2048 bits or more) or ECDSA (P-256/P-384) seal key",
    )


class Pkcs11Key:
    """A :class:`signature.xades_sign.XadesKey` whose private key stays on a PKCS#11 token."""

    def __init__(self, *, module: str, token_label: str, key_label: str, pin: PinSource,
                 chain: Sequence[x509.Certificate] | None = None, rsa_pss: bool = False) -> None:
        """Prefer :meth:`open`; this constructor logs in immediately too."""
        self._where: dict[str, str | None] = {"module": module, "token_label": token_label, "key_label": key_label}
        self._module, self._token_label, self._key_label = module, token_label, key_label
        self._pin_source = pin
        self._rsa_pss = rsa_pss
        self._lock = threading.Lock()
        self._session: Any = None
        self._private: Any = None
        with self._lock:
            self._login()
        try:
            self._chain = tuple(chain) if chain else self._chain_from_token()
            self._kind, self._bits = _scheme_for(self._chain[0])
            self._check_key_matches_certificate()
        except SealingError:
            self.close()  # do not leave a logged-in session behind a failed open
            raise

    @classmethod
    def open(cls, *, module: str | Path, token_label: str, key_label: str, pin: PinSource,
             chain: Sequence[x509.Certificate] | None = None, rsa_pss: bool = False) -> Pkcs11Key:
        """Load ``module``, log in to ``token_label`` and find the private key ``key_label``.

        :raises ModuleNotFound, TokenNotFound, PinUnavailable, WrongPin, TokenLocked,
            SealKeyNotFound, SealCertificateError: each with a ``remedy``.
        """
        return cls(module=str(module), token_label=token_label, key_label=key_label, pin=pin, chain=chain,
                   rsa_pss=rsa_pss)

    # -- session ---------------------------------------------------------------
    def _login(self) -> None:
        """Open and log in one session (caller holds the lock)."""
        import pkcs11
        from pkcs11 import exceptions as p11

        lib = _load_library(self._module, self._where)
        try:
            token = lib.get_token(token_label=self._token_label)
        except p11.NoSuchToken:
            raise TokenNotFound(
                f"no PKCS#11 token labelled {self._token_label!r}",
                remedy="Check the token label (softhsm2-util --show-slots) and that the token is connected; "
                       "for the demo run `rightsdesk seal setup-demo`", **self._where,
            ) from None
        except p11.MultipleTokensReturned:
            raise TokenNotFound(
                f"more than one token labelled {self._token_label!r}",
                remedy="Give each token a unique label", **self._where,
            ) from None
        try:
            session = token.open(user_pin=self._pin_source.read(where=self._where))
        except (p11.PinIncorrect, p11.PinInvalid, p11.PinLenRange):
            # ``from None``: nothing of the login attempt travels with the error.
            raise WrongPin(
                f"the token {self._token_label!r} refused the PIN",
                remedy="Check the PIN in the configured environment variable or file; repeated wrong PINs "
                       "lock the token", **self._where,
            ) from None
        except (p11.PinLocked, p11.PinExpired):
            raise TokenLocked(
                f"the user PIN of token {self._token_label!r} is locked or expired",
                remedy="Unlock it with the security officer PIN (softhsm2-util or the vendor tool) and set "
                       "a new user PIN", **self._where,
            ) from None
        except p11.PKCS11Error as exc:
            raise TokenFailure(
                f"cannot log in to token {self._token_label!r} ({type(exc).__name__})",
                remedy="Check that the token is connected and not in use by another program", **self._where,
            ) from None
        try:
            private = session.get_key(object_class=pkcs11.ObjectClass.PRIVATE_KEY, label=self._key_label)
        except (p11.NoSuchKey, p11.MultipleObjectsReturned) as exc:
            session.close()
            many = isinstance(exc, p11.MultipleObjectsReturned)
            raise SealKeyNotFound(
                f"{'more than one' if many else 'no'} private key labelled {self._key_label!r} on token "
                f"{self._token_label!r}",
                remedy="List the token's objects (pkcs11-tool --list-objects) and set key_label to the seal "
                       "key's label", **self._where,
            ) from None
        self._session, self._private = session, private
        logger.debug("logged in to PKCS#11 token %r, seal key %r", self._token_label, self._key_label)

    def close(self) -> None:
        """Log out and close the session (the module stays loaded for other keys)."""
        with self._lock:
            if self._session is not None:
                try:
                    self._session.close()
                except Exception:  # closing a dead session is not an error worth raising
                    logger.debug("closing the PKCS#11 session failed", exc_info=True)
            self._session = self._private = None

    def __enter__(self) -> Pkcs11Key:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- certificates ----------------------------------------------------------
    def _token_certificates(self) -> Iterator[x509.Certificate]:
        import pkcs11

        with self._lock:
            objects = list(self._session.get_objects({pkcs11.Attribute.CLASS: pkcs11.ObjectClass.CERTIFICATE}))
            values = [(obj[pkcs11.Attribute.LABEL], obj[pkcs11.Attribute.VALUE]) for obj in objects]
        for label, der in sorted(values, key=lambda item: item[0] != self._key_label):
            try:
                yield x509.load_der_x509_certificate(bytes(der))
            except ValueError:
                logger.debug("skipping an unreadable certificate object %r on the token", label)

    def _chain_from_token(self) -> tuple[x509.Certificate, ...]:
        """Leaf = the certificate labelled like the key; issuers = other token certificates, in order."""
        certs = list(self._token_certificates())
        import pkcs11

        with self._lock:
            labels = [obj[pkcs11.Attribute.LABEL] for obj in self._session.get_objects(
                {pkcs11.Attribute.CLASS: pkcs11.ObjectClass.CERTIFICATE, pkcs11.Attribute.LABEL: self._key_label})]
        if not labels or not certs:
            raise SealCertificateError(
                f"no certificate labelled {self._key_label!r} on token {self._token_label!r}",
                remedy="Store the seal certificate on the token under the key's label, or configure the "
                       "certificate chain as PEM files (cert_pem)", **self._where,
            )
        return order_chain(certs[0], certs[1:])

    def _check_key_matches_certificate(self) -> None:
        """Refuse a certificate whose public key is not the token key's (a seal nobody could verify)."""
        import pkcs11
        from pkcs11 import exceptions as p11

        with self._lock:
            try:
                public = self._session.get_key(object_class=pkcs11.ObjectClass.PUBLIC_KEY, label=self._key_label)
            except (p11.NoSuchKey, p11.MultipleObjectsReturned):
                return  # some tokens keep no public key object: nothing to compare
            cert_key = self._chain[0].public_key()
            if isinstance(cert_key, rsa.RSAPublicKey):
                token_value = int.from_bytes(public[pkcs11.Attribute.MODULUS], "big")
                matches = token_value == cert_key.public_numbers().n
            else:
                from asn1crypto.core import OctetString
                from cryptography.hazmat.primitives import serialization

                point = bytes(public[pkcs11.Attribute.EC_POINT])
                if point[:1] == b"\x04" and len(point) > 2 and point[1] + 2 == len(point):
                    point = OctetString.load(point).native  # DER-wrapped EC_POINT (most tokens)
                matches = point == cert_key.public_bytes(
                    serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        if not matches:
            raise SealCertificateError(
                "the seal certificate does not belong to the token key",
                remedy="Configure the certificate issued for this key pair", **self._where,
            )

    # -- XadesKey ---------------------------------------------------------------
    @property
    def certificate_chain(self) -> Sequence[x509.Certificate]:
        return self._chain

    @property
    def algorithm(self) -> str:
        if self._kind == "ec":
            return ECDSA_SHA384 if self._bits >= 384 else ECDSA_SHA256
        return RSA_PSS_SHA256 if self._rsa_pss else RSA_SHA256

    def sign(self, data: bytes, algorithm: str) -> bytes:
        """XMLDSig SignatureValue over ``data``; ECDSA as r||s, which is what PKCS#11 returns (RFC 4050)."""
        try:
            scheme, hash_name = _XMLDSIG_METHODS[algorithm]
        except KeyError:
            raise SealingError(f"signature method {algorithm} is not supported by the seal key",
                               remedy="Use the key's own algorithm (Pkcs11Key.algorithm)", **self._where) from None
        return self._sign_raw(data, hash_name, scheme)

    def sign_cms(self, data: bytes, hash_name: str, scheme: str, *, pss_salt_length: int | None = None) -> bytes:
        """CMS SignerInfo signature value (RFC 5652): ECDSA as DER Ecdsa-Sig-Value (RFC 5753).

        ``pss_salt_length``: the salt length the RSASSA-PSS-params announce (RFC 4055); default the digest size.
        """
        raw = self._sign_raw(data, hash_name, scheme, pss_salt_length=pss_salt_length)
        if scheme != "ecdsa":
            return raw
        half = len(raw) // 2
        return encode_dss_signature(int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big"))

    def _sign_raw(self, data: bytes, hash_name: str, scheme: str, *, pss_salt_length: int | None = None) -> bytes:
        import pkcs11
        from pkcs11 import exceptions as p11

        if (scheme == "ecdsa") != (self._kind == "ec"):
            raise SealingError(f"the seal key cannot sign with {scheme}",
                               remedy="Use the key's own algorithm (Pkcs11Key.algorithm)", **self._where)
        if hash_name not in ("sha256", "sha384", "sha512"):
            raise SealingError(f"digest {hash_name} is not supported", remedy="Use SHA-256, SHA-384 or SHA-512",
                               **self._where)
        mech_hash = {"sha256": pkcs11.Mechanism.SHA256, "sha384": pkcs11.Mechanism.SHA384,
                     "sha512": pkcs11.Mechanism.SHA512}[hash_name]
        kwargs: dict[str, Any]
        if scheme == "ecdsa":
            # Hash here, sign the digest with CKM_ECDSA: every token supports it (CKM_ECDSA_SHA384 is rare).
            payload = hashlib.new(hash_name, data).digest()
            kwargs = {"mechanism": pkcs11.Mechanism.ECDSA}
        elif scheme == "rsassa_pss":
            payload = data
            mgf = {"sha256": pkcs11.MGF.SHA256, "sha384": pkcs11.MGF.SHA384, "sha512": pkcs11.MGF.SHA512}[hash_name]
            kwargs = {"mechanism": getattr(pkcs11.Mechanism, f"{hash_name.upper()}_RSA_PKCS_PSS"),
                      "mechanism_param": (mech_hash, mgf, pss_salt_length or hashlib.new(hash_name).digest_size)}
        else:
            payload = data
            kwargs = {"mechanism": getattr(pkcs11.Mechanism, f"{hash_name.upper()}_RSA_PKCS")}
        with self._lock:
            for attempt in (1, 2):
                if self._private is None:
                    self._login()
                try:
                    return bytes(self._private.sign(payload, **kwargs))
                except (p11.SessionHandleInvalid, p11.SessionClosed, p11.UserNotLoggedIn,
                        p11.DeviceRemoved, p11.TokenNotPresent, p11.KeyHandleInvalid) as exc:
                    # A token reset or re-plug drops the session: log in once more, then give up.
                    logger.info("PKCS#11 session lost (%s), attempt %d", type(exc).__name__, attempt)
                    self._session = self._private = None
                except p11.PKCS11Error as exc:
                    raise TokenFailure(f"the token failed to sign ({type(exc).__name__})",
                                       remedy="Check the token and its mechanisms; retry later",
                                       **self._where) from None
        raise TokenFailure("the token session was lost twice while signing",
                           remedy="Check that the token is connected, then retry", **self._where)


def order_chain(leaf: x509.Certificate, others: Sequence[x509.Certificate]) -> tuple[x509.Certificate, ...]:
    """``leaf`` then its issuers found among ``others`` by subject/issuer name (no validation here)."""
    chain = [leaf]
    pool = [c for c in others if c != leaf]
    while pool:
        issuer = next((c for c in pool if c.subject == chain[-1].issuer), None)
        if issuer is None or issuer.subject == chain[-1].subject:
            break
        chain.append(issuer)
        pool.remove(issuer)
    return tuple(chain)
