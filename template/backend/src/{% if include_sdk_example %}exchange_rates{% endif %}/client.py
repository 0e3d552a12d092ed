"""A blocking (sync) SDK for the Frankfurter exchange-rates API.

It stands for any vendor SDK without async support (boto3, stripe, ...): every
method blocks its thread, so routes call it through src.concurrency.run_sync.
"""

from typing import Any

import httpx2


class RatesClientError(Exception):
    """The service failed or could not be reached."""


class UnknownCurrencyError(RatesClientError):
    """The service does not know the requested currency."""


class RatesClient:
    def __init__(self, base_url: str, *, timeout: float) -> None:
        self._http = httpx2.Client(base_url=base_url, timeout=timeout)

    def latest(self, base: str) -> dict[str, Any]:
        try:
            response = self._http.get("/latest", params={"base": base})
        except httpx2.HTTPError as exc:
            raise RatesClientError(str(exc)) from exc
        if response.status_code == httpx2.codes.NOT_FOUND:
            raise UnknownCurrencyError(base)
        if response.is_error:
            raise RatesClientError(f"HTTP {response.status_code}")
        payload: dict[str, Any] = response.json()
        return payload

    def close(self) -> None:
        self._http.close()
