"""The broker's thread budget, created by the lifespan (src/main.py)."""

from typing import Annotated

from fastapi import Depends, Request

from src.concurrency import ThreadBudget


async def get_broker_budget(request: Request) -> ThreadBudget:
    budget: ThreadBudget = request.state.broker_budget
    return budget


BrokerBudgetDep = Annotated[ThreadBudget, Depends(get_broker_budget)]
