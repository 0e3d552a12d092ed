from pydantic import ValidationError

from src.concurrency import ThreadBudget, run_sync
from src.exceptions import ExternalServiceTimeoutError
from src.exchange_rates.client import (
    RatesClient,
    RatesClientError,
    RatesTimeoutError,
    UnknownCurrencyError,
)
from src.exchange_rates.exceptions import CurrencyNotFoundError, ExchangeRatesUnavailableError
from src.exchange_rates.schemas import ExchangeRates


async def latest_rates(client: RatesClient, budget: ThreadBudget, base: str) -> ExchangeRates:
    # The SDK blocks: run it in a thread from its own budget, never on the event loop.
    try:
        payload = await run_sync(client.latest, base, budget=budget)
    except UnknownCurrencyError as exc:
        raise CurrencyNotFoundError from exc
    except RatesTimeoutError as exc:  # the SDK's own deadline, shorter than the budget's
        raise ExternalServiceTimeoutError("Exchange rates service timed out.") from exc
    except RatesClientError as exc:
        raise ExchangeRatesUnavailableError from exc
    try:
        return ExchangeRates.model_validate(payload)
    except ValidationError as exc:  # the vendor answered something else than rates
        raise ExchangeRatesUnavailableError from exc
