"""Sealing benchmark: seals per second with an e-seal key on a SoftHSM2 token.

Run by hand, never by pytest::

    .venv/bin/python bench/seal_bench.py [--repeat N] [--warmup N] [--pdf-kb N]

Creates a throw-away demo token (``rightsdesk.demo_kit.seal.setup_demo``: ECDSA P-384 key
generated on the token) in a temporary directory and times, one seal after another
through one logged-in PKCS#11 session (``signature.sealing.Sealer``):

* ``token-sign``: one raw ECDSA P-384 signature on the token (the PKCS#11 floor);
* ``asice-10KB`` / ``asice-10MB``: ``Sealer.seal_files`` of one data file of that size:
  SHA-256 of the file, XAdES B-B, one token signature, ZIP (deflate) of the container;
* ``asice-10KB-software``: the same 10 KB seal with the key in software
  (``xades_sign.LocalKey``), to show what the token itself costs;
* ``pdf``: ``Sealer.seal_pdf`` (PAdES B-B via pyHanko, incremental update) of a PDF
  padded to ``--pdf-kb`` KB.

Level B only: a time-stamp or OCSP round trip would measure the network, not the seal.
Results go to ``bench/results/seal-<timestamp>.json`` (gitignored).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _time(action: Callable[[], object], *, repeat: int, warmup: int) -> dict[str, float]:
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    samples.sort()
    median = statistics.median(samples)
    return {
        "runs": repeat,
        "median_ms": round(median * 1000, 3),
        "p95_ms": round(samples[min(len(samples) - 1, int(0.95 * len(samples)))] * 1000, 3),
        "seals_per_second": round(1 / median, 1),
    }


def _padded_pdf(kilobytes: int) -> bytes:
    """A one-page PDF whose content stream carries ``kilobytes`` KB of text."""
    from rightsdesk.demo_kit.seal import sample_pdf

    return sample_pdf("rightsdesk seal benchmark " + "x" * (kilobytes * 1024))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--repeat-large", type=int, default=10, help="runs for the 10 MB package")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--pdf-kb", type=int, default=100)
    args = parser.parse_args(argv)

    from cryptography.hazmat.primitives.asymmetric import ec

    from rightsdesk.demo_kit.seal import setup_demo
    from signature.pkcs11_key import release_module
    from signature.sealing import SealConfig, Sealer
    from signature.xades_sign import LocalKey, build_asice

    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="seal-bench-") as tmp:
        demo = setup_demo(Path(tmp) / "hsm")
        config = SealConfig(module=demo.module, token_label=demo.token_label, key_label=demo.key_label,
                            pin_env=None, pin_file=Path(demo.pin_file))
        small = {"eksports.json": os.urandom(5 * 1024).hex().encode()}  # 10 KB, incompressible-ish text
        large = {"eksports.bin": os.urandom(10 * 1024 * 1024)}
        pdf = _padded_pdf(args.pdf_kb)
        with Sealer.open(config) as sealer:
            key = sealer.key
            results["token-sign"] = _time(lambda: key.sign(b"x" * 512, key.algorithm),
                                          repeat=args.repeat, warmup=args.warmup)
            results["asice-10KB"] = _time(lambda: sealer.seal_files(small), repeat=args.repeat, warmup=args.warmup)
            results["asice-10MB"] = _time(lambda: sealer.seal_files(large), repeat=args.repeat_large, warmup=1)
            software = LocalKey(ec.generate_private_key(ec.SECP384R1()), key.certificate_chain)
            results["asice-10KB-software"] = _time(lambda: build_asice(small, software),
                                                   repeat=args.repeat, warmup=args.warmup)
            results[f"pdf-{len(pdf) // 1024}KB"] = _time(lambda: sealer.seal_pdf(pdf), repeat=args.repeat,
                                                         warmup=args.warmup)
        release_module(demo.module)

    for case, figures in results.items():
        print(f"{case:22s} {figures['seals_per_second']:>8} /s   median {figures['median_ms']:>9} ms   "  # type: ignore[index]
              f"p95 {figures['p95_ms']:>9} ms")  # type: ignore[index]
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (out_dir / f"seal-{stamp}.json").write_text(json.dumps({
        "args": vars(args), "machine": {"python": platform.python_version(), "platform": platform.platform(),
                                        "cpus": os.cpu_count()},
        "results": results,
    }, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
