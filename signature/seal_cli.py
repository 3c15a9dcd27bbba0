"""``rightsdesk seal test``: seal a sample with a PKCS#11 key and validate both seals.

:func:`seal_test` seals a text file into an ASiC-E (XAdES) and a PDF (PAdES), writes them to
a directory and validates each against one trust anchor. The command line, and the SoftHSM2
demo token it usually runs against (``rightsdesk seal setup-demo``), belong to the composition
root (``rightsdesk.sealing``, ``rightsdesk.demo_kit.seal``): this library knows only a
:class:`~signature.sealing.SealConfig` and the anchor.

Exit status: 0 when both seals validate TOTAL-PASSED as seals of a legal person, 1 when a
seal does not validate; a token that cannot seal raises ``SealingError``.
"""

from __future__ import annotations

from pathlib import Path

from .sealing import SealConfig, Sealer

SAMPLE_NAME = "sample.txt"
SAMPLE_TEXT = b"rightsdesk: a sealed sample reply.\n"
CONTAINER_NAME = "sample.asice"
SEALED_PDF_NAME = "sample-sealed.pdf"


def _verdict(name: str, data: bytes, ca_pem: Path) -> bool:
    from .trust import TrustStore
    from .validate import validate_file

    store = TrustStore()
    store.add_anchor(ca_pem.read_bytes())
    report = validate_file(data, filename=name, store=store)
    best = report.best
    if best is None:
        print(f"{name}: no signature found")
        return False
    kind = "legal person (e-seal)" if best.signer and not best.signer.is_natural_person else "natural person"
    who = best.signer.name if best.signer else "-"
    sub = f" / {best.subindication.value}" if best.subindication else ""
    print(f"{name}: {best.indication.value}{sub}, {best.qualification.value}; signer {who} [{kind}]")
    print(f"  reason: {best.reason}")
    return best.indication.value == "TOTAL-PASSED" and best.signer is not None and not best.signer.is_natural_person


def seal_test(config: SealConfig, *, anchor_pem: Path, directory: Path, pdf: bytes) -> int:
    """Seal the sample text and ``pdf`` with ``config``'s key, write both into ``directory``, validate them.

    A seal proves origin and integrity (eIDAS Art. 36, Art. 35(2) for a qualified one); it never
    identifies a natural person, so the verdict asks for a legal person's seal.

    :raises SealingError: the module, token, PIN, key or certificate is unusable.
    """
    with Sealer.open(config) as sealer:
        container = sealer.seal_files({SAMPLE_NAME: SAMPLE_TEXT})
        sealed_pdf = sealer.seal_pdf(pdf)
    (directory / CONTAINER_NAME).write_bytes(container)
    (directory / SEALED_PDF_NAME).write_bytes(sealed_pdf)
    print(f"Sealed {directory / CONTAINER_NAME} and {directory / SEALED_PDF_NAME}; "
          "validating against the demo anchor:")
    ok = _verdict(CONTAINER_NAME, container, anchor_pem) & _verdict(SEALED_PDF_NAME, sealed_pdf, anchor_pem)
    print("\nA seal proves the controller issued the content unaltered; it never verifies a natural person, so "
          "`rightsdesk verify` exits 1 for it. The demo anchor is not on a trusted list: AdESeal, not QESeal.")
    return 0 if ok else 1
