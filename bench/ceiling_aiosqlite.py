"""The SQLite ceiling: the posts routes written by hand on raw aiosqlite, one file.

Run from a rendered backend/ (same venv): the same FastAPI, uvicorn and validation of
the inputs, one connection opened in the lifespan, one call to its thread per request
(`execute_fetchall`), rows returned as dicts. BENCH_SQLITE_PATH is the database file.
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import aiosqlite
from fastapi import FastAPI, HTTPException, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

KEYS = ("id", "name", "description", "created_at", "updated_at")
PAGE = "SELECT id, name, description, created_at, updated_at FROM post ORDER BY id LIMIT ? OFFSET ?"
CREATE = (
    "INSERT INTO post (name, description, created_at, updated_at) VALUES (?, ?, ?, ?)"
    " RETURNING id, name, description, created_at, updated_at"
)
# An absent field (None) keeps its value.
UPDATE = (
    "UPDATE post SET name = COALESCE(?, name), description = COALESCE(?, description),"
    " updated_at = ? WHERE id = ?"
    " RETURNING id, name, description, created_at, updated_at"
)
MAX_INTEGER = 2_147_483_647


def now() -> str:
    # UTC to the microsecond, as the rendered app stores it. (CURRENT_TIMESTAMP has whole
    # seconds: a PATCH repeated within one changes no byte, and SQLite then wrote nothing,
    # no fsync: 0.01 ms against 5 ms here.)
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    # isolation_level=None: each statement commits on its own (no BEGIN, no COMMIT trip).
    async with aiosqlite.connect(os.environ["BENCH_SQLITE_PATH"], isolation_level=None) as db:
        await db.execute_fetchall("PRAGMA busy_timeout=5000")
        yield {"db": db}


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
    rows = await request.state.db.execute_fetchall(PAGE, (limit, offset))
    return [dict(zip(KEYS, row, strict=True)) for row in rows]


@app.post("/posts", status_code=201)
async def create_post(request: Request, data: PostCreate) -> dict[str, Any]:
    at = now()
    rows = await request.state.db.execute_fetchall(CREATE, (data.name, data.description, at, at))
    return dict(zip(KEYS, rows[0], strict=True))


@app.patch("/posts/{post_id}")
async def update_post(
    request: Request, post_id: Annotated[int, Path(ge=1, le=MAX_INTEGER)], data: PostUpdate
) -> dict[str, Any]:
    rows = await request.state.db.execute_fetchall(
        UPDATE, (data.name, data.description, now(), post_id)
    )
    if not rows:
        raise HTTPException(404, "Post not found")
    return dict(zip(KEYS, rows[0], strict=True))
