"""The console in real headless Chromium (Debian's chromium + chromedriver, driven by Selenium):
an approver signs in, opens an overdue request, approves an action a colleague planned, and
sees it executed. Screenshots go to ``test-artifacts/console/``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import column, create_engine, select, table

from rightsdesk.bootstrap import App, build_app
from rightsdesk.demo import RECIPIENT_CONTACTS, shop_datamap_path
from rightsdesk.demo_kit import sample_shop
from staff.web.app import ConsoleConfig, build_console
from tests.conftest import FixedClock, make_settings
from tests.integration.staff.conftest import PASSWORD, PERSONAS, fast_passwords, open_erasure_request, plan_erasure
from tests.support.browser import chromium, screenshot, served, sign_in, skip_without_chromium
from workflows.domain.actions import ActionKind
from workflows.service_layer import commands as c

LIGA = sample_shop.LIGA
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "console"

skip_without_chromium()

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture
def shop_app(tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[App]:
    """rightsdesk with the sample shop behind its data map, so approved actions really run."""
    shop_url = f"sqlite:///{tmp_path / 'shop.db'}"
    shop = create_engine(shop_url)
    sample_shop.create_schema(shop)
    sample_shop.seed(shop, today=(clock.now() - timedelta(days=40)).date())
    shop.dispose()
    monkeypatch.setenv("SHOP_DATABASE_URL", shop_url)
    monkeypatch.setenv("SHOP_HASH_SECRET", "browser-test-secret-not-for-production")
    settings = make_settings(
        f"sqlite:///{tmp_path / 'console.db'}",
        tmp_path,
        controller={
            "datamap": str(shop_datamap_path()),
            "export_dir": "exports",
            "recipient_contacts": RECIPIENT_CONTACTS,
        },
    )
    built = build_app(settings, clock=clock)
    yield built
    built.close()


@pytest.fixture
def console_url(shop_app: App) -> Iterator[str]:
    asgi = build_console(
        engine=shop_app.engine,
        database=shop_app.database,
        reader=shop_app.reader,
        config=ConsoleConfig(secure_cookies=False),  # plain http on loopback
        passwords=fast_passwords(),
    )
    for username, role in PERSONAS.items():
        asgi.state.console.accounts.add(username, role, PASSWORD, by="test")
    with served(asgi) as url:
        yield url


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    with chromium(tmp_path / "chromium-profile") as driver:
        yield driver


def _shot(driver: object, name: str) -> None:
    screenshot(driver, ARTIFACTS, name)


def _sign_in(driver: object, base: str, username: str) -> None:
    sign_in(driver, base, username, PASSWORD)


def _overdue_request_with_planned_erasure(app: App, clock: FixedClock) -> tuple[str, str]:
    """A verified customer's erasure request, received 40 days ago; Agnese planned the erasure."""
    clock.advance(days=-40)
    reference = open_erasure_request(app, name="Verified Customer")
    clock.advance(days=40)
    return reference, plan_erasure(app, reference, by="staff:agnese")


def _liga_asks_to_be_erased_and_the_planner_plans_it(app: App, clock: FixedClock) -> tuple[str, str]:
    """Līga Bērziņa signed her erasure request 40 days ago; the worker's planner read the shop
    through the data map and queued the erasure it found for approval."""
    clock.advance(days=-40)
    reference = open_erasure_request(
        app, name=f"{LIGA.first_name} {LIGA.last_name}", email=LIGA.email, personal_code=LIGA.personal_code
    )
    app.worker("planner").run_once()
    clock.advance(days=40)
    (action,) = app.queries.detail(reference)["actions"]
    assert (action["kind"], action["status"]) == ("erase", "awaiting_approval")
    return reference, str(action["id"])


def test_second_approver_approves_an_overdue_requests_action_in_the_browser(
    shop_app: App, console_url: str, browser: object, clock: FixedClock
) -> None:
    reference, action_id = _liga_asks_to_be_erased_and_the_planner_plans_it(shop_app, clock)
    driver = browser
    driver.get(console_url + "/")  # type: ignore[attr-defined]
    _shot(driver, "01-login")
    _sign_in(driver, console_url, "andris")
    _shot(driver, "02-dashboard")
    driver.find_element(By.LINK_TEXT, reference).click()  # type: ignore[attr-defined]  # in the overdue list
    WebDriverWait(driver, 10).until(expected_conditions.presence_of_element_located((By.ID, f"action-{action_id}")))
    assert "late" in driver.page_source  # type: ignore[attr-defined]
    _shot(driver, "03-overdue-request")
    driver.find_element(By.CSS_SELECTOR, f"#action-{action_id} button[name=approve]").click()  # type: ignore[attr-defined]
    WebDriverWait(driver, 5).until(expected_conditions.alert_is_present())
    driver.switch_to.alert.accept()  # type: ignore[attr-defined]  # the confirmation before a destructive action
    WebDriverWait(driver, 10).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".notice")))
    _shot(driver, "04-approved")

    action = shop_app.queries.detail(reference)["actions"][0]
    assert (action["status"], action["decided_by"]) == ("approved", "staff:andris")
    shop_app.worker("executor").run_once()  # what `rightsdesk serve`'s worker thread does next
    driver.get(f"{console_url}/requests/{reference}")  # type: ignore[attr-defined]
    WebDriverWait(driver, 10).until(expected_conditions.presence_of_element_located((By.ID, f"action-{action_id}")))
    assert shop_app.queries.detail(reference)["actions"][0]["status"] == "done"
    assert "status-done" in driver.find_element(By.ID, f"action-{action_id}").get_attribute("class")  # type: ignore[attr-defined]
    _shot(driver, "05-executed")
    shop = create_engine(os.environ["SHOP_DATABASE_URL"])
    with shop.connect() as connection:  # her account stays as an anonymised row that orders point at
        customers = table("customers", column("email"))
        assert connection.execute(select(customers.c.email).where(customers.c.email == LIGA.email)).first() is None
    shop.dispose()


def test_planner_sees_the_four_eyes_message_instead_of_approve_buttons(
    shop_app: App, console_url: str, browser: object, clock: FixedClock
) -> None:
    reference, _ = _overdue_request_with_planned_erasure(shop_app, clock)
    preview = {"tables": [{"table": "orders", "rows": 3}]}
    export = c.PlanAction(reference, ActionKind.EXPORT, preview, actor="staff:anna")
    shop_app.engine.handle(export)
    _sign_in(browser, console_url, "anna")
    browser.get(f"{console_url}/requests/{reference}")  # type: ignore[attr-defined]
    assert "četru acu" in browser.page_source  # type: ignore[attr-defined]
    _shot(browser, "06-four-eyes")


def test_every_page_renders_for_screenshots(
    shop_app: App, console_url: str, browser: object, clock: FixedClock
) -> None:
    reference, _ = _overdue_request_with_planned_erasure(shop_app, clock)
    _sign_in(browser, console_url, "agnese")
    for name, path in (
        ("10-list", "/requests?open=1"),
        ("11-queue", "/queue"),
        ("12-intake", "/intake"),
        ("13-reply-editor", f"/requests/{reference}/reply?kind=identity_verification_needed"),
        ("14-extend", f"/requests/{reference}/extend"),
        ("15-refuse", f"/requests/{reference}/refuse"),
        ("16-verify", f"/requests/{reference}/verify"),
    ):
        browser.get(console_url + path)  # type: ignore[attr-defined]
        assert "<h1" in browser.page_source  # type: ignore[attr-defined]
        _shot(browser, name)
    browser.get(f"{console_url}/lang/en?next=/requests/{reference}")  # type: ignore[attr-defined]
    _shot(browser, "17-request-in-english")
    browser.delete_all_cookies()  # type: ignore[attr-defined]
    _sign_in(browser, console_url, "ivars")
    browser.get(console_url + "/staff")  # type: ignore[attr-defined]
    _shot(browser, "18-staff-admin")
    assert 'id="new-username"' in browser.page_source  # type: ignore[attr-defined]
