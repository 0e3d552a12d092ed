"""The hand-written baseline: one file, the same work as the rendered backend.

Run from the rendered project's backend/ (same venv, same FastAPI, same database
file): the reference for /health, cold start and memory. It also carries the wrong
patterns the event-loop figures compare against: blocking or CPU work done inline in
`async def`. (The posts routes are measured against bench/ceiling_*.py.)
"""

import os
from datetime import datetime
from typing import Annotated, Any

import httpx2
from fastapi import FastAPI, Query
from pydantic import BaseModel
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, select
from sqlalchemy.ext.asyncio import create_async_engine
from src.text_stats.service import text_statistics  # the CPU work of POST /text-stats

engine = create_async_engine(os.environ["BENCH_DATABASE_URL"])
post = Table(
    "post",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("name", String),
    Column("description", Text),
    Column("created_at", DateTime),
    Column("updated_at", DateTime),
)
sdk = httpx2.Client(base_url=os.environ["BENCH_UPSTREAM_URL"], timeout=10)


class PostOut(BaseModel):
    id: int
    name: str
    description: str
    created_at: datetime
    updated_at: datetime


app = FastAPI(openapi_url=None)


# One page, validated like the rendered list route: same work, hand-written.
Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0)]


async def page_of_posts(limit: int, offset: int) -> list[Any]:
    async with engine.connect() as connection:
        query = select(post).order_by(post.c.id).limit(limit).offset(offset)
        return list((await connection.execute(query)).all())


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/posts")
async def list_posts(limit: Limit = 50, offset: Offset = 0) -> list[PostOut]:
    rows = await page_of_posts(limit, offset)
    return [PostOut.model_validate(row, from_attributes=True) for row in rows]


@app.get("/exchange-rates-wrong/{currency}")
async def rates_blocking_the_loop(currency: str) -> dict[str, Any]:
    payload: dict[str, Any] = sdk.get("/latest", params={"base": currency}).json()  # blocks
    return payload


class TextIn(BaseModel):
    text: str


@app.post("/text-stats-inline")
async def text_stats_inline(body: TextIn) -> dict[str, Any]:
    return text_statistics(body.text).model_dump()  # CPU work on the event loop
