"""``rightsdesk seal``: try sealing with a SoftHSM2 demo token.

    rightsdesk seal setup-demo [--dir DIR]   token, on-token key, demo CA and e-seal certificate
    rightsdesk seal test [--dir DIR]         seal a sample (ASiC-E and PDF) and validate both

Exit status: 0 when done (``test``: both seals validate TOTAL-PASSED as seals of a
legal person), 1 when a seal does not validate, 2 when sealing is impossible as
configured (the reason and what to do go to stderr).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from .errors import SignatureError
from .pkcs11_key import SealingError

DEFAULT_DIR = Path("seal-demo")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rightsdesk seal", description="Seal files with the controller's e-seal.")
    sub = p.add_subparsers(dest="command", required=True)
    setup = sub.add_parser("setup-demo", help="create a SoftHSM2 demo token with a demo e-seal")
    setup.add_argument("--dir", type=Path, default=DEFAULT_DIR, help=f"where to create it (default {DEFAULT_DIR})")
    setup.add_argument("--organisation", default="Demo Veikals SIA")
    setup.add_argument("--registration", default="40000000000", help="company register number (NTRLV-…)")
    test = sub.add_parser("test", help="seal a sample with the demo token and validate it")
    test.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    test.add_argument("--tsa", default=None, help="RFC 3161 time-stamp authority URL (seal at level T)")
    return p


def _setup(args: argparse.Namespace) -> int:
    from .demo_seal import setup_demo

    demo = setup_demo(args.dir, organisation=args.organisation, registration=args.registration)
    d = Path(demo.directory)
    print(f"SoftHSM2 token {demo.token_label!r} created in {d / 'tokens'} (config {demo.softhsm2_conf})")
    print(f"ECDSA P-384 key pair generated on the token, label {demo.key_label!r} (private key not extractable)")
    print(f"Demo CA (not trusted by anyone; its private key was discarded): {demo.ca_pem}")
    print(f"Demo e-seal certificate for {demo.organisation} (legal person, not qualified): {demo.cert_pem}")
    print("Both certificates are stored on the token too.")
    print(f"User PIN: in {demo.pin_file} (mode 600); it is not printed.")
    print("\nTry:")
    print(f"  rightsdesk seal test --dir {d}")
    print(f"  rightsdesk verify {d / 'sample.asice'} --anchor {demo.ca_pem}")
    print(f"  rightsdesk verify {d / 'sample-sealed.pdf'} --anchor {demo.ca_pem}")
    print(f"\nOther PKCS#11 tools: SOFTHSM2_CONF={demo.softhsm2_conf} softhsm2-util --show-slots")
    return 0


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


def _test(args: argparse.Namespace) -> int:
    from .demo_seal import DemoToken, activate, sample_pdf
    from .sealing import SealConfig, Sealer

    demo = DemoToken.load(args.dir.resolve())
    activate(demo)
    config = SealConfig(module=demo.module, token_label=demo.token_label, key_label=demo.key_label,
                        pin_env=None, pin_file=Path(demo.pin_file), tsa_url=args.tsa)
    d = Path(demo.directory)
    with Sealer.open(config) as sealer:
        container = sealer.seal_files({"sample.txt": b"rightsdesk: a sealed sample reply.\n"})
        pdf = sealer.seal_pdf(sample_pdf())
    (d / "sample.asice").write_bytes(container)
    (d / "sample-sealed.pdf").write_bytes(pdf)
    print(f"Sealed {d / 'sample.asice'} and {d / 'sample-sealed.pdf'}; validating against the demo anchor:")
    ok = _verdict("sample.asice", container, Path(demo.ca_pem)) & _verdict("sample-sealed.pdf", pdf,
                                                                            Path(demo.ca_pem))
    print("\nA seal proves the controller issued the content unaltered; it never verifies a natural person, so "
          "`rightsdesk verify` exits 1 for it. The demo anchor is not on a trusted list: AdESeal, not QESeal.")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        return _setup(args) if args.command == "setup-demo" else _test(args)
    except SealingError as exc:
        print(f"seal: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    except (OSError, SignatureError) as exc:
        print(f"seal: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
