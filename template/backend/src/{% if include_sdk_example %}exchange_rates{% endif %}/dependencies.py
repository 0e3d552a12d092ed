"""The SDK client and its thread budget, both owned by the app's lifespan (src/main.py).

`async def` although they do no I/O: sync dependencies would each take a thread.
"""

from typing import Annotated

from fastapi import Depends, Request

from src.concurrency import ThreadBudget
from src.exchange_rates.client import RatesClient


async def get_rates_client(request: Request) -> RatesClient:
    client: RatesClient = request.state.rates_client
    return client


async def get_rates_budget(request: Request) -> ThreadBudget:
    budget: ThreadBudget = request.state.rates_budget
    return budget


RatesClientDep = Annotated[RatesClient, Depends(get_rates_client)]
RatesBudgetDep = Annotated[ThreadBudget, Depends(get_rates_budget)]
