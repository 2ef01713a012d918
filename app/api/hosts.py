"""Which ``Host`` values the server answers (the ``allowed_hosts`` setting): links are made from
the request's host, so a forged one would send clients elsewhere. ``Edge`` (app/api/edge.py)
refuses the others before anything else runs."""

import re

from app.problems import UnknownHost


class AllowedHosts:
    """The hosts of ``hosts`` (``*``: any, ``*.example.org``: its subdomains), as Django's
    ``ALLOWED_HOSTS``. A request without ``Host`` (HTTP/1.0) is answered: its links use the
    server's own address."""

    def __init__(self, hosts: list[str]) -> None:
        self.any = "*" in hosts
        # As the settings write them: names, addresses, IPv6 ones with or without brackets.
        listed = [host.strip().lower().removeprefix("[").removesuffix("]") for host in hosts]
        self.names = {host.rstrip(".") for host in listed if host and not host.startswith("*.")}
        self.suffixes = tuple(host[1:].rstrip(".") for host in listed if host.startswith("*."))
        self.seen: dict[bytes, bool] = {}  # by Host header: the hot path decides once

    def refusal(self, host: bytes | None) -> UnknownHost | None:
        """Why a request with this ``Host`` header (None: none) is not answered, or None."""
        if self.any or host is None or self._allowed(host):
            return None
        return UnknownHost(
            f"This server does not answer for the host {host.decode('latin-1')!r}: "
            "see the allowed_hosts and public_url settings."
        )

    def _allowed(self, host: bytes) -> bool:
        allowed = self.seen.get(host)
        if allowed is None:
            name = host_name(host)
            allowed = name in self.names or (
                bool(name) and any(name.endswith(suffix) for suffix in self.suffixes)
            )
            if len(self.seen) >= 256:  # the Host header is the client's: bounded
                self.seen.clear()
            self.seen[host] = allowed
        return allowed


# A Host value (RFC 9110 §7.2): a name or an IPv4 address, or an IPv6 one in brackets, and an
# optional port; anything else (``[::1]@evil.example``, ``evil.example/.example.org``) names no
# host of ours.
_HOST = re.compile(r"(?:\[(?P<ipv6>[0-9a-f:.]+)\]|(?P<name>[a-z0-9_.-]*))(?::[0-9]{1,5})?")


def host_name(host: bytes) -> str:
    """The name of a ``Host`` value, without its port, in lower case (``[::1]:80`` -> ``::1``);
    empty when the value is no host."""
    found = _HOST.fullmatch(host.decode("latin-1").strip().lower())
    if found is None:
        return ""
    return found["ipv6"] or found["name"].rstrip(".")
