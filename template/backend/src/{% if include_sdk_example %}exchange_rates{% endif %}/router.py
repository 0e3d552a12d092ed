from typing import Annotated

from fastapi import APIRouter, Path, status

from src.exceptions import ExternalServiceTimeoutError, ValidationFailedError, error_responses
from src.exchange_rates import service
from src.exchange_rates.constants import CURRENCY_PATTERN
from src.exchange_rates.dependencies import RatesBudgetDep, RatesClientDep
from src.exchange_rates.exceptions import CurrencyNotFoundError, ExchangeRatesUnavailableError
from src.exchange_rates.schemas import ExchangeRates

router = APIRouter(prefix="/exchange-rates", tags=["exchange rates"])


@router.get(
    "/{currency}",
    status_code=status.HTTP_200_OK,
    summary="Latest exchange rates",
    description=(
        "Latest rates from one currency to the others, fetched from the external "
        "service through its blocking SDK in a capped thread pool."
    ),
    responses=error_responses(
        CurrencyNotFoundError,
        ValidationFailedError,
        ExchangeRatesUnavailableError,
        ExternalServiceTimeoutError,
    ),
)
async def latest_rates(
    currency: Annotated[str, Path(pattern=CURRENCY_PATTERN, examples=["EUR"])],
    client: RatesClientDep,
    budget: RatesBudgetDep,
) -> ExchangeRates:
    return await service.latest_rates(client, budget, currency)
