"""Signature validation benchmark: rightsdesk next to signxml and pyHanko.

Run by hand, never by pytest::

    .venv/bin/python bench/signature_bench.py [--repeat N] [--warmup N] [--profile CASE]

Builds the generated test PKI and its trusted lists in a temporary directory
(``tests/support/pki``), generates a 10 KB and a 5 MB LVRTC EDOC 2.0 container
(XAdES-LT: signature time-stamp + OCSP + CertificateValues), a PAdES-B-LT PDF and
an S/MIME ``multipart/signed`` message (``tests/support/samples``), and times:

* rightsdesk: ``signature.validate.validate_file`` with the trust store: the full
  EN 319 102-1 procedure (ZIP rules, references, SignatureValue, SigningCertificate,
  time-stamp, path + revocation at the best signature time, TS 119 615 qualification);
* signxml core-only: ``XAdESVerifier.verify`` of the same signature XML with
  ``x509_cert`` = the signer certificate and a uri resolver over the container's data
  files (references, SignatureValue, SigningCertificate digest; no path, revocation,
  time-stamp or qualification). Opening the ZIP is timed on both sides;
* pyHanko: ``validate_pdf_signature`` of the same PDF with a ValidationContext holding
  the same trust roots and the DSS revocation data (path, revocation, time-stamp,
  difference analysis; no trusted-list qualification), next to ``signature.pades.validate_pdf``.

Goals: ``.edoc`` full validation <= 1.5x signxml core-only; PDF no slower
than pyHanko. Rightsdesk and its peer run interleaved (A, B, A, B...) so load from
other processes on the machine hits both alike. Results go to
``bench/results/signature-<timestamp>.json`` (gitignored).
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import unquote

REPO = Path(__file__).resolve().parents[1]
RESULTS_DIR = REPO / "bench" / "results"
EDOC_GOAL = 1.5
PDF_GOAL = 1.0


# -- samples -------------------------------------------------------------------

@dataclass
class Samples:
    pki: Any
    store: Any
    edocs: dict[str, bytes]
    pdf: bytes
    smime: bytes


def _incompressible(size: int, seed: int) -> bytes:
    """Deterministic random bytes: a scanned PDF or photo does not compress either."""
    return random.Random(seed).randbytes(max(size, 0))


def _edoc_of_size(pki: Any, target: int) -> bytes:
    """An EDOC 2.0 container of about ``target`` bytes (XAdES-LT, one data file)."""
    from tests.support.samples.asice import edoc

    probe = edoc(pki, pki.person, {"pielikums.bin": b"x"})
    overhead = len(probe) - 1
    return edoc(pki, pki.person, {"pielikums.bin": _incompressible(target - overhead, target)})


def build_samples(workdir: Path) -> Samples:
    from signature.trust import TrustStore
    from tests.support.pki import build_pki, write_trust_directory
    from tests.support.samples.pdf import sign_pdf
    from tests.support.samples.smime import multipart_signed

    # pyHanko warns that it embeds revocation data without fetching: intended here (offline PKI).
    logging.getLogger("pyhanko").setLevel(logging.ERROR)
    pki = build_pki()
    store = TrustStore.from_directory(write_trust_directory(pki, workdir / "trust"))
    edocs = {"edoc 10 KB": _edoc_of_size(pki, 10 * 1024), "edoc 5 MB": _edoc_of_size(pki, 5 * 1024 * 1024)}
    return Samples(pki, store, edocs, sign_pdf(pki, pki.person), multipart_signed(pki, pki.person))


# -- the timed operations --------------------------------------------------------

def rightsdesk_validate(data: bytes, filename: str, store: Any) -> Callable[[], None]:
    from signature.validate import validate_file

    def run() -> None:
        report = validate_file(data, filename=filename, store=store)
        if not report.proves_natural_person:
            best = report.best
            raise RuntimeError(f"rightsdesk did not pass {filename}: {best.reason if best else report.warnings}")

    return run


def signxml_core(data: bytes, signer_cert: Any) -> Callable[[], None]:
    """signxml core-only XAdES verification, reading the ZIP as rightsdesk does."""
    from signxml.xades.xades import XAdESSignatureConfiguration, XAdESVerifier

    config = XAdESSignatureConfiguration(expect_references=True)

    def run() -> None:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            entries = {i.filename: zf.read(i) for i in zf.infolist() if not i.is_dir()}
        sig_name = next(n for n in entries if n.startswith("META-INF/") and "signatures" in n)
        files = {n: b for n, b in entries.items() if n != "mimetype" and not n.startswith("META-INF/")}
        results = XAdESVerifier().verify(
            entries[sig_name], x509_cert=signer_cert, expect_config=config,
            uri_resolver=lambda uri: files[unquote(uri)],
        )
        if len(results) != len(files) + 1:
            raise RuntimeError("signxml verified an unexpected number of references")

    return run


def rightsdesk_core(data: bytes) -> Callable[[], None]:
    """rightsdesk's own XMLDSig core in signxml's scope: ZIP, references, SignatureValue, signing cert.

    Stricter than signxml on the certificate (KeyInfo certificate matched by digest *and*
    issuer-serial, not handed over), and no path, revocation, time-stamp or qualification.
    """
    from asn1crypto import x509 as asn1_x509
    from cryptography.x509 import load_der_x509_certificate

    from signature import xmldsig
    from signature.asic import read_asic
    from signature.safexml import parse_untrusted_xml
    from signature.xades_props import match_signing_certificate, read_signing_cert_refs

    def run() -> None:
        container = read_asic(data)
        for name, xml in container.signature_documents.items():
            root = parse_untrusted_xml(xml, what=name)
            ids = xmldsig.index_ids(root)
            for sig in root.findall("ds:Signature", xmldsig.NS):
                core = xmldsig.verify_references(sig, ids, container.data_files)
                if core.signed_properties is None:
                    raise RuntimeError("no SignedProperties")
                refs = read_signing_cert_refs(core.signed_properties)
                cert_el = sig.find("ds:KeyInfo/ds:X509Data/ds:X509Certificate", xmldsig.NS)
                cert = asn1_x509.Certificate.load(xmldsig.b64decode(cert_el.text if cert_el is not None else ""))
                key = load_der_x509_certificate(cert.dump()).public_key()
                ok, _ = xmldsig.verify_signature_value(sig, key)
                if core.problems or match_signing_certificate(cert, refs) != "match" or not ok:
                    raise RuntimeError("rightsdesk core verification failed")

    return run


def pyhanko_validate(data: bytes, store: Any) -> Callable[[], None]:
    """pyHanko's own PDF validation with the same roots and the embedded (DSS) revocation data."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.dss import DocumentSecurityStore
    from pyhanko.sign.validation.settings import KeyUsageConstraints

    roots = list(store.trust_roots())
    usage = KeyUsageConstraints(key_usage={"non_repudiation", "digital_signature"}, match_all_key_usages=False)

    def run() -> None:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        sig = reader.embedded_regular_signatures[0]
        vc = DocumentSecurityStore.read_dss(reader).as_validation_context(
            {"trust_roots": roots, "allow_fetching": False, "revocation_mode": "hard-fail"}
        )
        status = validate_pdf_signature(sig, signer_validation_context=vc, key_usage_settings=usage)
        if not status.bottom_line:
            raise RuntimeError(f"pyHanko did not pass the PDF: {status.summary()}")

    return run


# -- timing ----------------------------------------------------------------------

@dataclass
class Timing:
    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        if len(self.samples) < 2:
            return self.samples[0]
        return statistics.quantiles(self.samples, n=20, method="inclusive")[18]

    def as_json(self) -> dict[str, Any]:
        return {"median_s": self.median, "p95_s": self.p95, "min_s": min(self.samples),
                "max_s": max(self.samples), "n": len(self.samples), "samples_s": self.samples}


def measure(ops: list[Callable[[], None]], *, repeat: int, warmup: int) -> list[Timing]:
    """Time each op ``repeat`` times after ``warmup`` calls, interleaved."""
    for _ in range(warmup):
        for op in ops:
            op()
    timings = [Timing() for _ in ops]
    for _ in range(repeat):
        for op, timing in zip(ops, timings, strict=True):
            start = time.perf_counter()
            op()
            timing.samples.append(time.perf_counter() - start)
    return timings


@dataclass
class Case:
    name: str
    size: int
    rightsdesk_includes: str
    rightsdesk: Timing
    peer_name: str | None = None
    peer_includes: str | None = None
    peer: Timing | None = None
    goal: float | None = None
    informational: bool = False
    """A goal shown for orientation; the issue's goals are the other rows."""

    @property
    def ratio(self) -> float | None:
        return self.rightsdesk.median / self.peer.median if self.peer else None

    @property
    def goal_met(self) -> bool | None:
        ratio = self.ratio
        return None if ratio is None or self.goal is None else ratio <= self.goal

    def as_json(self) -> dict[str, Any]:
        return {"case": self.name, "input_bytes": self.size, "rightsdesk_includes": self.rightsdesk_includes,
                "rightsdesk": self.rightsdesk.as_json(), "peer": self.peer_name,
                "peer_includes": self.peer_includes, "peer_timing": self.peer.as_json() if self.peer else None,
                "ratio_median": self.ratio, "goal_ratio_at_most": self.goal, "goal_met": self.goal_met,
                "informational": self.informational}


RD_EDOC = "validate_file: ZIP rules, refs, SignatureValue, SigningCertificate, TST, path+OCSP, qualification"
RD_CORE = "ZIP rules + refs + SignatureValue + KeyInfo cert vs SigningCertificate (digest and issuer-serial)"
SX_EDOC = "ZIP read + XAdESVerifier (schema, refs, SignatureValue, cert digest); no path/revocation/TST"
RD_PDF = "validate_file -> pades.validate_pdf: pyHanko validation x2 contexts, LTV, qualification"
PH_PDF = "PdfFileReader + DSS -> ValidationContext + validate_pdf_signature (diff analysis, TST, path)"
RD_MIME = "validate_file -> smime: MIME split, CMS via pyHanko, path+OCSP, qualification"


def run_cases(samples: Samples, *, repeat: int, warmup: int) -> list[Case]:
    store, cert = samples.store, samples.pki.person.cert
    cases = []
    for name, data in samples.edocs.items():
        rd, core, sx = measure(
            [rightsdesk_validate(data, "request.edoc", store), rightsdesk_core(data), signxml_core(data, cert)],
            repeat=repeat, warmup=warmup,
        )
        cases.append(Case(name, len(data), RD_EDOC, rd, "signxml core-only", SX_EDOC, sx, EDOC_GOAL))
        cases.append(Case(f"{name}, core only", len(data), RD_CORE, core, "signxml core-only", SX_EDOC, sx,
                          EDOC_GOAL, informational=True))
    rd, ph = measure([rightsdesk_validate(samples.pdf, "request.pdf", store), pyhanko_validate(samples.pdf, store)],
                     repeat=repeat, warmup=warmup)
    cases.append(Case("PAdES-B-LT PDF", len(samples.pdf), RD_PDF, rd, "pyHanko", PH_PDF, ph, PDF_GOAL))
    (rd,) = measure([rightsdesk_validate(samples.smime, "request.eml", store)], repeat=repeat, warmup=warmup)
    cases.append(Case("S/MIME multipart/signed", len(samples.smime), RD_MIME, rd))
    return cases


# -- output ----------------------------------------------------------------------

def machine() -> dict[str, Any]:
    mem_total = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_total = int(line.split()[1]) * 1024
    except OSError:
        pass
    versions: dict[str, str | None] = {}
    for dist in ("pyHanko", "pyhanko-certvalidator", "signxml", "lxml", "cryptography", "asn1crypto"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    return {"nproc": os.cpu_count(), "memory_bytes": mem_total, "loadavg": list(os.getloadavg()),
            "platform": platform.platform(), "python": platform.python_version(),
            "cpu": platform.processor() or platform.machine(), "versions": versions}


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f}"


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.2f} MB" if n >= 1024 * 1024 else f"{n / 1024:.1f} KB"


def print_report(cases: list[Case], info: dict[str, Any], *, repeat: int, warmup: int) -> None:
    mem = info["memory_bytes"]
    print(f"machine: nproc={info['nproc']}, memory={mem / 2**30:.1f} GiB, load={info['loadavg'][0]:.2f}, "
          f"python {info['python']}, {info['platform']}" if mem else f"machine: nproc={info['nproc']}")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()))
    print(f"repeat={repeat} warm-up={warmup}; times in ms (median / p95), peer interleaved with rightsdesk\n")
    head = f"{'case':<26} {'size':>9} {'rightsdesk':>19} {'peer':<18} {'peer time':>19} {'ratio':>6} {'goal':>6}  met"
    print(head)
    print("-" * len(head))
    for c in cases:
        rd = f"{_ms(c.rightsdesk.median)} /{_ms(c.rightsdesk.p95)}"
        if c.peer is None:
            print(f"{c.name:<26} {_size(c.size):>9} {rd:>19} {'(no named peer)':<18} {'-':>19} {'-':>6} {'-':>6}  -")
            continue
        pt = f"{_ms(c.peer.median)} /{_ms(c.peer.p95)}"
        met = ("yes" if c.goal_met else "no") + (" (info)" if c.informational else "")
        print(f"{c.name:<26} {_size(c.size):>9} {rd:>19} {c.peer_name or '':<18} {pt:>19} "
              f"{c.ratio:>6.2f} {'<=' + format(c.goal, '.1f'):>6}  {met}")
    print("\nwhat each side includes:")
    seen: set[str] = set()
    for c in cases:
        for who, text in ((f"rightsdesk ({c.name})", c.rightsdesk_includes), (c.peer_name, c.peer_includes)):
            if who and text and text not in seen:
                seen.add(text)
                print(f"  {who}: {text}")
    print("  both .edoc sides: the trust store is loaded once, outside the timing (as in a running service)")


def write_json(cases: list[Case], info: dict[str, Any], *, repeat: int, warmup: int) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"signature-{stamp}.json"
    payload = {"benchmark": "signature", "issue": 3, "run_at": stamp, "repeat": repeat, "warmup": warmup,
               "machine": info, "cases": [c.as_json() for c in cases]}
    path.write_text(json.dumps(payload, indent=2))
    return path


def profile_case(samples: Samples, case: str, repeat: int) -> None:
    """cProfile the rightsdesk side of one case (top functions by cumulative and own time)."""
    import cProfile
    import pstats

    inputs = {**samples.edocs, "pdf": samples.pdf, "smime": samples.smime}
    if case not in inputs:
        raise SystemExit(f"--profile takes one of {sorted(inputs)}")
    op = rightsdesk_validate(inputs[case], "request", samples.store)
    op()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeat):
        op()
    profiler.disable()
    stats = pstats.Stats(profiler).strip_dirs()
    stats.sort_stats("cumulative").print_stats(35)
    stats.sort_stats("tottime").print_stats(20)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per side and case (default 20)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs first (default 2)")
    parser.add_argument("--profile", metavar="CASE", help="cProfile rightsdesk on 'edoc 10 KB', 'edoc 5 MB', "
                        "'pdf' or 'smime' instead of benchmarking")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.warmup < 0:
        parser.error("--repeat must be >= 1 and --warmup >= 0")
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    with tempfile.TemporaryDirectory(prefix="rightsdesk-sigbench-") as tmp:
        print("building the test PKI, trusted lists and samples...", flush=True)
        samples = build_samples(Path(tmp))
        if args.profile:
            profile_case(samples, args.profile, args.repeat)
            return 0
        cases = run_cases(samples, repeat=args.repeat, warmup=args.warmup)
    info = machine()
    print_report(cases, info, repeat=args.repeat, warmup=args.warmup)
    print(f"\nJSON: {write_json(cases, info, repeat=args.repeat, warmup=args.warmup).relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
