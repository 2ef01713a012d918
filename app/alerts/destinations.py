"""Where webhooks may be sent: ``http(s)`` URLs to the hosts the ``webhook_hosts`` setting
lists, or, when it lists none, to any host whose addresses are all public, so that a saved
search cannot make the server send requests into its own network (server-side request
forgery: the cloud's metadata address, a database's admin page on loopback).

A URL is judged twice: when a search is saved (its form and host) and before each delivery,
on the addresses its host resolves to then; the delivery connects to the address judged, never
resolving the name again (a name that resolves to a public address when judged and a private
one when used must not get through).
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Refused(ValueError):
    """A webhook URL or address the policy does not allow; its message says why. ``final``:
    the URL or its addresses are not allowed (trying again changes nothing), rather than a
    name that could not be resolved now."""

    def __init__(self, why: str, *, final: bool = True) -> None:
        super().__init__(why)
        self.final = final


@dataclass(frozen=True, slots=True)
class Destination:
    """A webhook's URL as it is sent to: the host named, the address connected to, the port."""

    url: str
    scheme: str
    host: str
    port: int
    address: str


class WebhookPolicy:
    """The hosts of the ``webhook_hosts`` setting: names, ``*.example.org`` for its
    subdomains, addresses and networks; none listed: any public address."""

    def __init__(self, hosts: list[str]) -> None:
        self.listed = bool(hosts)
        self.names: set[str] = set()
        self.suffixes: list[str] = []
        self.networks: list[Network] = []
        for listed in hosts:
            host = listed.strip().lower().rstrip(".")
            if host.startswith("*."):
                self.suffixes.append(host[1:])
                continue
            try:
                self.networks.append(ipaddress.ip_network(host.strip("[]"), strict=False))
            except ValueError:
                self.names.add(host)

    def check_url(self, url: str) -> tuple[str, str, int]:
        """The scheme, host and port of ``url``; ``Refused`` for a URL that is not an absolute
        ``http(s)`` URL without credentials, or whose host is not allowed."""
        try:
            parts = urlsplit(url)
            port = parts.port
            # As the client will send it: a name in its ASCII (IDNA) form, every character
            # of the URL one a request may carry.
            sent = httpx.URL(url)
            host = sent.raw_host.decode("ascii").rstrip(".") if sent.raw_host else ""
        except (ValueError, httpx.InvalidURL, UnicodeError):
            raise Refused("not a URL") from None
        if parts.scheme not in ("http", "https"):
            raise Refused("must be an http:// or https:// URL")
        if not host:
            raise Refused("names no host")
        if parts.username is not None or parts.password is not None:
            raise Refused("must not hold credentials: the signature authenticates the sender")
        if parts.fragment:
            raise Refused("must not have a fragment")
        named = self._named(host)
        address = _address(host)
        if address is not None and not named and not self._allowed_address(address):
            raise Refused(self._why(host))
        if address is None and self.listed and not named:
            raise Refused(self._why(host))
        return parts.scheme, host, port or (443 if parts.scheme == "https" else 80)

    def destination(self, url: str) -> Destination:
        """Where to send ``url`` now: its host resolved, and the first address allowed;
        ``Refused`` when the URL or every address is not allowed (``final``), or the name
        resolves to none now (not ``final``)."""
        scheme, host, port = self.check_url(url)
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as error:
            detail = getattr(error, "strerror", None) or str(error)
            raise Refused(f"names a host that does not resolve ({detail})", final=False) from None
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]
        # Every address must be allowed: a name with one public and one internal address
        # would reach the inside as soon as a connection picked the second.
        if not self._named(host) and not all(map(self._allowed_address, addresses)):
            raise Refused(self._why(host))
        return Destination(url, scheme, host, port, str(addresses[0]))

    def check_saved(self, url: str) -> None:
        """``check_url``, and a name that resolves now judged on its addresses (``localhost``,
        a number for an address): a webhook that could never be sent is refused when saved.
        A name that does not resolve now is judged when sent."""
        self.check_url(url)
        try:
            self.destination(url)
        except Refused as refused:
            if refused.final:
                raise

    def _named(self, host: str) -> bool:
        """Whether the setting lists ``host`` by name (or its domain): then any of its
        addresses is allowed, internal ones too."""
        host = host.lower()
        return host in self.names or any(host.endswith(suffix) for suffix in self.suffixes)

    def _allowed_address(self, address: Address) -> bool:
        if self.listed:
            return any(address in network for network in self.networks)
        return address.is_global and all(inner.is_global for inner in _embedded(address))

    def _why(self, host: str) -> str:
        if self.listed:
            return f"names {host}, which is not among the hosts webhooks may be sent to"
        return (
            f"names {host}, an internal address (loopback, private, link-local or reserved): "
            "webhooks go to public addresses unless the server's webhook hosts list it"
        )


# IPv6 prefixes whose last 32 bits are an IPv4 address a gateway reaches (NAT64, RFC 6052 and
# RFC 8215), and the deprecated IPv4-compatible form.
_V4_IN_LAST_BITS = (
    ipaddress.IPv6Network("64:ff9b::/96"),
    ipaddress.IPv6Network("64:ff9b:1::/48"),
    ipaddress.IPv6Network("::/96"),
)


def _embedded(address: Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to (mapped, 6to4, Teredo, NAT64): each must
    be public too, or an IPv6 literal would reach an internal IPv4 host."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    inner = [address.ipv4_mapped, address.sixtofour]
    if address.teredo is not None:
        inner.extend(address.teredo)
    if any(address in network for network in _V4_IN_LAST_BITS):
        inner.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return [found for found in inner if found is not None]


def _address(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
