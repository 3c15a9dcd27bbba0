"""Which address a request comes from, and which source the sign-in throttle counts it under."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from staff.sign_in_throttle import ThrottlePolicy, source_of
from staff.web.client_address import TrustedProxies

PROXIES = TrustedProxies.parse(["10.0.0.0/24", "fd00::/8", "127.0.0.1"])


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "client"),
    [
        ("198.51.100.66", ["192.0.2.20"], "198.51.100.66"),  # Ilze's own header, no proxy: ignored
        ("10.0.0.5", ["198.51.100.66"], "198.51.100.66"),
        ("10.0.0.5", ["192.0.2.20, 198.51.100.66"], "198.51.100.66"),  # her prefix is ignored
        ("10.0.0.5", ["192.0.2.20", "198.51.100.66, 10.0.0.9"], "198.51.100.66"),  # two lines, two proxies
        ("10.0.0.5", ["198.51.100.66:51234"], "198.51.100.66"),
        ("10.0.0.5", ["[2001:db8::66]:443"], "2001:db8::66"),
        ("10.0.0.5", ["::ffff:198.51.100.66"], "198.51.100.66"),
        ("10.0.0.5", ["192.0.2.20, not-an-address"], "10.0.0.5"),  # garbage: the last hop we trust
        ("10.0.0.5", ["10.0.0.7"], "10.0.0.7"),  # an internal client behind our own proxies
        ("10.0.0.5", [], "10.0.0.5"),
        ("::ffff:127.0.0.1", ["198.51.100.66"], "198.51.100.66"),
        (None, ["198.51.100.66"], "unknown"),
    ],
)
def test_only_hops_written_by_trusted_proxies_are_believed(
    peer: str | None, forwarded_for: list[str], client: str
) -> None:
    assert PROXIES.client_of(peer, forwarded_for) == client


def test_no_trusted_proxies_means_the_header_is_never_read() -> None:
    assert TrustedProxies().client_of("127.0.0.1", ["198.51.100.66"]) == "127.0.0.1"


def test_a_proxy_entry_that_is_not_an_address_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=re.escape("'proxy.example.lv' is not an IP address")):
        TrustedProxies.parse(["proxy.example.lv"])


def test_an_ipv6_client_is_throttled_by_its_slash_64() -> None:
    assert source_of("2001:db8:1:2::66") == source_of("2001:db8:1:2:ffff::1") == "2001:db8:1:2::/64"
    assert source_of("198.51.100.66") == "198.51.100.66"


def test_the_delay_doubles_after_the_free_failures_and_stops_at_the_cap() -> None:
    policy = ThrottlePolicy()
    delays = [policy.delay_after(n, 5).total_seconds() for n in range(4, 17)]
    assert delays == [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]
    assert policy.delay_after(10_000, 5) == timedelta(minutes=15)
