"""Fixtures for signature tests: the generated test PKI and its trust store.

The repository root is put on ``sys.path`` so ``tests.support`` imports under
pytest's default (prepend) import mode; ``pythonpath = ["."]`` in pyproject's
pytest options would make this unnecessary.
"""

from __future__ import annotations

import sys
from pathlib import Path

_REPO = str(Path(__file__).resolve().parents[3])
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)

from tests.support.pki.fixtures import pki, trust_dir, trust_store  # noqa: E402

__all__ = ["pki", "trust_dir", "trust_store"]
