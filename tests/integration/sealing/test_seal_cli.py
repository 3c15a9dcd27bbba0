"""`rightsdesk seal setup-demo` then `rightsdesk seal test`, as an operator would try them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rightsdesk.demo_kit.seal import find_softhsm_module
from rightsdesk.sealing import seal_command
from signature.pkcs11_key import release_module


@pytest.fixture
def demo_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("SOFTHSM2_CONF", str(tmp_path / "unset.conf"))  # the CLI repoints it; restored after
    yield tmp_path / "demo"
    release_module(find_softhsm_module())


def test_setup_demo_then_seal_test_seals_and_validates_a_sample(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert seal_command(["setup-demo", "--dir", str(demo_dir)]) == 0
    pin = (demo_dir / "pin").read_text(encoding="utf-8").strip()

    status = seal_command(["test", "--dir", str(demo_dir)])

    said = capsys.readouterr().out
    assert status == 0
    assert said.count("TOTAL-PASSED, AdESeal") == 2 and "legal person (e-seal)" in said
    assert pin not in said


def test_setup_demo_refuses_to_overwrite_a_token(demo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seal_command(["setup-demo", "--dir", str(demo_dir)])

    assert seal_command(["setup-demo", "--dir", str(demo_dir)]) == 2
    assert "already holds a demo token" in capsys.readouterr().err


def test_seal_test_without_a_demo_token_says_to_run_setup(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert seal_command(["test", "--dir", str(tmp_path / "nothing-here")]) == 2
    assert "setup-demo" in capsys.readouterr().err
