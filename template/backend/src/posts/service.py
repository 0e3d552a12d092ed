"""Database work of the posts module: plain SQL-first functions, one per use case."""

import re
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from src.posts.constants import WORDS_PER_MINUTE
from src.posts.models import Post
from src.posts.schemas import PostCreate, PostStats, PostUpdate, WordCount


async def create_post(session: AsyncSession, data: PostCreate) -> Post:
    post = Post(**data.model_dump())
    session.add(post)
    await session.commit()
    return post


PostRow = Row[int, str, str, datetime, datetime]


async def list_posts(session: AsyncSession, *, limit: int, offset: int) -> Sequence[PostRow]:
    # SQL-first: select the columns the response needs; plain rows skip the ORM identity map.
    columns = select(Post.id, Post.title, Post.body, Post.created_at, Post.updated_at)
    result = await session.execute(columns.order_by(Post.id).limit(limit).offset(offset))
    return result.all()


async def get_post(session: AsyncSession, post_id: int) -> Post | None:
    return await session.get(Post, post_id)


async def update_post(session: AsyncSession, post: Post, data: PostUpdate) -> Post:
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(post, field, value)
    await session.commit()
    return post


async def delete_post(session: AsyncSession, post: Post) -> None:
    await session.delete(post)
    await session.commit()


def text_statistics(text: str) -> PostStats:
    """CPU-bound: runs in a worker process through run_in_process (module-level, picklable)."""
    words = re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", text.lower())
    counts = Counter(words)
    return PostStats(
        words=len(words),
        unique_words=len(counts),
        reading_minutes=round(len(words) / WORDS_PER_MINUTE, 2),
        top_words=[WordCount(word=word, count=n) for word, n in counts.most_common(5)],
    )
