"""Fetching a URL a client gave, without reaching this server's own network (SSRF).

Every address the host name resolves to must be public; the request then goes to the
address that was checked (the name is not resolved a second time), and each redirect is
checked the same way before it is followed.
"""

import ipaddress
import socket

import httpx2

MAX_REDIRECTS = 5
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class URLNotAllowedError(Exception):
    """The URL leads to an address that is not public (loopback, private, metadata...)."""


def is_public(address: IPAddress) -> bool:
    """Refuses loopback, private, link-local (cloud metadata), shared, reserved, multicast."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def public_address(host: str, port: int) -> str:
    """One address of `host`, after checking that every address it resolves to is public."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise httpx2.ConnectError(f"cannot resolve {host}") from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]
    refused = sorted({str(address) for address in addresses if not is_public(address)})
    if refused:
        raise URLNotAllowedError(f"{host} resolves to a non-public address: {', '.join(refused)}")
    return str(addresses[0])


def fetch(url: str, *, timeout: float) -> httpx2.Response:
    """GET `url` on public addresses only, following at most MAX_REDIRECTS redirects."""
    with httpx2.Client(timeout=timeout, follow_redirects=False) as client:
        for _ in range(MAX_REDIRECTS + 1):
            target = httpx2.URL(url)
            if target.scheme not in {"http", "https"}:
                raise URLNotAllowedError(f"{target.scheme} URLs are not fetched")
            port = target.port or (443 if target.scheme == "https" else 80)
            address = public_address(target.host, port)
            request = client.build_request(
                "GET",
                target.copy_with(host=address),
                # The URL's own name for the Host header and the TLS certificate check.
                headers={"Host": target.netloc.decode("ascii")},
                extensions={"sni_hostname": target.host},
            )
            response = client.send(request)
            if not response.is_redirect:
                return response
            url = str(target.join(response.headers["location"]))
    raise URLNotAllowedError(f"more than {MAX_REDIRECTS} redirects")
