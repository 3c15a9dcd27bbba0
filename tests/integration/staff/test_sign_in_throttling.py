"""Staff sign-in under guessing, over real HTTP on SQLite and PostgreSQL.

The console runs on uvicorn exactly as ``rightsdesk serve`` configures it, and every persona
connects from its own loopback address (Linux routes all of 127.0.0.0/8 to ``lo``), so the
server sees real, distinct peers: Andris Bērziņš (approver) at home, Ilze the impostor who
guesses his password, a reverse proxy, and a guessing network of many addresses.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from rightsdesk.bootstrap import App, build_app
from rightsdesk.serve import build_http_app
from rightsdesk.settings import load_settings
from staff.accounts import StaffAccounts
from staff.roles import Role
from staff.web.app import ConsoleConfig, build_console
from tests.conftest import FixedClock, make_settings
from tests.integration.staff.conftest import PASSWORD, csrf_from, fast_passwords
from tests.support.browser import served
from workflows.adapters.staff_tables import staff_audit
from workflows.domain.errors import ConfigurationError

ANDRIS_HOME = "127.0.0.20"
ANDRIS_CAFE = "127.0.0.30"
ILZE = "127.0.0.66"
PROXY = "127.0.0.10"
WRONG = "andris2026!"  # Ilze's guess


@contextmanager
def served_console(app: App, *, trusted_proxies: tuple[str, ...] = ()) -> Iterator[str]:
    asgi = build_console(
        engine=app.engine,
        database=app.database,
        reader=app.reader,
        config=ConsoleConfig(secure_cookies=False, trusted_proxies=trusted_proxies),
        passwords=fast_passwords(),
    )
    asgi.state.console.accounts.add("andris", Role.APPROVER, PASSWORD, display_name="Andris Bērziņš", by="test")
    with served(asgi) as base:
        yield base


class Browser:
    """One browser (its own cookies) on one machine (its own source address)."""

    def __init__(self, base: str, address: str, *, language: str | None = None) -> None:
        self.http = httpx.Client(
            base_url=base, transport=httpx.HTTPTransport(local_address=address), follow_redirects=False, timeout=20
        )
        if language:
            self.http.cookies.set("rd_lang", language)

    def sign_in(self, username: str, password: str, *, forwarded_for: str | None = None) -> httpx.Response:
        headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
        token = csrf_from(self.http.get("/login", headers=headers).text)
        return self.http.post(
            "/login", data={"username": username, "password": password, "csrf": token, "next": "/"}, headers=headers
        )

    def dashboard(self) -> httpx.Response:
        return self.http.get("/")

    def moved_to(self, address: str) -> Browser:
        """The same browser (cookies and all) on another network."""
        moved = Browser(str(self.http.base_url), address)
        moved.http.cookies = self.http.cookies
        return moved


def _audit(app: App, action: str) -> list[tuple[str | None, dict[str, object]]]:
    with app.reader.connect() as connection:
        rows = connection.execute(
            select(staff_audit.c.client, staff_audit.c.detail).where(staff_audit.c.action == action)
        ).all()
    return [(row.client, row.detail) for row in rows]


def _guess_until_checked(browser: Browser, clock: FixedClock, *, forwarded_for: str | None = None) -> int:
    """Ilze waits out each Retry-After and tries again; returns how long she waited in all."""
    waited = 0
    while (response := browser.sign_in("andris", WRONG, forwarded_for=forwarded_for)).status_code == 429:
        seconds = int(response.headers["Retry-After"])
        waited += seconds
        clock.advance(seconds=seconds)
    assert response.status_code == 401
    return waited


def test_ilzes_wrong_passwords_from_her_address_never_stop_andris_signing_in_from_his(
    app: App, clock: FixedClock
) -> None:
    with served_console(app) as base:
        ilze = Browser(base, ILZE)
        for _ in range(15):  # well past any per-account allowance, all from her one address
            _guess_until_checked(ilze, clock)
        andris = Browser(base, ANDRIS_HOME)  # a browser and network he never used before
        assert andris.sign_in("andris", PASSWORD).status_code == 303
        assert "Andris Bērziņš" in andris.dashboard().text
    assert [client for client, _ in _audit(app, "signed_in")] == [ANDRIS_HOME]
    assert {client for client, _ in _audit(app, "sign_in_failed")} == {ILZE}


def test_ilzes_address_waits_longer_after_each_further_failure_and_is_told_so(app: App, clock: FixedClock) -> None:
    with served_console(app) as base:
        ilze = Browser(base, ILZE)
        for _ in range(5):
            assert ilze.sign_in("andris", WRONG).status_code == 401
        waits = []
        for _ in range(4):
            slowed = ilze.sign_in("andris", WRONG)
            assert slowed.status_code == 429
            waits.append(int(slowed.headers["Retry-After"]))
            clock.advance(seconds=waits[-1])
            assert ilze.sign_in("andris", WRONG).status_code == 401
        assert waits == [1, 2, 4, 8]

        refused = ilze.sign_in("andris", PASSWORD)  # even the right password is not checked now
        assert (refused.status_code, refused.headers["Retry-After"]) == (429, "16")
        assert "Mēģiniet vēlreiz pēc 16 s. Konts nav bloķēts." in refused.text
        knocking = [ilze.sign_in("andris", WRONG) for _ in range(3)]
        assert {r.headers["Retry-After"] for r in knocking} == {"16"}  # knocking does not extend it
        english = Browser(base, ILZE, language="en").sign_in("andris", WRONG)
        assert "Try again in 16 s. The account is not locked." in english.text
        clock.advance(seconds=16)
        assert ilze.sign_in("andris", WRONG).status_code == 401
    throttled = _audit(app, "sign_in_throttled")
    assert throttled and all(client == ILZE and detail["by"] == "address" for client, detail in throttled)


def test_ilze_guessing_from_the_shared_office_address_does_not_stop_andris_laptop_there(
    app: App, clock: FixedClock
) -> None:
    office = "127.0.0.40"  # one NAT address for the whole office
    with served_console(app) as base:
        laptop = Browser(base, office)
        assert laptop.sign_in("andris", PASSWORD).status_code == 303  # yesterday
        laptop.http.cookies.delete("rd_session")
        clock.advance(days=1)
        ilze = Browser(base, office)  # her own browser, same address
        for _ in range(8):
            _guess_until_checked(ilze, clock)
        assert ilze.sign_in("andris", PASSWORD).status_code == 429  # the address is slowed
        assert laptop.sign_in("andris", PASSWORD).status_code == 303  # his recognised browser is not
        assert "Andris Bērziņš" in laptop.dashboard().text


def test_a_recognised_browser_is_slowed_by_its_own_failures_until_it_signs_in_again(
    app: App, clock: FixedClock
) -> None:
    with served_console(app) as base:
        laptop = Browser(base, ANDRIS_HOME)
        assert laptop.sign_in("andris", PASSWORD).status_code == 303
        laptop.http.cookies.delete("rd_session")
        for _ in range(5):
            assert laptop.sign_in("andris", WRONG).status_code == 401  # Andris mistypes
        slowed = laptop.sign_in("andris", PASSWORD)
        assert (slowed.status_code, slowed.headers["Retry-After"]) == (429, "1")
        clock.advance(seconds=1)
        assert laptop.sign_in("andris", PASSWORD).status_code == 303
        laptop.http.cookies.delete("rd_session")
        assert laptop.sign_in("andris", WRONG).status_code == 401  # his typos start again from zero
    assert any(detail["by"] == "device" for _, detail in _audit(app, "sign_in_throttled"))


def test_a_burst_of_parallel_guesses_gets_no_more_tries_than_one_at_a_time(app: App, clock: FixedClock) -> None:
    with served_console(app) as base:
        browsers = [Browser(base, ILZE) for _ in range(20)]
        tokens = [csrf_from(b.http.get("/login").text) for b in browsers]

        def guess(index: int) -> int:
            form = {"username": "andris", "password": f"{WRONG}{index}", "csrf": tokens[index]}
            return browsers[index].http.post("/login", data=form).status_code

        with ThreadPoolExecutor(max_workers=20) as pool:
            answers = list(pool.map(guess, range(20)))
    assert sorted(answers) == [401] * 5 + [429] * 15


def test_a_spoofed_forwarded_for_from_an_untrusted_client_is_ignored(app: App, clock: FixedClock) -> None:
    with served_console(app, trusted_proxies=(PROXY,)) as base:
        ilze = Browser(base, ILZE)
        for hop in range(5):  # a new made-up address in every attempt, the last ones Andris's
            spoof = f"203.0.113.{hop}" if hop < 3 else ANDRIS_HOME
            assert ilze.sign_in("andris", WRONG, forwarded_for=spoof).status_code == 401
        assert ilze.sign_in("andris", WRONG, forwarded_for="198.51.100.1").status_code == 429
        assert ilze.sign_in("andris", PASSWORD, forwarded_for=f"{PROXY}, {ANDRIS_HOME}").status_code == 429
        assert Browser(base, ANDRIS_HOME).sign_in("andris", PASSWORD).status_code == 303
    assert {client for client, _ in _audit(app, "sign_in_failed")} == {ILZE}
    assert [client for client, _ in _audit(app, "signed_in")] == [ANDRIS_HOME]


def test_behind_a_trusted_proxy_the_forwarded_client_address_is_used(app: App, clock: FixedClock) -> None:
    ilze_outside, andris_outside = "198.51.100.66", "198.51.100.20"
    with served_console(app, trusted_proxies=("127.0.0.8/29",)) as base:
        proxy = Browser(base, PROXY)
        for _ in range(5):
            assert proxy.sign_in("andris", WRONG, forwarded_for=ilze_outside).status_code == 401
        assert proxy.sign_in("andris", WRONG, forwarded_for=ilze_outside).status_code == 429
        # Ilze writes Andris's address in front; the proxy appends hers: the right-most counts.
        spoofed = proxy.sign_in("andris", PASSWORD, forwarded_for=f"{andris_outside}, {ilze_outside}")
        assert spoofed.status_code == 429
        # Two proxies of ours (an edge at 127.0.0.9 in front of the one at .10) are skipped.
        andris = Browser(base, PROXY)
        assert andris.sign_in("andris", PASSWORD, forwarded_for=f"{andris_outside}, 127.0.0.9").status_code == 303
    assert {client for client, _ in _audit(app, "sign_in_failed")} == {ilze_outside}
    assert [client for client, _ in _audit(app, "signed_in")] == [andris_outside]


def test_serve_takes_trusted_proxies_from_the_settings(database_url: str, tmp_path: Path, clock: FixedClock) -> None:
    settings = make_settings(database_url, tmp_path, serve={"trusted_proxies": ["127.0.0.8/29"]})
    app = build_app(settings, clock=clock)
    try:
        StaffAccounts(app.database, clock.now, reader=app.reader).add("andris", Role.APPROVER, PASSWORD, by="test")
        with served(build_http_app(app, [])) as base:
            assert Browser(base, PROXY).sign_in("andris", WRONG, forwarded_for="198.51.100.66").status_code == 401
            assert Browser(base, ILZE).sign_in("andris", WRONG, forwarded_for="198.51.100.20").status_code == 401
        assert [client for client, _ in _audit(app, "sign_in_failed")] == ["198.51.100.66", ILZE]
    finally:
        app.close()


def test_distributed_guessing_on_one_account_is_slowed_but_andris_still_signs_in(app: App, clock: FixedClock) -> None:
    with served_console(app) as base:
        laptop = Browser(base, ANDRIS_HOME)
        assert laptop.sign_in("andris", PASSWORD).status_code == 303  # last week, at home
        laptop.http.cookies.delete("rd_session")
        clock.advance(days=7)

        network = (Browser(base, f"127.0.1.{n}") for n in range(1, 250))  # a fresh address every time
        checked, start, half_an_hour = 0, clock.now(), timedelta(minutes=30)
        while clock.now() - start < half_an_hour:
            _guess_until_checked(next(network), clock)
            checked += 1
        # Unthrottled, 250 addresses with 5 free tries each would be 1250 guesses; slowed, about 20.
        assert checked <= 22, f"{checked} guesses checked in {half_an_hour}"

        # Right after a guess, a stranger's browser waits even with the right password: it
        # cannot be told apart from the next guess. It is told why, and what works instead.
        stranger = Browser(base, "127.0.2.1").sign_in("andris", PASSWORD)
        assert stranger.status_code == 429
        assert "no dažādām adresēm" in stranger.text
        assert "No ierīces vai tīkla, no kura jau esat pieteicies, varat ienākt uzreiz" in stranger.text
        # Andris's own laptop signs in at once, at home or from a café he never used.
        assert laptop.moved_to(ANDRIS_CAFE).sign_in("andris", PASSWORD).status_code == 303
        # And so does a new browser on the network he signed in from before.
        assert Browser(base, ANDRIS_HOME).sign_in("andris", PASSWORD).status_code == 303
    assert any(detail["by"] == "account" for _, detail in _audit(app, "sign_in_throttled"))


def test_an_unknown_username_is_slowed_exactly_like_a_real_one(app: App, clock: FixedClock) -> None:
    with served_console(app) as base:
        answers = {}
        for username, address in (("andris", "127.0.0.70"), ("andrejs", "127.0.0.71")):
            browser = Browser(base, address)
            answers[username] = [browser.sign_in(username, WRONG).status_code for _ in range(7)]
        assert answers["andris"] == answers["andrejs"] == [401] * 5 + [429] * 2


def test_trusted_proxies_must_be_addresses_and_the_old_flag_says_what_replaced_it(tmp_path: Path) -> None:
    config = tmp_path / "rightsdesk.toml"
    config.write_text('[serve]\ntrusted_proxies = ["10.0.0.0/24", "proxy.example.lv"]\ntrust_forwarded_for = true\n')
    with pytest.raises(ConfigurationError) as raised:
        load_settings(config, {})
    problems = " ".join(raised.value.problems)
    assert "trust_forwarded_for is replaced by trusted_proxies" in problems

    config.write_text('[serve]\ntrusted_proxies = ["10.0.0.0/24", "proxy.example.lv"]\n')
    with pytest.raises(ConfigurationError) as raised:
        load_settings(config, {})
    assert "'proxy.example.lv' is not an IP address or CIDR block" in " ".join(raised.value.problems)

    config.write_text('[serve]\ntrusted_proxies = ["127.0.0.1", "10.0.0.0/24", "fd00::/8"]\n')
    assert load_settings(config, {}).serve.trusted_proxies == ("127.0.0.1", "10.0.0.0/24", "fd00::/8")
