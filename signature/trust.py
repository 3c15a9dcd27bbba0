"""Trust material: the EU list of trusted lists (LOTL) and national trusted lists.

Usage (for every format validator)::

    store = TrustStore.from_directory(Path("/etc/rightsdesk/trust"))
    store.add_anchor(pem_or_der_bytes)      # optional, never qualified
    roots = store.trust_roots()             # asn1crypto certs for certvalidator
    store.registry                          # pyHanko TSPRegistry (qualification)
    store.is_qualified_tsa(tsa_cert, at)    # TS 119 612 QTST service, granted at ``at``

How a directory is read (ETSI TS 119 612 clause 5.3 and the LOTL pivot
mechanism of Commission Implementing Decision (EU) 2015/1505):

1. PEM certificates in any folder named ``lotl-signers`` are the pinned LOTL
   signing certificates (published in the Official Journal). Other PEM files are
   ignored with a note (they are not trust anchors).
2. Every XML file whose ``SchemeTerritory`` is ``EU`` is a LOTL or a LOTL pivot.
   In order of issue date, each is verified against the certificates known so
   far *as of its issue date*; a verified LOTL's own EU pointer then extends the
   known LOTL signers (this is how pivots announce new signers).
3. Every other trusted list is verified against the certificates the verified
   LOTLs name in their pointer for its territory, as of the list's issue date
   (so the Latvian list signed by a certificate that expired in 2025 verifies).
   The newest verified list per territory wins.

Parsing, the signature check and the service model are pyHanko's
(``pyhanko.sign.validation.qualified``); this module only orders the material.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509

from .errors import TrustListError, UnusableInput
from .safexml import parse_untrusted_xml

logger = logging.getLogger(__name__)

TSL_NS = "http://uri.etsi.org/02231/v2#"
LOTL_SIGNERS_FOLDER = "lotl-signers"


@dataclass(frozen=True, slots=True)
class LoadedList:
    """A trusted list that verified and is in use."""

    kind: str  # "lotl" or "tl"
    territory: str
    sequence: int | None
    issued: datetime
    path: Path


def load_certificate(data: bytes) -> asn1_x509.Certificate:
    """Load one certificate from PEM or DER bytes (asn1crypto form)."""
    try:
        if asn1_pem.detect(data):
            _, _, der = asn1_pem.unarmor(data)
        else:
            der = data
        cert = asn1_x509.Certificate.load(der)
        cert.native  # noqa: B018  - forces a full parse so garbage fails here
    except Exception as exc:  # asn1crypto raises assorted ValueError/TypeError
        raise UnusableInput("not an X.509 certificate (PEM or DER)") from exc
    return cert


def _certs_from_pem_file(path: Path) -> list[asn1_x509.Certificate]:
    data = path.read_bytes()
    out: list[asn1_x509.Certificate] = []
    for _, _, der in asn1_pem.unarmor(data, multiple=True):
        out.append(asn1_x509.Certificate.load(der))
    return out


@dataclass(frozen=True, slots=True)
class _ListFile:
    path: Path
    text: str
    territory: str
    sequence: int | None
    issued: datetime


def _read_list_file(path: Path) -> _ListFile | None:
    raw = path.read_bytes()
    try:
        root = parse_untrusted_xml(raw, what=path.name)
    except UnusableInput:
        return None
    if root.tag != f"{{{TSL_NS}}}TrustServiceStatusList":
        return None
    ns = {"t": TSL_NS}
    territory = root.findtext("t:SchemeInformation/t:SchemeTerritory", namespaces=ns)
    issued_txt = root.findtext("t:SchemeInformation/t:ListIssueDateTime", namespaces=ns)
    seq_txt = root.findtext("t:SchemeInformation/t:TSLSequenceNumber", namespaces=ns)
    if not territory or not issued_txt:
        return None
    issued = datetime.fromisoformat(issued_txt.strip().replace("Z", "+00:00"))
    sequence = int(seq_txt) if seq_txt and seq_txt.strip().isdigit() else None
    return _ListFile(path, raw.decode("utf-8"), territory.strip(), sequence, issued)


class TrustStore:
    """Trust anchors and qualified-service definitions for validation.

    An empty store (``TrustStore()``) trusts nothing: every chain is
    INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND and nothing is qualified.
    """

    def __init__(self) -> None:
        from pyhanko.sign.validation.qualified.tsp import TSPRegistry

        self.registry = TSPRegistry()
        self.extra_anchors: list[asn1_x509.Certificate] = []
        self.lotl_signers: list[asn1_x509.Certificate] = []
        self.lists: list[LoadedList] = []
        self.notes: list[str] = []

    # -- construction -------------------------------------------------------
    @classmethod
    def from_directory(cls, path: Path) -> TrustStore:
        """Read and verify every trusted list below ``path`` (see module doc).

        :raises TrustListError: no pinned LOTL signer or no LOTL verifies.
        """
        from pyhanko.sign.validation.qualified import eutl_parse

        store = cls()
        root = Path(path)
        if not root.is_dir():
            raise TrustListError(f"trust directory {root} does not exist")
        for pem in sorted(root.rglob("*.pem")):
            if pem.parent.name == LOTL_SIGNERS_FOLDER:
                store.lotl_signers.extend(_certs_from_pem_file(pem))
            else:
                store.notes.append(
                    f"ignored {pem.relative_to(root)}: not under {LOTL_SIGNERS_FOLDER}/, "
                    "so not a trust anchor (use --anchor for extra anchors)"
                )
        if not store.lotl_signers:
            raise TrustListError(f"no pinned LOTL signer certificates in {root}/**/{LOTL_SIGNERS_FOLDER}/")
        files = [f for f in (_read_list_file(p) for p in sorted(root.rglob("*.xml"))) if f]
        lotls = sorted((f for f in files if f.territory == "EU"), key=lambda f: f.issued)
        national = sorted((f for f in files if f.territory != "EU"), key=lambda f: f.issued, reverse=True)

        known_signers = list(store.lotl_signers)
        verified_lotls: list[tuple[_ListFile, object]] = []
        for lotl in lotls:
            try:
                parsed = eutl_parse.validate_and_parse_lotl(lotl.text, known_signers, lotl.issued)
            except Exception as exc:  # pyHanko raises SignatureValidationError and xsdata errors
                store.notes.append(f"LOTL {lotl.path.name} did not verify: {type(exc).__name__}")
                continue
            verified_lotls.append((lotl, parsed))
            store.lists.append(LoadedList("lotl", "EU", lotl.sequence, lotl.issued, lotl.path))
            for ref in parsed.references:
                if ref.territory == "EU":
                    known_signers.extend(ref.tlso_certs)
        if not verified_lotls:
            raise TrustListError(f"no LOTL in {root} verifies against the pinned signers")

        done: set[str] = set()
        for tl in national:
            if tl.territory in done:
                store.notes.append(f"{tl.path.name}: older {tl.territory} list, superseded")
                continue
            if store._load_national(tl, verified_lotls):
                done.add(tl.territory)
        return store

    def _load_national(self, tl: _ListFile, verified_lotls: list[tuple[_ListFile, object]]) -> bool:
        from pyhanko.sign.validation.qualified import eutl_parse

        for lotl, parsed in reversed(verified_lotls):  # newest LOTL first
            certs = [
                c
                for ref in getattr(parsed, "references", [])
                if ref.territory == tl.territory
                for c in ref.tlso_certs
            ]
            if not certs:
                continue
            try:
                signed = eutl_parse._validate_and_extract_tl_data_multiple_certs(tl.text, certs, tl.issued)
            except Exception as exc:  # pyHanko/signxml errors: try the next LOTL's pointer
                logger.debug("LOTL %s pointer fails for %s: %s", lotl.sequence, tl.path.name, type(exc))
                continue
            _, errors = eutl_parse.trust_list_to_registry_unsafe(signed, self.registry)
            for err in errors:
                self.notes.append(f"{tl.path.name}: service entry skipped ({type(err).__name__})")
            self.lists.append(LoadedList("tl", tl.territory, tl.sequence, tl.issued, tl.path))
            self.notes.append(
                f"{tl.territory} list seq {tl.sequence} verified as of {tl.issued.isoformat()} "
                f"via LOTL seq {lotl.sequence}"
            )
            return True
        self.notes.append(f"{tl.path.name}: no LOTL pointer certificate verifies it; ignored")
        return False

    def add_anchor(self, cert: asn1_x509.Certificate | bytes) -> None:
        """Add an extra, *non-qualified* trust anchor (``--anchor``)."""
        if isinstance(cert, bytes | bytearray):
            cert = load_certificate(bytes(cert))
        self.extra_anchors.append(cert)

    # -- queries ------------------------------------------------------------
    @property
    def has_trusted_lists(self) -> bool:
        return any(item.kind == "tl" for item in self.lists)

    def qualified_ca_certs(self) -> list[asn1_x509.Certificate]:
        return _authority_certs(self.registry.known_certificate_authorities)

    def qualified_tsa_certs(self) -> list[asn1_x509.Certificate]:
        return _authority_certs(self.registry.known_timestamp_authorities)

    def trust_roots(self) -> list[asn1_x509.Certificate]:
        """Anchors for path building: trusted-list CA/TSA certificates + extra anchors."""
        seen: set[bytes] = set()
        out: list[asn1_x509.Certificate] = []
        for cert in [*self.qualified_ca_certs(), *self.qualified_tsa_certs(), *self.extra_anchors]:
            if cert.sha256 not in seen:
                seen.add(cert.sha256)
                out.append(cert)
        return out

    def is_trusted_list_anchor(self, cert: asn1_x509.Certificate) -> bool:
        return any(c.sha256 == cert.sha256 for c in (*self.qualified_ca_certs(), *self.qualified_tsa_certs()))

    def is_qualified_tsa(self, chain: Iterable[asn1_x509.Certificate], at: datetime) -> bool:
        """True when a certificate of ``chain`` is a QTST service granted at ``at`` (TS 119 612 5.5)."""
        from pyhanko.sign.validation.qualified.tsp import QTST_URI
        from pyhanko_certvalidator.authority import AuthorityWithCert

        for cert in chain:
            for sd in self.registry.applicable_service_definitions(AuthorityWithCert(cert), at):
                if sd.base_info.service_type == QTST_URI:
                    return True
        return False


def _authority_certs(authorities: Iterable[object]) -> list[asn1_x509.Certificate]:
    out: list[asn1_x509.Certificate] = []
    for auth in authorities:
        cert = getattr(auth, "certificate", None)
        if isinstance(cert, asn1_x509.Certificate):
            out.append(cert)
    return out
