"""Access exports leave sealed with the controller's e-seal when ``[seal]`` is enabled.

Līga (a verified customer) asks the sample shop for a copy of her data; an approver approves
it; the worker writes the ZIP and, through ``rightsdesk.sealing.ControllerSeal`` wired by
``App.controller_data()``, seals it on a real SoftHSM2 token (this folder's conftest skips
without softhsm2-util). The container must validate as a seal of a legal person chained to
the demo CA, hold the ZIP byte for byte, and the reply must say how to check it.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from rightsdesk.bootstrap import build_app
from rightsdesk.checks import check_configuration
from rightsdesk.demo_kit import sample_shop
from rightsdesk.demo_kit.sample_shop import LIGA
from rightsdesk.demo_kit.seal import DemoToken
from signature.report import Indication
from signature.trust import TrustStore
from signature.validate import validate_file
from tests.conftest import FixedClock, make_settings
from tests.integration.datamap.shop_databases import SHOP_DATAMAP, TODAY
from tests.integration.execution.conftest import HASH_SECRET, ShopDesk
from workflows.domain.rights import Right

PIN_ENV = "RIGHTSDESK_TEST_SEAL_PIN"  # the conftest's demo_token puts the demo PIN here
LATVIAN_VALIDATOR = "https://www.eparaksts.lv/lv/Pakalpojumi/parbaudit_dokumentu"
EU_VALIDATOR = "https://ec.europa.eu/digital-building-blocks/DSS/webapp-demo/validation"

DeskFactory = Callable[..., ShopDesk]


def _seal_section(demo: DemoToken, **overrides: Any) -> dict[str, Any]:
    section: dict[str, Any] = {"enabled": True, "module": demo.module, "token_label": demo.token_label,
                               "key_label": demo.key_label, "pin_env": PIN_ENV}
    section.update(overrides)
    return section


@pytest.fixture
def make_desk(tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[DeskFactory]:
    """``make_desk(seal=...)``: the engine and the seeded shop wired by ``build_app`` from settings."""
    shop_url = f"sqlite:///{tmp_path / 'shop.db'}"
    shop = create_engine(shop_url)
    sample_shop.create_schema(shop)
    sample_shop.seed(shop, today=TODAY)
    monkeypatch.setenv("SHOP_DATABASE_URL", shop_url)
    monkeypatch.setenv("SHOP_HASH_SECRET", HASH_SECRET)
    built: list[ShopDesk] = []

    def make(**sections: dict[str, object]) -> ShopDesk:
        controller: dict[str, object] = {"datamap": str(SHOP_DATAMAP), "export_dir": str(tmp_path / "exports")}
        settings = make_settings(f"sqlite:///{tmp_path / 'rightsdesk.db'}", tmp_path, controller=controller,
                                 **sections)
        app = build_app(settings, clock=clock)
        data = app.controller_data()
        if data is None:
            raise RuntimeError("the data map was not wired")
        built.append(ShopDesk(app, shop, data))
        return built[-1]

    yield make
    for desk in built:
        desk.app.close()
        desk.data.databases.dispose()
    shop.dispose()


@pytest.fixture
def sealed_desk(demo_token: DemoToken, make_desk: DeskFactory) -> ShopDesk:
    # demo_token first: it is torn down last, so the app logs out before the module is unloaded.
    return make_desk(seal=_seal_section(demo_token))


def _export_result(desk: ShopDesk) -> dict[str, Any]:
    (action,) = desk.actions()
    assert action.status == "done", action.result
    return dict(action.result)


def _demo_anchor(demo: DemoToken) -> TrustStore:
    store = TrustStore()
    store.add_anchor(Path(demo.ca_pem).read_bytes())
    return store


def test_sealed_access_export_validates_as_the_controllers_seal(sealed_desk: ShopDesk,
                                                               demo_token: DemoToken) -> None:
    sealed_desk.carry_out(LIGA, [Right.ACCESS])
    result = _export_result(sealed_desk)
    container = Path(result["sealed"]["path"])

    report = validate_file(container.read_bytes(), filename=container.name, store=_demo_anchor(demo_token))

    best = report.best
    assert best is not None and best.indication is Indication.TOTAL_PASSED, best and best.reason
    assert best.signer is not None and not best.signer.is_natural_person  # a seal: a legal person
    assert [f.name for f in best.signed_files] == [Path(result["package"]["path"]).name]
    assert report.unsigned_files == ()


def test_sealed_container_holds_the_export_zip_byte_for_byte(sealed_desk: ShopDesk) -> None:
    sealed_desk.carry_out(LIGA, [Right.ACCESS])
    result = _export_result(sealed_desk)
    package, container = Path(result["package"]["path"]), Path(result["sealed"]["path"])

    with zipfile.ZipFile(container) as asice:
        inside = asice.read(package.name)

    assert container.name == package.name + ".asice"
    assert inside == package.read_bytes()
    assert hashlib.sha256(inside).hexdigest() == result["package"]["sha256"]


def test_action_result_records_the_sealed_container_and_its_digest(sealed_desk: ShopDesk) -> None:
    sealed_desk.carry_out(LIGA, [Right.ACCESS])
    sealed = _export_result(sealed_desk)["sealed"]

    data = Path(sealed["path"]).read_bytes()

    assert (sealed["sha256"], sealed["size"]) == (hashlib.sha256(data).hexdigest(), len(data))


def test_reply_to_a_sealed_copy_says_how_to_check_the_seal(sealed_desk: ShopDesk) -> None:
    sealed_desk.carry_out(LIGA, [Right.ACCESS])

    (reply,) = sealed_desk.outbox("access_reply")

    assert "kvalificēto elektronisko zīmogu" in reply.text  # Līga asked in Latvian
    for where in (LATVIAN_VALIDATOR, EU_VALIDATOR, "DigiDoc4"):
        assert where in reply.text


def test_without_a_seal_the_export_and_reply_are_unchanged(make_desk: DeskFactory, tmp_path: Path) -> None:
    desk = make_desk()
    desk.carry_out(LIGA, [Right.ACCESS])
    result = _export_result(desk)
    (reply,) = desk.outbox("access_reply")

    assert desk.data.sealer is None and "sealed" not in result
    assert not list((tmp_path / "exports").glob("*.asice"))
    assert LATVIAN_VALIDATOR not in reply.text


def test_wrong_pin_fails_the_export_and_flags_it_for_staff(demo_token: DemoToken, make_desk: DeskFactory,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PIN_ENV, "impostor-guess-7319")
    desk = make_desk(seal=_seal_section(demo_token))
    desk.carry_out(LIGA, [Right.ACCESS])

    (action,) = desk.actions()

    assert action.status == "failed" and "WrongPin" in action.result["error"]
    assert "impostor-guess-7319" not in action.result["error"]
    assert "failed" in (desk.request_attention(action.request_id) or "")
    assert not desk.outbox("access_reply")


def _check_with(tmp_path: Path, seal: dict[str, Any]) -> list[str]:
    lines = [f"{key} = {value!r}".replace("True", "true") for key, value in seal.items()]
    config = tmp_path / "rightsdesk.toml"
    config.write_text("[seal]\n" + "\n".join(lines) + "\n", encoding="utf-8")
    problems, _ = check_configuration(str(config))
    return problems


def test_config_check_reports_a_seal_key_missing_from_the_token(demo_token: DemoToken, tmp_path: Path) -> None:
    problems = _check_with(tmp_path, _seal_section(demo_token, key_label="no-such-seal"))

    assert any(p.startswith("seal: SealKeyNotFound") for p in problems), problems


def test_config_check_reports_a_missing_pin(demo_token: DemoToken, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PIN_ENV)

    problems = _check_with(tmp_path, _seal_section(demo_token))

    assert any(p.startswith("seal: PinUnavailable") for p in problems), problems


def test_config_check_reports_a_missing_module(demo_token: DemoToken, tmp_path: Path) -> None:
    problems = _check_with(tmp_path, _seal_section(demo_token, module=str(tmp_path / "libvendor-pkcs11.so")))

    assert any(p.startswith("seal: ModuleNotFound") for p in problems), problems


def test_config_check_accepts_a_usable_seal(demo_token: DemoToken, tmp_path: Path) -> None:
    assert _check_with(tmp_path, _seal_section(demo_token)) == []
