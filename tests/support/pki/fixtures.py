"""pytest fixtures for the generated PKI; import them in a conftest::

    from tests.support.pki.fixtures import pki, trust_dir, trust_store  # noqa: F401

All are session-scoped: the PKI is generated once per test session (about a
second) in a tmp directory and never mutated afterwards. Tests that need a
store with extra anchors build their own with ``TrustStore.from_directory``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .authority import TestPki, build_pki
from .trustlist import write_trust_directory


@pytest.fixture(scope="session")
def pki() -> TestPki:
    """Keys and certificates of the test PKI (see :mod:`tests.support.pki.authority`)."""
    return build_pki()


@pytest.fixture(scope="session")
def trust_dir(pki: TestPki, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A trust directory (pinned LOTL signer, signed LOTL, signed LV list) for the test PKI."""
    return write_trust_directory(pki, tmp_path_factory.mktemp("trust"))


@pytest.fixture(scope="session")
def trust_store(trust_dir: Path) -> Any:
    """``signature.trust.TrustStore`` read from :func:`trust_dir`; treat it as read-only."""
    from signature.trust import TrustStore

    return TrustStore.from_directory(trust_dir)
