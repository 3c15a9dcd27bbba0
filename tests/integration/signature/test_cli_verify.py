"""``rightsdesk verify``: exit 0 only for a natural person's QES, 1 otherwise, 2 for unusable input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from signature.cli import main

VECTORS = Path(__file__).resolve().parents[3] / ".." / "shared" / "testvectors"
pytestmark = pytest.mark.skipif(not VECTORS.is_dir(), reason="../shared/testvectors is absent")
TRUST = str(VECTORS / "trust")
QES = str(VECTORS / "signed" / "lv-qes-2021.edoc")


def test_verified_customer_qes_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([QES, "--trust", TRUST]) == 0
    assert "VERIFIED" in capsys.readouterr().out


def test_json_report_carries_the_agreed_keys(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([QES, "--trust", TRUST, "--json", "--at", "2021-03-05T00:00:00+00:00"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {
        "indication",
        "subindication",
        "qualification",
        "signer",
        "signing_time",
        "signed_files",
        "warnings",
        "reason",
        "signatures",
    } <= set(data)
    assert (data["indication"], data["qualification"]) == ("TOTAL-PASSED", "QESig")
    assert data["signer"]["semantics_identifier"] == "PNOLV-110187-12529"
    assert data["signed_files"][0]["name"] == "test+test.txt"


def test_without_trust_directory_nothing_verifies() -> None:
    assert main([QES]) == 1


def test_demo_file_with_demo_anchor_exits_one() -> None:
    anchor = str(VECTORS / "trust" / "demo" / "DEMO_LV_eID_ICA_2021.pem")
    assert main([str(VECTORS / "signed" / "lv-demo-LT-7min.asice"), "--anchor", anchor]) == 1


def test_bank_e_seal_exits_one() -> None:
    assert main([str(VECTORS / "signed" / "lv-eseal-2025.asice"), "--trust", TRUST]) == 1


def test_unusable_input_exits_two_with_reason_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    letter = tmp_path / "letter.txt"
    letter.write_text("please delete my data")
    assert main([str(letter)]) == 2
    assert "cannot validate" in capsys.readouterr().err


def test_bad_validation_time_exits_two() -> None:
    assert main([QES, "--at", "yesterday"]) == 2


def test_forged_second_signature_exits_one_and_names_the_unsigned_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.integration.signature.test_xades_attacks import _forged_second_signature

    forged = tmp_path / "forged.edoc"
    forged.write_bytes(_forged_second_signature())
    assert main([str(forged), "--trust", TRUST]) == 1
    out = capsys.readouterr().out
    assert "NOT SIGNED: extra.txt" in out
    assert "NOT VERIFIED" in out
