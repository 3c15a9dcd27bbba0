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
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from rightsdesk.settings import Settings
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
