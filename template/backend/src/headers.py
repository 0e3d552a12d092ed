"""Reading a request's headers from the ASGI scope, before Starlette parses them."""

from starlette.types import Scope


def header_value(scope: Scope, name: bytes) -> bytes:
    """The first value of a header (names arrive lower-cased), b"" when absent."""
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return b""
