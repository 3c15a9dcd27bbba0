"""XMLDSig core verification (W3C XMLDSig 1.1, as profiled by ETSI EN 319 132-1).

We canonicalise and verify ourselves with lxml + cryptography instead of
signxml: the references in an ASiC-E signature point at ZIP entries (signxml
needs a resolver), signxml's schema check rejects 38-digit serials, and its
default policy wrongly demands digitalSignature.

Canonicalisation: lxml implements C14N 1.0 and exclusive C14N. C14N 1.1
(``xml-c14n11``) differs from 1.0 only in how ``xml:id``/``xml:base`` are
inherited into a document subset; an ASiC signature document has no such
attributes on ancestors of signed elements, and we refuse any that does.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from lxml import etree

DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
XADES141 = "http://uri.etsi.org/01903/v1.4.1#"
NS = {"ds": DS, "xades": XADES, "xades141": XADES141}
SIGNED_PROPERTIES_TYPE = "http://uri.etsi.org/01903#SignedProperties"

_C14N = {
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315": (False, False),
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments": (False, True),
    "http://www.w3.org/2006/12/xml-c14n11": (False, False),
    "http://www.w3.org/2006/12/xml-c14n11#WithComments": (False, True),
    "http://www.w3.org/2001/10/xml-exc-c14n#": (True, False),
    "http://www.w3.org/2001/10/xml-exc-c14n#WithComments": (True, True),
}
DIGESTS = {
    "http://www.w3.org/2001/04/xmlenc#sha256": "sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha224": "sha224",
    "http://www.w3.org/2001/04/xmldsig-more#sha384": "sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512": "sha512",
    "http://www.w3.org/2007/05/xmldsig-more#sha3-256": "sha3_256",
    "http://www.w3.org/2007/05/xmldsig-more#sha3-384": "sha3_384",
    "http://www.w3.org/2007/05/xmldsig-more#sha3-512": "sha3_512",
}
WEAK_DIGESTS = {"http://www.w3.org/2000/09/xmldsig#sha1": "sha1"}
_SIG_METHODS: dict[str, tuple[str, str]] = {
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256": ("rsa", "sha256"),
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384": ("rsa", "sha384"),
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": ("rsa", "sha512"),
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256": ("ecdsa", "sha256"),
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384": ("ecdsa", "sha384"),
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512": ("ecdsa", "sha512"),
    "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1": ("rsa-pss", "sha256"),
    "http://www.w3.org/2007/05/xmldsig-more#sha384-rsa-MGF1": ("rsa-pss", "sha384"),
    "http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1": ("rsa-pss", "sha512"),
}
_HASHES: dict[str, hashes.HashAlgorithm] = {
    "sha256": hashes.SHA256(),
    "sha384": hashes.SHA384(),
    "sha512": hashes.SHA512(),
}


class DsigFormatError(Exception):
    """The signature XML breaks an XMLDSig/XAdES structural rule (FORMAT_FAILURE)."""


def q(ns: str, local: str) -> str:
    return f"{{{NS[ns]}}}{local}"


def b64decode(text: str | None) -> bytes:
    """Base64 as found in signatures: line breaks and ``&#13;`` (CR) are allowed."""
    try:
        return base64.b64decode("".join((text or "").split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DsigFormatError("invalid base64") from exc


def canonicalize(element: etree._Element, algorithm: str | None, prefixes: list[str] | None = None) -> bytes:
    """Canonicalise ``element`` in its document context (XMLDSig 6.5)."""
    if algorithm not in _C14N:
        raise DsigFormatError(f"unsupported canonicalisation {algorithm!r}")
    exclusive, comments = _C14N[algorithm]
    return bytes(
        etree.tostring(
            element,
            method="c14n",
            exclusive=exclusive,
            with_comments=comments,
            inclusive_ns_prefixes=prefixes if exclusive else None,
        )
    )


def c14n_of(parent: etree._Element, default: str) -> tuple[str, list[str] | None]:
    """The CanonicalizationMethod child of ``parent`` (and its PrefixList)."""
    method = parent.find("ds:CanonicalizationMethod", NS)
    if method is None:
        return default, None
    alg = method.get("Algorithm", default)
    incl = method.find("{http://www.w3.org/2001/10/xml-exc-c14n#}InclusiveNamespaces")
    return alg, (incl.get("PrefixList", "").split() if incl is not None else None)


@dataclass
class ReferenceOutcome:
    """One ds:Reference and what it covers."""

    uri: str
    type: str | None
    file_name: str | None
    element: etree._Element | None
    digest_algorithm: str
    digest_hex: str
    matches: bool
    size: int | None = None


@dataclass
class CoreOutcome:
    references: list[ReferenceOutcome] = field(default_factory=list)
    signed_properties: etree._Element | None = None
    problems: list[tuple[str, str]] = field(default_factory=list)  # (kind, detail)

    def fail(self, kind: str, detail: str) -> None:
        self.problems.append((kind, detail))


def index_ids(root: etree._Element) -> dict[str, etree._Element]:
    """Map every Id in the document; duplicates are a wrapping attempt (FORMAT_FAILURE)."""
    ids: dict[str, etree._Element] = {}
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for attr in ("Id", "ID", "id"):
            value = el.get(attr)
            if value is None:
                continue
            if value in ids:
                raise DsigFormatError(f"duplicate Id {value!r} (signature wrapping?)")
            ids[value] = el
        if el.get("{http://www.w3.org/XML/1998/namespace}id") or el.get(
            "{http://www.w3.org/XML/1998/namespace}base"
        ):
            raise DsigFormatError("xml:id/xml:base attributes are not accepted")
    return ids


def _digest(data: bytes, algorithm_uri: str) -> tuple[str, bytes]:
    name = DIGESTS.get(algorithm_uri) or WEAK_DIGESTS.get(algorithm_uri)
    if name is None:
        raise DsigFormatError(f"unsupported digest algorithm {algorithm_uri!r}")
    return name, hashlib.new(name, data).digest()


def _apply_transforms(ref: etree._Element, target: etree._Element) -> bytes:
    transforms = ref.findall("ds:Transforms/ds:Transform", NS)
    if not transforms:
        return canonicalize(target, "http://www.w3.org/TR/2001/REC-xml-c14n-20010315")
    if len(transforms) > 1:
        raise DsigFormatError("more than one transform on a same-document reference")
    alg = transforms[0].get("Algorithm")
    incl = transforms[0].find("{http://www.w3.org/2001/10/xml-exc-c14n#}InclusiveNamespaces")
    prefixes = incl.get("PrefixList", "").split() if incl is not None else None
    return canonicalize(target, alg, prefixes)


def verify_references(
    signature: etree._Element, ids: Mapping[str, etree._Element], data_files: Mapping[str, bytes]
) -> CoreOutcome:
    """Check every ds:Reference digest; locate the one SignedProperties (EN 319 132-1 4.3, 6.3)."""
    out = CoreOutcome()
    signed_info = signature.find("ds:SignedInfo", NS)
    if signed_info is None:
        raise DsigFormatError("ds:SignedInfo missing")
    sp_refs = 0
    seen_files: set[str] = set()
    for ref in signed_info.findall("ds:Reference", NS):
        uri = ref.get("URI")
        rtype = ref.get("Type")
        method = ref.find("ds:DigestMethod", NS)
        value = ref.find("ds:DigestValue", NS)
        if uri is None or method is None or value is None:
            raise DsigFormatError("ds:Reference without URI, DigestMethod or DigestValue")
        expected = b64decode(value.text)
        alg_uri = method.get("Algorithm", "")
        if uri.startswith("#"):
            target = ids.get(uri[1:])
            if target is None or not _inside(target, signature):
                raise DsigFormatError(f"reference {uri!r} does not resolve inside this signature")
            alg, digest = _digest(_apply_transforms(ref, target), alg_uri)
            if rtype == SIGNED_PROPERTIES_TYPE:
                sp_refs += 1
                if target.tag != q("xades", "SignedProperties") or not _is_own_signed_properties(
                    target, signature
                ):
                    raise DsigFormatError("SignedProperties reference points at the wrong element")
                out.signed_properties = target
            outcome = ReferenceOutcome(uri, rtype, None, target, alg, digest.hex(), digest == expected)
        else:
            if ref.find("ds:Transforms", NS) is not None:
                raise DsigFormatError("transforms on a data-file reference are not accepted")
            # RFC 3986 percent-decoding only: '+' stays a literal plus (``test+test.txt``).
            name = unquote(uri, errors="strict")
            if name not in data_files:
                out.fail("SIGNED_DATA_NOT_FOUND", f"signed file {name!r} is not in the container")
                continue
            if name in seen_files:
                raise DsigFormatError(f"file {name!r} referenced twice")
            seen_files.add(name)
            alg, digest = _digest(data_files[name], alg_uri)
            outcome = ReferenceOutcome(
                uri, rtype, name, None, alg, digest.hex(), digest == expected, len(data_files[name])
            )
        if alg in WEAK_DIGESTS.values():
            out.fail("CRYPTO_CONSTRAINTS_FAILURE", f"reference {uri!r} uses {alg}")
        if not outcome.matches:
            out.fail("HASH_FAILURE", f"digest of {outcome.file_name or uri!r} does not match")
        out.references.append(outcome)
    if sp_refs != 1:
        raise DsigFormatError(f"SignedProperties must be referenced exactly once (found {sp_refs})")
    return out


def _inside(el: etree._Element, ancestor: etree._Element) -> bool:
    node: etree._Element | None = el
    while node is not None:
        if node is ancestor:
            return True
        node = node.getparent()
    return False


def _is_own_signed_properties(sp: etree._Element, signature: etree._Element) -> bool:
    """SignedProperties must sit in QualifyingProperties targeting *this* signature."""
    qp = sp.getparent()
    obj = qp.getparent() if qp is not None else None
    return (
        qp is not None
        and qp.tag == q("xades", "QualifyingProperties")
        and obj is not None
        and obj.tag == q("ds", "Object")
        and obj.getparent() is signature
        and qp.get("Target") == f"#{signature.get('Id')}"
    )


def verify_signature_value(signature: etree._Element, public_key: object) -> tuple[bool, str]:
    """Verify ds:SignatureValue over the canonical ds:SignedInfo (XMLDSig 3.2.2)."""
    signed_info = signature.find("ds:SignedInfo", NS)
    sig_value = signature.find("ds:SignatureValue", NS)
    if signed_info is None or sig_value is None:
        raise DsigFormatError("ds:SignedInfo or ds:SignatureValue missing")
    alg, prefixes = c14n_of(signed_info, "")
    method_el = signed_info.find("ds:SignatureMethod", NS)
    method = method_el.get("Algorithm", "") if method_el is not None else ""
    if method not in _SIG_METHODS:
        return False, f"unsupported signature method {method!r}"
    kind, hash_name = _SIG_METHODS[method]
    data = canonicalize(signed_info, alg, prefixes)
    raw = b64decode(sig_value.text)
    algo = _HASHES[hash_name]
    try:
        if kind == "rsa" and isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(raw, data, padding.PKCS1v15(), algo)
        elif kind == "rsa-pss" and isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(raw, data, padding.PSS(padding.MGF1(algo), algo.digest_size), algo)
        elif kind == "ecdsa" and isinstance(public_key, ec.EllipticCurvePublicKey):
            # XMLDSig carries r||s of equal length, not DER (RFC 4050).
            half = len(raw) // 2
            if half == 0 or len(raw) % 2:
                return False, "malformed ECDSA signature value"
            der = encode_dss_signature(int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big"))
            public_key.verify(der, data, ec.ECDSA(algo))
        else:
            return False, "signature method does not match the certificate key type"
    except InvalidSignature:
        return False, "signature value does not verify with the signing certificate's key"
    return True, method
