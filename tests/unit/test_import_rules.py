"""The house's dependency rules (docs/architecture.md), checked on every import statement.

Dependencies point inward: the domain knows only the standard library; the engine knows no
channel; channels (e-mail, chat, staff console) never import each other and meet only in the
engine; the signature library is a leaf that imports nothing of the project; and only the
composition root (``rightsdesk/``) wires them together, so nothing else imports it. Imports
inside functions count too: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ("workflows", "signature", "mail_intake", "bot", "staff", "rightsdesk")
CHANNELS = ("mail_intake", "bot", "staff")


def _imports(package: str) -> Iterator[tuple[str, str]]:
    """(module path, imported module) for every absolute import under ``package``."""
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                yield str(path.relative_to(ROOT)), name


def _top(name: str) -> str:
    return name.split(".")[0]


def test_the_domain_imports_only_the_standard_library_and_itself() -> None:
    offenders = [
        (module, name)
        for module, name in _imports("workflows/domain")
        if _top(name) not in sys.stdlib_module_names
        and _top(name) != "__future__"
        and not name.startswith("workflows.domain")
    ]
    assert offenders == []


def test_the_engine_imports_no_channel_and_not_the_composition_root() -> None:
    offenders = [(m, n) for m, n in _imports("workflows") if _top(n) in (*CHANNELS, "rightsdesk")]
    assert offenders == []


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_channel_never_imports_another_channel(channel: str) -> None:
    others = set(CHANNELS) - {channel}
    offenders = [(m, n) for m, n in _imports(channel) if _top(n) in others]
    assert offenders == []


def test_the_signature_library_imports_nothing_of_the_project() -> None:
    offenders = [(m, n) for m, n in _imports("signature") if _top(n) in PROJECT and _top(n) != "signature"]
    assert offenders == []


@pytest.mark.parametrize("package", [p for p in PROJECT if p != "rightsdesk"])
def test_only_entrypoints_import_the_composition_root(package: str) -> None:
    offenders = [(m, n) for m, n in _imports(package) if _top(n) == "rightsdesk"]
    assert offenders == []
