"""Each way the seal key can be unusable gives its own error, saying what to do, never the PIN."""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

import pytest

from rightsdesk.demo_kit.seal import DemoToken
from signature.errors import SignatureError
from signature.pkcs11_key import (
    ModuleNotFound,
    PinUnavailable,
    SealingError,
    SealKeyNotFound,
    TokenNotFound,
    WrongPin,
)
from signature.sealing import Sealer

PIN_ENV = "RIGHTSDESK_TEST_SEAL_PIN"
IMPOSTOR_PIN = "impostor-guess-7319"


def _everything_said(exc: BaseException, caplog: pytest.LogCaptureFixture) -> str:
    return "".join(traceback.format_exception(exc)) + repr(exc) + caplog.text


def test_wrong_pin_gives_wrong_pin(seal_config, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv(PIN_ENV, IMPOSTOR_PIN)

    with pytest.raises(WrongPin) as caught:
        Sealer.open(seal_config())

    assert caught.value.token_label == "rightsdesk-demo" and caught.value.remedy


def test_missing_key_label_gives_seal_key_not_found(seal_config) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SealKeyNotFound) as caught:
        Sealer.open(seal_config(key_label="no-such-seal"))

    assert caught.value.key_label == "no-such-seal"


def test_missing_module_gives_module_not_found(seal_config, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ModuleNotFound) as caught:
        Sealer.open(seal_config(module=str(tmp_path / "libvendor-pkcs11.so")))

    assert "softhsm2" in caught.value.remedy


def test_a_file_that_is_not_a_pkcs11_module_gives_module_not_found(  # type: ignore[no-untyped-def]
    seal_config, tmp_path: Path
) -> None:
    bogus = tmp_path / "not-a-library.so"
    bogus.write_bytes(b"just text")

    with pytest.raises(ModuleNotFound):
        Sealer.open(seal_config(module=str(bogus)))


def test_unknown_token_label_gives_token_not_found(seal_config) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TokenNotFound):
        Sealer.open(seal_config(token_label="somebody-elses-token"))


def test_no_pin_configured_gives_pin_unavailable(seal_config, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv(PIN_ENV)

    with pytest.raises(PinUnavailable):
        Sealer.open(seal_config())


def test_pin_from_a_file_opens_the_token(seal_config, demo_token: DemoToken, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv(PIN_ENV)

    with Sealer.open(seal_config(pin_env=None, pin_file=Path(demo_token.pin_file))) as sealer:
        assert sealer.seal_files({"a.txt": b"a"})[:2] == b"PK"


def test_sealing_errors_share_the_signature_root() -> None:
    assert issubclass(SealingError, SignatureError)
    assert all(issubclass(e, SealingError) for e in (WrongPin, SealKeyNotFound, ModuleNotFound, TokenNotFound))


def test_the_right_pin_never_reaches_logs_or_errors(  # type: ignore[no-untyped-def]
    seal_config, demo_pin: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with Sealer.open(seal_config()) as sealer:
        sealer.seal_files({"a.txt": b"a"})
    with pytest.raises(SealKeyNotFound) as caught:
        Sealer.open(seal_config(key_label="no-such-seal"))

    assert demo_pin not in _everything_said(caught.value, caplog)


def test_a_wrong_pin_never_reaches_logs_or_errors(  # type: ignore[no-untyped-def]
    seal_config, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv(PIN_ENV, IMPOSTOR_PIN)

    with pytest.raises(WrongPin) as caught:
        Sealer.open(seal_config())

    assert IMPOSTOR_PIN not in _everything_said(caught.value, caplog)
