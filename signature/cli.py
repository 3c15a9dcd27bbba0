"""``rightsdesk verify FILE``: validate a signed file and say what it proves.

Exit status: 0 for a TOTAL-PASSED qualified electronic signature (QESig) of a
natural person (the only thing that verifies a requester), 1 for anything
else, 2 when the input cannot be validated at all (reason on stderr).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .errors import SignatureError, TrustListError, UnusableInput
from .report import SignatureReport, Signer, ValidationReport


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rightsdesk verify", description="Validate an e-signed file (eIDAS).")
    p.add_argument("file", type=Path)
    p.add_argument(
        "--trust", type=Path, default=None, help="trusted-list directory (LOTL, national TLs, lotl-signers/)"
    )
    p.add_argument(
        "--anchor", type=Path, action="append", default=[], help="extra, non-qualified trust anchor (PEM/DER)"
    )
    p.add_argument("--at", default=None, help="validation time, ISO 8601 (default: now)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--online", action="store_true", help="allow fetching OCSP/CRL/AIA over the network")
    return p


def _signer_json(signer: Signer | None) -> dict[str, Any] | None:
    if signer is None:
        return None
    return {
        "name": signer.name,
        "country": signer.country,
        "semantics_identifier": signer.semantics_identifier,
        "personal_code": signer.personal_code,
        "is_natural_person": signer.is_natural_person,
        "organisation": signer.organisation,
    }


def signature_json(sig: SignatureReport) -> dict[str, Any]:
    return {
        "signature_id": sig.signature_id,
        "format": sig.format.value,
        "indication": sig.indication.value,
        "subindication": sig.subindication.value if sig.subindication else None,
        "qualification": sig.qualification.value,
        "proves_natural_person": sig.proves_natural_person,
        "signer": _signer_json(sig.signer),
        "signing_time": sig.signing_time.isoformat() if sig.signing_time else None,
        "signing_time_source": sig.signing_time_source,
        "signed_files": [
            {"name": f.name, "digest_algorithm": f.digest_algorithm, "digest": f.digest_hex, "size": f.size}
            for f in sig.signed_files
        ],
        "warnings": list(sig.warnings),
        "reason": sig.reason,
        "checks": [{"check": c, "outcome": o} for c, o in sig.checks],
    }


def report_json(report: ValidationReport) -> dict[str, Any]:
    """Top level = the best signature; ``signatures`` lists them all."""
    best = report.best
    top: dict[str, Any] = (
        signature_json(best)
        if best
        else {
            "indication": None,
            "subindication": None,
            "qualification": None,
            "signer": None,
            "signing_time": None,
            "signed_files": [],
            "warnings": [],
            "reason": "no signature",
        }
    )
    top["warnings"] = [*top["warnings"], *report.warnings]
    top.update(
        source=report.source,
        container=report.container,
        validated_at=report.validated_at.isoformat() if report.validated_at else None,
        proves_natural_person=report.proves_natural_person,
        unsigned_files=list(report.unsigned_files),
        signatures=[signature_json(s) for s in report.signatures],
    )
    return top


def _text(report: ValidationReport, trust_note: str) -> str:
    lines = [f"File: {report.source} ({report.container}), validated at {report.validated_at}", trust_note]
    for i, sig in enumerate(report.signatures, 1):
        verdict = sig.indication.value + (f" / {sig.subindication.value}" if sig.subindication else "")
        lines.append(
            f"\nSignature {i}{f' ({sig.signature_id})' if sig.signature_id else ''}: "
            f"{verdict}, {sig.qualification.value}"
        )
        lines.append(f"  Reason: {sig.reason}")
        if sig.signer:
            kind = "natural person" if sig.signer.is_natural_person else "legal person (e-seal)"
            lines.append(
                f"  Signer: {sig.signer.name} [{sig.signer.semantics_identifier or '-'}], "
                f"{sig.signer.country or '-'}, {kind}"
            )
        if sig.signing_time:
            lines.append(f"  Signing time: {sig.signing_time.isoformat()} ({sig.signing_time_source})")
        for f in sig.signed_files:
            lines.append(f"  Signed file: {f.name} ({f.digest_algorithm} {f.digest_hex[:16]}…)")
        lines.append("  Checks:")
        lines.extend(f"    - {name}: {outcome}" for name, outcome in sig.checks)
        lines.extend(f"  Warning: {w}" for w in sig.warnings)
    for name in report.unsigned_files:
        lines.append(f"\nNOT SIGNED: {name}")
    lines.extend(f"Note: {w}" for w in report.warnings)
    verdict = (
        "VERIFIED: a qualified electronic signature of a natural person"
        if report.proves_natural_person
        else "NOT VERIFIED as a natural person's qualified signature"
    )
    lines.append(f"\nVerdict: {verdict}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # pyHanko logs tracebacks for expected path-building failures; they are in the report.
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    from .trust import TrustStore
    from .validate import validate_file

    try:
        at = datetime.fromisoformat(args.at) if args.at else None
        if at is not None and at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
    except ValueError:
        print(f"verify: --at is not an ISO 8601 time: {args.at!r}", file=sys.stderr)
        return 2
    try:
        store = TrustStore.from_directory(args.trust) if args.trust else TrustStore()
        for anchor in args.anchor:
            store.add_anchor(anchor.read_bytes())
        data = args.file.read_bytes()
        report = validate_file(data, filename=args.file.name, store=store, at=at, online=args.online)
    except UnusableInput as exc:
        print(f"verify: cannot validate {args.file}: {exc}", file=sys.stderr)
        return 2
    except TrustListError as exc:
        print(f"verify: trust material unusable: {exc}", file=sys.stderr)
        return 2
    except (OSError, SignatureError) as exc:
        print(f"verify: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report_json(report), ensure_ascii=False, indent=2))
    else:
        lists = ", ".join(f"{x.territory} seq {x.sequence}" for x in store.lists if x.kind == "tl")
        trust_note = f"Trusted lists: {lists}" if lists else "Trusted lists: none (nothing can be qualified)"
        if store.extra_anchors:
            trust_note += f"; {len(store.extra_anchors)} extra non-qualified anchor(s)"
        print(_text(report, trust_note))
    return 0 if report.proves_natural_person else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
