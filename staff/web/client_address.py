"""Which address a console request comes from, given the reverse proxies this server trusts.

``X-Forwarded-For`` is the older form of the ``for=`` list of ``Forwarded`` (RFC 7239 §7.4):
every proxy on the way appends the address it received the request from, and repeated lines
combine in the order they arrived (§7.1). The client can write anything it likes in front, so
the header is only as trustworthy as the proxies that added to it (§8.1). It is therefore read
only when the direct peer is one of ``trusted_proxies``, and then from the right: the right-most
address that is not itself a trusted proxy was written by a proxy we trust and is the client;
everything to its left is whatever the client chose to send and is ignored.

A direct peer that is not a trusted proxy is the client, whatever headers it sends.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """``"10.0.0.5"``, ``"10.0.0.0/8"``, ``"::1"``, ``"fd00::/8"`` → networks.

    Raises ValueError naming the entry that is neither an IP address nor a CIDR block."""
    networks: list[Network] = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as error:
            raise ValueError(f"{entry!r} is not an IP address or CIDR block (e.g. 10.0.0.5 or 10.0.0.0/24)") from error
    return tuple(networks)


def parse_address(value: str) -> Address | None:
    """One hop of a forwarding header: a bare address, ``1.2.3.4:port`` or ``[v6]:port``."""
    value = value.strip().strip('"')
    if value.startswith("["):
        value = value[1 : value.find("]")] if "]" in value else ""
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]  # IPv4 with a port; IPv6 has two or more colons
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:1.2.3.4 is 1.2.3.4: one client, one throttle
    return address


@dataclass(frozen=True)
class TrustedProxies:
    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> TrustedProxies:
        return cls(parse_networks(entries))

    def trusts(self, address: Address | None) -> bool:
        return address is not None and any(address in network for network in self.networks)

    def client_of(self, peer: str | None, forwarded_for: Sequence[str]) -> str:
        """The client address for a request from ``peer`` carrying these ``X-Forwarded-For`` lines."""
        if not peer:
            return "unknown"
        peer_address = parse_address(peer)
        if not self.trusts(peer_address):
            return str(peer_address) if peer_address is not None else peer[:100]
        hops = [hop for line in forwarded_for for hop in line.split(",") if hop.strip()]
        nearest = str(peer_address)
        for hop in reversed(hops):
            address = parse_address(hop)
            if address is None:
                # Garbage where a trusted proxy should have written an address: take the last
                # address we can vouch for rather than anything further left.
                return nearest
            if not self.trusts(address):
                return str(address)
            nearest = str(address)
        # Every hop is one of our proxies (an internal client): the left-most is the origin.
        return nearest
