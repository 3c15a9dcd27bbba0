"""The `rightsdesk` command line, called in process through ``rightsdesk.cli.main``."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rightsdesk.bootstrap import build_app
from rightsdesk.cli import main
from rightsdesk.settings import load_settings
from workflows.domain.identity import ClaimedIdentity
from workflows.domain.rights import Channel, Language, Right
from workflows.service_layer import commands as c


@pytest.fixture(autouse=True)
def _no_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's own RIGHTSDESK_* variables must not leak into these tests."""
    for name in list(os.environ):
        if name == "RIGHTSDESK_CONFIG" or (name.startswith("RIGHTSDESK_") and "__" in name):
            monkeypatch.delenv(name)


def _lines(capsys: pytest.CaptureFixture[str]) -> tuple[list[str], list[str]]:
    captured = capsys.readouterr()
    return captured.out.splitlines(), captured.err.splitlines()


# -- deadline ------------------------------------------------------------------------------------


def test_deadline_for_31_january_is_the_monday_after_28_february(capsys: pytest.CaptureFixture[str]) -> None:
    # 28 February 2026 is a Saturday, so the month ends on Monday 2 March (Reg. 1182/71 Art. 3(4)).
    assert main(["deadline", "--received", "2026-01-31"]) == 0
    out, _ = _lines(capsys)
    assert out[0] == "2026-03-02"


def test_deadline_with_extension_prints_the_extended_date_after_it(capsys: pytest.CaptureFixture[str]) -> None:
    # The earlier reading: (28 February + 2 months) = 28 April, a Tuesday.
    assert main(["deadline", "--received", "2026-01-31", "--extended"]) == 0
    out, _ = _lines(capsys)
    assert out[0] == "2026-03-02"
    assert out[1].startswith("2026-04-28")


def test_deadline_refuses_a_date_that_is_not_iso(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["deadline", "--received", "31.01.2026"])
    assert exit_.value.code == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


# -- init and config check ------------------------------------------------------------------------


def test_init_creates_settings_profile_and_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init"]) == 0
    assert (tmp_path / "rightsdesk.toml").is_file()
    assert (tmp_path / "controller-profile.toml").is_file()
    assert (tmp_path / "rightsdesk-data" / "rightsdesk.db").is_file()


def test_config_check_passes_after_init(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    main(["init"])
    capsys.readouterr()
    assert main(["config", "check"]) == 0
    assert "Configuration OK." in capsys.readouterr().out


def test_init_does_not_overwrite_existing_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rightsdesk.toml").write_text("# mine\n", encoding="utf-8")
    assert main(["init"]) == 2
    assert (tmp_path / "rightsdesk.toml").read_text(encoding="utf-8") == "# mine\n"


def _broken_settings(tmp_path: Path) -> Path:
    path = tmp_path / "broken.toml"
    path.write_text('[database]\nulr = "sqlite:///x.db"\n\n[serve]\nport = 99999\n', encoding="utf-8")
    return path


def test_config_check_lists_every_problem_naming_file_key_and_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RIGHTSDESK_SERVE__PORT", "abc")
    assert main(["--config", str(_broken_settings(tmp_path)), "config", "check"]) == 1
    _, err = _lines(capsys)
    problems = [line for line in err if line.startswith("  - ")]
    assert len(problems) == 3, err
    assert any("broken.toml" in p and "database.ulr" in p and "unknown setting" in p for p in problems)
    assert any("broken.toml" in p and "serve.port" in p and "99999" in p for p in problems)
    assert any("RIGHTSDESK_SERVE__PORT" in p and "'abc'" in p for p in problems)


def test_config_check_creates_no_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    main(["--config", str(_broken_settings(tmp_path)), "config", "check"])
    assert not (tmp_path / "rightsdesk-data").exists()


# -- requests list / show -------------------------------------------------------------------------


@pytest.fixture
def config_with_a_request(tmp_path: Path) -> tuple[str, str]:
    config = tmp_path / "rightsdesk.toml"
    config.write_text('[database]\nurl = "sqlite:///desk.db"\n', encoding="utf-8")
    app = build_app(load_settings(config, {}))
    try:
        reference = app.engine.handle(
            c.OpenRequest(
                channel=Channel.EMAIL,
                rights=frozenset({Right.ACCESS}),
                language=Language.LV,
                claimed=ClaimedIdentity(name="Līga Kalniņa", email="liga@example.lv"),
                received_at=datetime.now(UTC),
            )
        )
    finally:
        app.close()
    return str(config), str(reference)


def test_requests_list_shows_the_request(
    config_with_a_request: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    config, reference = config_with_a_request
    assert main(["--config", config, "requests", "list"]) == 0
    out, _ = _lines(capsys)
    [row] = [line for line in out if line.startswith(reference)]
    assert "awaiting_identity" in row
    assert "access" in row


def test_requests_show_prints_the_case_and_its_timeline(
    config_with_a_request: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    config, reference = config_with_a_request
    assert main(["--config", config, "requests", "show", reference.lower()]) == 0
    out, _ = _lines(capsys)
    assert out[0].startswith(f"{reference}  awaiting_identity")
    assert any("RequestReceived" in line for line in out)
    assert any("IdentityRequested" in line for line in out)


def test_requests_show_of_an_unknown_reference_exits_2(
    config_with_a_request: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    config, _ = config_with_a_request
    assert main(["--config", config, "requests", "show", "DSR-2026-999999"]) == 2
    assert "no request" in capsys.readouterr().err
