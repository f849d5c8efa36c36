"""Who a request counts against: the peer, or the client a trusted reverse proxy names.

The back office's sign-in throttle (`web_trusted_proxy`) and the portal's
upload and prefill limits (`portal_trusted_proxies`) both count by client
address; each setting lists its proxies as addresses or networks
(`10.0.0.5,10.1.0.0/16`), and both are read here, the same way.
"""

from __future__ import annotations

import ipaddress

from starlette.requests import Request

Networks = tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]


def trusted_networks(setting: str) -> Networks:
    """The proxies a setting lists (comma-separated); ValueError on an entry that is neither address nor network."""
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in setting.split(",") if item.strip())


def client_address(request: Request, trusted: Networks) -> str:
    """The peer, or the address a trusted reverse proxy forwarded.

    X-Forwarded-For is believed only from a peer within `trusted`; its last entry
    not itself a trusted proxy is the client (earlier ones are whatever the
    client chose to write). All its lines are read as one list: a proxy that adds
    its own line after the client's (HAProxy) must not let the client's line
    speak first. An IPv6 client counts by its /64, which one host gets whole.
    """
    peer = request.client.host if request.client else ""
    if not _within(peer, trusted):
        return _counted(peer)
    forwarded = [part.strip() for line in request.headers.getlist("x-forwarded-for")
                 for part in line.split(",") if part.strip()]
    for address in reversed(forwarded):
        if not _within(address, trusted):
            return _counted(address[:64])
    return _counted(peer)


def _counted(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _within(address: str, networks: Networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)
