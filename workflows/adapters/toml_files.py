"""Reading the project's TOML configuration files (controller profile, data map) the same way:
every failure becomes one ConfigurationError naming the file, and pydantic locations become
key paths a person can find in the file (``purposes[2].legal_basis``)."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from workflows.domain.errors import ConfigurationError


def read_toml(path: Path) -> dict[str, Any]:
    where = str(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"{where}: cannot read the file ({exc.strerror})", path=where) from exc
    except UnicodeDecodeError as exc:
        raise ConfigurationError(f"{where}: not UTF-8 text (byte {exc.start})", path=where) from exc
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message carries "(at line N, column M)".
        raise ConfigurationError(f"{where}: TOML syntax error: {exc}", path=where) from exc


def key_path(loc: Sequence[int | str]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else ("." if text else "") + part
    return text or "(top level)"
