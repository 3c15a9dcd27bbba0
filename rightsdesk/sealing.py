"""The controller's electronic seal for export packages: ``PackageSealer`` over ``signature.sealing``.

``workflows`` never imports ``signature``: the engine asks a ``PackageSealer`` (a port in
``workflows.adapters.connectors.export_package``) to seal a written package, and this
adapter, built by the composition root from ``[seal]``, does it with the PKCS#11 key.

The container is an ASiC-E (EN 319 162-1) holding the ZIP byte for byte under one XAdES
seal (EN 319 132-1; B-T with a time-stamp authority), written as ``<package>.asice`` next
to the ZIP. A qualified electronic seal is presumed to guarantee the integrity and origin
of the data (eIDAS Art. 35(2)).

One logged-in token session is opened on the first seal and reused until :meth:`close`
(logging in per package would be slow, and every wrong PIN counts towards locking the
token). A token that failed is dropped and reopened on the next attempt.

``rightsdesk seal`` (:func:`seal_command`) tries sealing out with a SoftHSM2 demo token:

    rightsdesk seal setup-demo [--dir DIR]   token, on-token key, demo CA and e-seal certificate
    rightsdesk seal test [--dir DIR]         seal a sample (ASiC-E and PDF) and validate both

Exit status: 0 when done (``test``: both seals validate TOTAL-PASSED as seals of a legal
person), 1 when a seal does not validate, 2 when sealing is impossible as configured (the
reason and what to do go to stderr). The demo token is :mod:`rightsdesk.demo_kit.seal`'s;
sealing and validating the sample is the signature library's (``signature.seal_cli``).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from pathlib import Path

from rightsdesk.settings import Settings
from signature.errors import SignatureError
from signature.sealing import SealConfig, Sealer, SealingError
from workflows.adapters.connectors.export_package import PackageSealingError

log = logging.getLogger(__name__)

CONTAINER_SUFFIX = ".asice"


def seal_config(settings: Settings) -> SealConfig:
    """``[seal]`` as the signature library's configuration (relative paths against the config's folder)."""
    s = settings.seal
    return SealConfig(
        module=s.module,
        token_label=s.token_label,
        key_label=s.key_label,
        pin_env=s.pin_env or None,
        pin_file=settings.resolve(s.pin_file) if s.pin_file else None,
        cert_pem=tuple(settings.resolve(p) for p in s.cert_pem),
        tsa_url=s.tsa_url or None,
    )


def open_sealer(config: SealConfig) -> Sealer:
    """Log in to the token: the check ``rightsdesk config check`` runs, and the first seal.

    :raises SealingError: module, token, PIN, key or certificate unusable (``remedy`` says what to do).
    """
    return Sealer.open(config)


class ControllerSeal:
    """Seals export packages into ASiC-E containers with the controller's e-seal (a ``PackageSealer``)."""

    def __init__(self, config: SealConfig) -> None:
        self.config = config
        self._sealer: Sealer | None = None
        self._lock = threading.Lock()

    def _open(self) -> Sealer:
        with self._lock:
            if self._sealer is None:
                self._sealer = open_sealer(self.config)
            return self._sealer

    def _drop(self) -> None:
        with self._lock:
            sealer, self._sealer = self._sealer, None
        if sealer is not None:
            try:
                sealer.close()
            except SealingError:
                log.debug("closing a failed token session failed as well", exc_info=True)

    def seal(self, path: Path) -> Path:
        """Write ``<path>.asice`` holding ``path`` under the seal; returns its path.

        :raises PackageSealingError: with ``permanent`` False when retrying may help.
        """
        target = path.with_name(path.name + CONTAINER_SUFFIX)
        partial = target.with_name(target.name + ".part")
        try:
            # The signature library seals bytes in memory: the package is read whole here.
            data = path.read_bytes()
            container = self._open().seal_files({path.name: data})
        except SealingError as error:
            if not error.permanent:
                self._drop()  # a lost session is reopened on the next attempt
            raise PackageSealingError(
                f"the export package cannot be sealed: {type(error).__name__}: {error.remedy}",
                permanent=error.permanent,
                module=self.config.module,
                token_label=self.config.token_label,
                key_label=self.config.key_label,
                package=path.name,
            ) from error
        except OSError as error:
            raise PackageSealingError(
                f"the export package {path.name} cannot be read for sealing ({type(error).__name__})",
                permanent=False,
                package=path.name,
            ) from error
        partial.write_bytes(container)
        os.replace(partial, target)  # never a half container under the final name
        log.info("sealed export package %s into %s", path.name, target.name)
        return target

    def close(self) -> None:
        self._drop()


DEMO_DIR = Path("seal-demo")


def _seal_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rightsdesk seal", description="Seal files with the controller's e-seal.")
    sub = p.add_subparsers(dest="command", required=True)
    setup = sub.add_parser("setup-demo", help="create a SoftHSM2 demo token with a demo e-seal")
    setup.add_argument("--dir", type=Path, default=DEMO_DIR, help=f"where to create it (default {DEMO_DIR})")
    setup.add_argument("--organisation", default="Demo Veikals SIA")
    setup.add_argument("--registration", default="40000000000", help="company register number (NTRLV-…)")
    test = sub.add_parser("test", help="seal a sample with the demo token and validate it")
    test.add_argument("--dir", type=Path, default=DEMO_DIR)
    test.add_argument("--tsa", default=None, help="RFC 3161 time-stamp authority URL (seal at level T)")
    return p


def _setup_demo(args: argparse.Namespace) -> int:
    from rightsdesk.demo_kit.seal import setup_demo

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


def _test_demo(args: argparse.Namespace) -> int:
    from rightsdesk.demo_kit.seal import DemoToken, activate, sample_pdf
    from signature.seal_cli import seal_test

    demo = DemoToken.load(args.dir.resolve())
    activate(demo)
    config = SealConfig(module=demo.module, token_label=demo.token_label, key_label=demo.key_label,
                        pin_env=None, pin_file=Path(demo.pin_file), tsa_url=args.tsa)
    return seal_test(config, anchor_pem=Path(demo.ca_pem), directory=Path(demo.directory), pdf=sample_pdf())


def seal_command(argv: list[str] | None = None) -> int:
    """``rightsdesk seal setup-demo|test``; returns the exit status (see the module docstring)."""
    args = _seal_parser().parse_args(argv)
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        return _setup_demo(args) if args.command == "setup-demo" else _test_demo(args)
    except (SealingError, OSError, SignatureError) as exc:
        print(f"seal: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
