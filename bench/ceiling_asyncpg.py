"""The PostgreSQL ceiling: the posts routes written by hand on raw asyncpg, one file.

Run from a rendered backend/ whose venv has asyncpg: the same FastAPI, uvicorn and
validation of the inputs, one statement per request, rows returned as dicts.
BENCH_DATABASE_URL is a postgresql:// URL; BENCH_POOL_SIZE the rendered app's pool.
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import asyncpg  # type: ignore[import-untyped]  # no stubs
from fastapi import FastAPI, HTTPException, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

PAGE = (
    "SELECT id, name, description, created_at, updated_at FROM post ORDER BY id LIMIT $1 OFFSET $2"
)
CREATE = (
    "INSERT INTO post (name, description) VALUES ($1, $2)"
    " RETURNING id, name, description, created_at, updated_at"
)
# An absent field (None) keeps its value.
UPDATE = (
    "UPDATE post SET name = COALESCE($1, name), description = COALESCE($2, description),"
    " updated_at = now() WHERE id = $3 RETURNING id, name, description, created_at, updated_at"
)
MAX_INTEGER = 2_147_483_647


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    size = int(os.environ["BENCH_POOL_SIZE"])
    async with asyncpg.create_pool(
        os.environ["BENCH_DATABASE_URL"], min_size=1, max_size=size
    ) as pool:
        yield {"pool": pool}


app = FastAPI(openapi_url=None, lifespan=lifespan)


class Body(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)


class PostCreate(Body):
    name: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00]*$")
    description: str = Field("", max_length=10_000, pattern=r"^[^\x00]*$")


class PostUpdate(Body):
    name: str | None = Field(None, min_length=1, max_length=200, pattern=r"^[^\x00]*$")
    description: str | None = Field(None, max_length=10_000, pattern=r"^[^\x00]*$")


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/posts")
async def list_posts(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_INTEGER)] = 0,
) -> list[dict[str, Any]]:
    rows = await request.state.pool.fetch(PAGE, limit, offset)
    return [dict(row) for row in rows]


@app.post("/posts", status_code=201)
async def create_post(request: Request, data: PostCreate) -> dict[str, Any]:
    row = await request.state.pool.fetchrow(CREATE, data.name, data.description)
    return dict(row)


@app.patch("/posts/{post_id}")
async def update_post(
    request: Request, post_id: Annotated[int, Path(ge=1, le=MAX_INTEGER)], data: PostUpdate
) -> dict[str, Any]:
    row = await request.state.pool.fetchrow(UPDATE, data.name, data.description, post_id)
    if row is None:
        raise HTTPException(404, "Post not found")
    return dict(row)
