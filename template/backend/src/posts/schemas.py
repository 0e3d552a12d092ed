from datetime import datetime

from pydantic import Field

from src.posts.constants import BODY_MAX_LENGTH, TITLE_MAX_LENGTH
from src.schemas import CustomModel


class PostCreate(CustomModel):
    title: str = Field(min_length=1, max_length=TITLE_MAX_LENGTH, examples=["Hello"])
    body: str = Field(max_length=BODY_MAX_LENGTH, examples=["First post."])


class PostUpdate(CustomModel):
    title: str | None = Field(default=None, min_length=1, max_length=TITLE_MAX_LENGTH)
    body: str | None = Field(default=None, max_length=BODY_MAX_LENGTH)


class PostRead(CustomModel):
    id: int
    title: str
    body: str
    created_at: datetime
    updated_at: datetime


class WordCount(CustomModel):
    word: str
    count: int


class PostStats(CustomModel):
    words: int
    unique_words: int
    reading_minutes: float
    top_words: list[WordCount]
