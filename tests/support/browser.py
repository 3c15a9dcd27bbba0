"""Real headless Chromium for the console tests (Debian's chromium + chromedriver, driven by
Selenium; no browser download) and a uvicorn server on loopback for the app it looks at."""

from __future__ import annotations

import contextlib
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def skip_without_chromium() -> None:
    """Skip the calling test (or module) with the reason and the fix."""
    pytest.importorskip("selenium.webdriver", reason="browser tests need selenium (pip install selenium)")
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip(
            "browser tests need Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)",
            allow_module_level=True,
        )


@contextlib.contextmanager
def served(asgi: Any, *, port: int = 0, lifespan: str = "off") -> Iterator[str]:
    """``asgi`` on 127.0.0.1 (a free port unless given), configured as ``rightsdesk serve``
    configures uvicorn; yields its base URL."""
    from rightsdesk.serve import http_server_config

    server = uvicorn.Server(http_server_config(asgi, host="127.0.0.1", port=port, lifespan=lifespan))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextlib.contextmanager
def chromium(profile_dir: Path, *, console_log: bool = False) -> Iterator[Any]:
    """A headless Chromium WebDriver with a throw-away profile (``console_log``: keep the page's
    console messages for ``driver.get_log("browser")``)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1700",
        f"--user-data-dir={profile_dir}",
    ):
        options.add_argument(flag)
    if console_log:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile_dir, ignore_errors=True)


def sign_in(driver: Any, base: str, username: str, password: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"{base}/login")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "button.primary").click()
    WebDriverWait(driver, 10).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".tiles")))


def screenshot(driver: Any, folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    driver.save_screenshot(str(path))
    return path
